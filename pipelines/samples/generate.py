"""Write a landing zone of department deliveries: `generate_landing_zone`.

Layout: `<out>/<department>/<contract id>/<file>`, file names from the contracts' patterns
with the delivery date. Work is streamed in chunks (250,000 persons or enterprises, whole
days of up to 500,000 cases), so memory stays flat from a demo city to 10 million residents;
every random choice is keyed off `seed`, so equal arguments give byte-identical files.

Besides the full extracts dated `end_date`, two departments behave as real ones do: public
security sends a late increment a week later (corrected IDs, residents who moved) and
market regulation one three days later (corrections, deregistrations), and each increment
arrives a second time, byte for byte, under the next day's name.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.cases import CaseBook, load_service_items
from pipelines.samples.dirt import DIRT_KINDS, PLANS, Dirt, inject
from pipelines.samples.enterprise_feeds import register_rows, tax_rows
from pipelines.samples.enterprises import Register
from pipelines.samples.person_feeds import (
    allowance_rows,
    insurance_rows,
    marriage_rows,
    population_rows,
    provident_rows,
    real_estate_rows,
)
from pipelines.samples.persons import HOUSEHOLD_GROUP, Population, office_hours
from pipelines.samples.places import addresses, city_counties, number_strings
from pipelines.samples.specs import FeedSpec, load_feed_specs
from pipelines.samples.summary import FileSummary, GenerationSummary
from pipelines.samples.writers import FeedWriter, Written, open_writer

Progress = Callable[[str, int, int], None]

CHUNK = HOUSEHOLD_GROUP  # person chunks hold whole households; also used for enterprises
PERSON_FEEDS = (
    "ps_population",
    "hrss_insurance",
    "hpf_account",
    "nr_real_estate",
    "ca_marriage",
    "ca_subsidy",
)
ENTERPRISE_FEEDS = ("mr_enterprise", "tax_standing")
POPULATION_INCREMENT_DELAY = 7  # days after the full extract
REGISTER_INCREMENT_DELAY = 3
CHANGED_SHARE = 0.002  # of residents / enterprises updated in an increment
MAX_INCREMENT_ROWS = 50_000  # corrections and updates each
RNG_PURPOSES = ("dirt", "rows", "changes", "moves")


def generate_landing_zone(
    out: Path,
    *,
    persons: int,
    enterprises: int,
    seed: int = 0,
    dirty_share: float = 0.02,
    case_days: int = 1095,
    end_date: date = date(2026, 11, 20),
    progress: Progress | None = None,
) -> GenerationSummary:
    """Write every department feed for a city of `persons` residents and `enterprises`
    market entities, with `dirty_share` of each feed's rows damaged, case records for the
    `case_days` days up to `end_date`, and report what was written."""
    if persons < 10 or enterprises < 1:
        raise ValueError("need at least 10 persons and 1 enterprise")
    if not 0 <= dirty_share < 0.5:
        raise ValueError("dirty_share must be in [0, 0.5)")
    if case_days < 1:
        raise ValueError("case_days must be at least 1")
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    run = _Run(out, seed, dirty_share, end_date, load_feed_specs())
    population = Population(persons, seed, end_date)
    register = Register(enterprises, seed, population)
    run.person_feeds(population, register, report)
    run.enterprise_feeds(register, report)
    run.cases(population, register, case_days, report)
    run.population_increment(population, end_date + timedelta(POPULATION_INCREMENT_DELAY))
    run.register_increment(register, end_date + timedelta(REGISTER_INCREMENT_DELAY))
    return GenerationSummary(
        out=out,
        seed=seed,
        persons=persons,
        enterprises=enterprises,
        files=tuple(run.files),
        seconds=time.perf_counter() - started,
    )


class _Run:
    def __init__(
        self, out: Path, seed: int, dirty_share: float, end_date: date, specs: dict[str, FeedSpec]
    ) -> None:
        self.out = out
        self.seed = seed
        self.dirty_share = dirty_share
        self.end_date = end_date
        self.end = np.datetime64(end_date, "D")
        self.specs = specs
        self.files: list[FileSummary] = []
        self.damaged: dict[str, list[np.ndarray]] = {"ps_population": [], "mr_enterprise": []}

    def _rng(self, feed: str, purpose: str, chunk: int = 0) -> np.random.Generator:
        """An independent generator per feed, purpose and chunk: chunks can be generated in
        any order and still draw the same numbers."""
        stream = [self.seed, 10 + list(self.specs).index(feed), RNG_PURPOSES.index(purpose)]
        return np.random.default_rng([*stream, chunk])

    def _writer(self, feed: str, delivered: date) -> FeedWriter:
        spec = self.specs[feed]
        return open_writer(spec, self.out / spec.department / spec.id, delivered)

    def _write_dirty(self, writer: FeedWriter, feed: str, table: pa.Table, chunk: int) -> None:
        damaged = inject(
            table, self.specs[feed], PLANS[feed], self.dirty_share, self._rng(feed, "dirt", chunk)
        )
        if feed in self.damaged:  # remember whose key was damaged, to correct it later
            index = table.column("_index").to_numpy()
            self.damaged[feed].append(index[damaged.damaged_keys])
        writer.write(damaged.table, damaged.row_dirt)

    def _record(self, feed: str, written: list[Written], delivery: str, delivered: date) -> None:
        spec = self.specs[feed]
        for w in written:
            self.files.append(
                FileSummary(
                    department=spec.department,
                    resource_id=spec.id,
                    path=w.path.relative_to(self.out),
                    format=spec.format,
                    encoding=spec.encoding,
                    delivery=delivery,
                    delivered=delivered,
                    rows=w.rows,
                    dirt=dict(sorted(w.dirt.items())),
                )
            )

    def person_feeds(self, population: Population, register: Register, report: Progress) -> None:
        writers = {feed: self._writer(feed, self.end_date) for feed in PERSON_FEEDS}
        serial = 1
        report("persons", 0, population.size)
        for chunk, first in enumerate(range(0, population.size, CHUNK)):
            batch = population.batch(np.arange(first, min(first + CHUNK, population.size)))
            estate = real_estate_rows(batch, register, self.seed, self.end, serial)
            serial += estate.num_rows
            tables = {
                "ps_population": population_rows(batch),
                "hrss_insurance": insurance_rows(batch, register, self.seed, self.end),
                "hpf_account": provident_rows(batch, register, self.seed, self.end),
                "nr_real_estate": estate,
                "ca_marriage": marriage_rows(
                    batch, self.seed, self.end, self._rng("ca_marriage", "rows", chunk)
                ),
                "ca_subsidy": allowance_rows(batch, self.seed, self.end),
            }
            for feed, table in tables.items():
                self._write_dirty(writers[feed], feed, table, chunk)
            report("persons", first + len(batch.index), population.size)
        for feed, writer in writers.items():
            self._record(feed, writer.close(), "full", self.end_date)

    def enterprise_feeds(self, register: Register, report: Progress) -> None:
        writers = {feed: self._writer(feed, self.end_date) for feed in ENTERPRISE_FEEDS}
        report("enterprises", 0, register.size)
        for chunk, first in enumerate(range(0, register.size, CHUNK)):
            batch = register.batch(np.arange(first, min(first + CHUNK, register.size)))
            self._write_dirty(
                writers["mr_enterprise"], "mr_enterprise", register_rows(batch), chunk
            )
            self._write_dirty(
                writers["tax_standing"],
                "tax_standing",
                tax_rows(batch, self.seed, self.end_date.year - 1),
                chunk,
            )
            report("enterprises", first + len(batch.index), register.size)
        for feed, writer in writers.items():
            self._record(feed, writer.close(), "full", self.end_date)

    def cases(
        self, population: Population, register: Register, days: int, report: Progress
    ) -> None:
        names = {s.department: s.department_name for s in self.specs.values()}
        book = CaseBook(
            load_service_items(), population, register, self.seed, days, self.end_date, names
        )
        writer = self._writer("gsc_cases", self.end_date)
        done = 0
        report("cases", 0, book.total)
        for chunk, table in enumerate(book.chunks()):
            self._write_dirty(writer, "gsc_cases", table, chunk)
            done += table.num_rows
            report("cases", done, book.total)
        self._record("gsc_cases", writer.close(), "full", self.end_date)

    def _changed(self, feed: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(corrected, updated) indices for an increment: entities whose key was damaged in
        the full extract, and a random sample of others."""
        rng = self._rng(feed, "changes")
        corrected = np.unique(np.concatenate(self.damaged[feed]))
        if len(corrected) > MAX_INCREMENT_ROWS:
            corrected = np.sort(rng.choice(corrected, MAX_INCREMENT_ROWS, replace=False))
        count = min(max(1, round(size * CHANGED_SHARE)), MAX_INCREMENT_ROWS, size)
        updated = np.setdiff1d(rng.choice(size, count, replace=False), corrected)
        return corrected, updated

    def population_increment(self, population: Population, delivered: date) -> None:
        """Corrected rows, and residents who moved: a new household of their own elsewhere."""
        corrected, moved = self._changed("ps_population", population.size)
        table = population_rows(population.batch(np.union1d(corrected, moved)))
        index = table.column("_index").to_numpy()
        is_moved = pa.array(np.isin(index, moved))
        counties = city_counties()
        county = self._rng("ps_population", "moves").choice(
            len(counties.codes), len(index), p=counties.weights / counties.weights.sum()
        )
        household = population.size + np.arange(len(index)) + 1  # beyond every head's index
        region = number_strings(city_counties().codes[county])
        changes = {
            "region_code": region,
            "address": addresses(self.seed, "moved.address", index, county, province=True),
            "household_no": pc.binary_join_element_wise(region, number_strings(household, 9), ""),
            "relation_to_head": pa.repeat("户主", len(index)),
        }
        for name, value in changes.items():
            table = table.set_column(
                table.schema.get_field_index(name),
                name,
                pc.if_else(is_moved, value, table.column(name)),
            )
        stamp = office_hours(
            self.seed, "increment.updated", index, self.end + 1, np.datetime64(delivered, "D") + 1
        )
        table = table.set_column(table.schema.get_field_index("updated_at"), "updated_at", stamp)
        self._deliver_increment("ps_population", table, delivered)

    def register_increment(self, register: Register, delivered: date) -> None:
        """Corrected rows, and enterprises deregistered since the full extract."""
        corrected, closed = self._changed("mr_enterprise", register.size)
        table = register_rows(register.batch(np.union1d(corrected, closed)))
        is_closed = pa.array(np.isin(table.column("_index").to_numpy(), closed))
        status = pc.if_else(is_closed, "注销", table.column("status"))
        table = table.set_column(table.schema.get_field_index("status"), "status", status)
        self._deliver_increment("mr_enterprise", table, delivered)

    def _deliver_increment(self, feed: str, table: pa.Table, delivered: date) -> None:
        writer = self._writer(feed, delivered)
        writer.write(table, np.full(table.num_rows, DIRT_KINDS.index(Dirt.LATE_DELIVERY), np.int8))
        written = writer.close()
        self._record(feed, written, "increment", delivered)
        again = delivered + timedelta(days=1)
        spec = self.specs[feed]
        for w in written:
            copy = w.path.with_name(spec.file_name(again))
            shutil.copyfile(w.path, copy)
            self._record(
                feed,
                [Written(copy, w.rows, type(w.dirt)({str(Dirt.REPEATED_FILE): w.rows}))],
                "repeat",
                again,
            )
