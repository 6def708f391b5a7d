"""The service centre's case records (办件) over a span of days, with realistic demand.

Daily demand per service item = residents/2,000 x the item's relative volume x weekday
pattern (Monday rush, quiet Friday) x month-of-year cycle (spring and year-end peaks,
the Spring Festival lull) x the item's own peak months x pre-holiday rush and post-holiday
catch-up x a slow upward trend; zero when the centre is closed. Counts are Poisson, so the
series look like the ones analysts forecast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from pipelines.samples.enterprises import Register
from pipelines.samples.hashing import I64, IndexRandom
from pipelines.samples.persons import Population
from pipelines.samples.places import CITY_CODE, number_strings
from pipelines.samples.workdays import ServiceCalendar, service_calendar

RESIDENTS_PER_CASE = 2_000  # residents per daily case of an item with relative volume 1.0
WEEKDAY_FACTOR = (1.2, 1.05, 1.0, 0.95, 0.85, 0.75, 0.75)  # Monday first; weekends when 调休
MONTH_FACTOR = (1.0, 0.85, 1.15, 1.1, 1.0, 1.0, 0.95, 0.9, 1.0, 0.95, 1.05, 1.2)
PEAK_MONTH_FACTOR = 1.5
TREND_PER_YEAR = 0.04
LATE_SHARE = 0.03  # promised cases finished after their deadline
MORNING_SHARE = 0.62  # of cases received 09:00-12:00; the rest 13:30-17:00
COMPLETION_HORIZON_DAYS = 90  # calendar days after the end date to place late completions
CHUNK_CASES = 500_000


@dataclass(frozen=True)
class ServiceItem:
    code: str
    name: str
    department: str
    window: str
    on_the_spot: bool
    promised_days: int
    organisation: bool
    volume: float
    peak_months: tuple[int, ...]


def load_service_items() -> list[ServiceItem]:
    text = (resources.files("directory") / "sample" / "service_items.yaml").read_text("utf-8")
    return [
        ServiceItem(
            code=item["code"],
            name=item["name"],
            department=item["department"],
            window=item["window"],
            on_the_spot=item["kind"] == "on_the_spot",
            promised_days=int(item["promised_working_days"]),
            organisation=item["subject"] == "organisation",
            volume=float(item["base_daily_volume"]),
            peak_months=tuple(item.get("peak_months", ())),
        )
        for item in yaml.safe_load(text)["items"]
    ]


class CaseBook:
    """Case counts for every item and day, drawn up front; rows are built per chunk of days."""

    def __init__(
        self,
        items: list[ServiceItem],
        population: Population,
        register: Register,
        seed: int,
        days: int,
        end: date,
        department_names: dict[str, str],
    ) -> None:
        self.items = items
        self.population = population
        self.register = register
        self.seed = seed
        self.end = np.datetime64(end, "D")
        first = end - timedelta(days=days - 1)
        self.calendar: ServiceCalendar = service_calendar(
            first, end + timedelta(days=COMPLETION_HORIZON_DAYS)
        )
        self.days = self.calendar.days[:days]
        self.counts = self._draw_counts(np.random.default_rng([seed, 3]))
        per_day = self.counts.sum(axis=0)
        self.day_start = np.concatenate([[0], np.cumsum(per_day)])
        self.total = int(self.day_start[-1])
        self._departments = pa.array([department_names[i.department] for i in items])
        self._codes = pa.array([i.code for i in items])
        self._names = pa.array([i.name for i in items])
        self._windows = pa.array([i.window for i in items])
        self._organisation = np.array([i.organisation for i in items])
        self._on_the_spot = np.array([i.on_the_spot for i in items])
        self._promised = np.array([i.promised_days for i in items], dtype=np.int64)

    def _draw_counts(self, rng: np.random.Generator) -> np.ndarray:
        n = len(self.days)
        weekday = (self.days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        month = self.days.astype("datetime64[M]").astype(np.int64) % 12
        years = (self.days - self.days[0]).astype(np.float64) / 365.25
        day_factor = (
            np.array(WEEKDAY_FACTOR)[weekday]
            * np.array(MONTH_FACTOR)[month]
            * self.calendar.holiday_factor[:n]
            * (1 + TREND_PER_YEAR * years)
            * self.calendar.open[:n]
        )
        scale = self.population.size / RESIDENTS_PER_CASE
        volume = np.array([i.volume for i in self.items])[:, None] * scale
        peak = (
            np.array([np.isin(month + 1, i.peak_months) for i in self.items])
            * (PEAK_MONTH_FACTOR - 1)
            + 1
        )
        return rng.poisson(volume * peak * day_factor[None, :])

    def chunks(self) -> Iterator[pa.Table]:
        """Case rows in order of receipt, in chunks of whole days of up to ~500k rows."""
        first = 0
        while first < len(self.days):
            limit = self.day_start[first] + CHUNK_CASES
            last = max(int(np.searchsorted(self.day_start, limit, side="right")) - 1, first + 1)
            yield self._rows(first, min(last, len(self.days)))
            first = last

    def _rows(self, first_day: int, end_day: int) -> pa.Table:
        counts = self.counts[:, first_day:end_day]
        # case serials in day-major order: all of day 0's items, then day 1's ...
        day_of, item = np.nonzero(counts.T)
        repeats = counts.T[day_of, item]
        day = np.repeat(day_of + first_day, repeats)
        item = np.repeat(item, repeats)
        serial = self.day_start[first_day] + np.arange(len(day), dtype=np.int64)
        seconds = self._receipt_seconds(serial)
        order = np.lexsort((serial, seconds, day))
        day, item, serial, seconds = day[order], item[order], serial[order], seconds[order]
        received_day = self.days[day]
        received = received_day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        completed = self._completions(serial, item, received_day, received)
        within_day = np.arange(len(day)) - np.searchsorted(day, day)
        stamp = received_day.astype("datetime64[D]")
        date_text = pc.replace_substring(pc.cast(pa.array(stamp), pa.string()), "-", "")
        case_no = pc.binary_join_element_wise(
            str(CITY_CODE), date_text, number_strings(within_day + 1, 6), ""
        )
        take = pa.array(item)
        organisation = self._organisation[item]
        return pa.table(
            {
                "case_no": case_no,
                "service_item_code": self._codes.take(take),
                "service_item_name": self._names.take(take),
                "department": self._departments.take(take),
                "window": self._windows.take(take),
                "applicant_kind": pa.array(np.where(organisation, "法人", "自然人")),
                "applicant_key": self._applicants(serial, organisation),
                "case_type": pa.array(np.where(self._on_the_spot[item], "即办件", "承诺件")),
                "promised_days": pa.array(self._promised[item]),
                "received_at": pc.cast(pa.array(received), pa.string()),
                "completed_at": pc.cast(pa.array(completed), pa.string()),
            }
        )

    def _receipt_seconds(self, serial: I64) -> I64:
        morning = IndexRandom(self.seed, "case.morning").uniform(serial) < MORNING_SHARE
        offset = IndexRandom(self.seed, "case.time").uniform(serial)
        return np.where(
            morning, 9 * 3600 + offset * 3 * 3600, 13.5 * 3600 + offset * 3.5 * 3600
        ).astype(np.int64)

    def _completions(
        self, serial: I64, item: I64, received_day: np.ndarray, received: np.ndarray
    ) -> np.ndarray:
        """On-the-spot cases close within the visit; promised ones within their promise,
        a few late; cases not closed by the end date stay open (NaT)."""
        promised = self._promised[item]
        used = np.ceil(
            promised * (0.15 + 0.85 * IndexRandom(self.seed, "case.used").uniform(serial))
        )
        late = IndexRandom(self.seed, "case.late").uniform(serial) < LATE_SHARE
        used = np.where(
            late,
            promised + 1 + IndexRandom(self.seed, "case.lateness").below(serial, 5),
            np.maximum(used, 1),
        ).astype(np.int64)
        done_day = self.calendar.open_day_after(received_day, used)
        done_time = 9 * 3600 + IndexRandom(self.seed, "case.done_time").below(serial, 8 * 3600)
        promised_done = done_day.astype("datetime64[s]") + done_time.astype("timedelta64[s]")
        minutes = np.exp(3.0 + 0.6 * IndexRandom(self.seed, "case.minutes").normal(serial))
        spot_done = received + (minutes * 60).astype(np.int64).astype("timedelta64[s]")
        done = np.where(self._on_the_spot[item], spot_done, promised_done)
        cutoff = (self.end + 1).astype("datetime64[s]")
        return np.where(done < cutoff, done, np.datetime64("NaT"))

    def _applicants(self, serial: I64, organisation: np.ndarray) -> pa.Array:
        people = self.population.pick_by_age("case.applicant", serial[~organisation], 18, 90)
        firms = IndexRandom(self.seed, "case.enterprise").below(
            serial[organisation], self.register.size
        )
        keys = pa.concat_arrays(
            [self.population.id_numbers(people), self.register.credit_codes(firms)]
        )
        position = np.empty(len(serial), dtype=np.int64)
        position[~organisation] = np.arange(len(people))
        position[organisation] = len(people) + np.arange(len(firms))
        return keys.take(pa.array(position))
