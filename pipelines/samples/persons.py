"""The city's registered residents: any person's attributes computed from their index.

Resident ID numbers must be unique, and uniqueness cannot be checked across chunks that are
never in memory together. So persons are allotted up front to "birth cells" (ID region x
birth date x gender, a million cells for a city): cell sizes come from the age pyramid and
county populations by randomised rounding, and a person's sequence number is their rank in
the cell. Person indices are spread over the cells by a permutation, so consecutive persons
are a random sample (households are formed from them, see `households`). The cell table is a
few megabytes, the household arrays a few bytes per person; everything else (name, address,
dates) is hashed from the index, see `hashing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.hashing import I64, IndexRandom
from pipelines.samples.households import RELATIONS, arrange
from pipelines.samples.keys import id_matrix, strings_from_matrix
from pipelines.samples.names import ethnicities, person_names
from pipelines.samples.places import (
    CITY_CODE,
    addresses,
    city_counties,
    elsewhere,
    number_strings,
)

Days = npt.NDArray[np.datetime64]

FIRST_BIRTH_YEAR = 1926
# Relative births per year of today's population (shape of the 2020 census pyramid): the
# 1962-1975 boom, the 1985-1991 echo, the fall after 2017.
BIRTH_YEAR_WEIGHTS = (
    (1926, 0.15), (1931, 0.3), (1936, 0.55), (1941, 0.75), (1946, 1.0), (1950, 1.3),
    (1959, 0.9), (1962, 1.9), (1976, 1.5), (1985, 1.75), (1992, 1.35), (2001, 1.15),
    (2011, 1.25), (2018, 1.1), (2020, 0.85), (2021, 0.75), (2022, 0.68), (2024, 0.62),
)  # fmt: skip
LOCAL_SHARE = 0.88  # ID numbers issued in the city; the rest moved in from elsewhere
MALE_SHARE = 0.51
SEQUENCE_SLOTS = 500  # three-digit sequence numbers per gender (odd male, even female)
HOUSEHOLD_GROUP = 250_000  # households form among this many consecutive persons
STAY_IN_ID_COUNTY = 0.85  # households still registered in the county that issued the head's ID
UPDATES_SINCE = np.datetime64("2015-01-01")
DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class PersonBatch:
    """Register facts of a set of persons; arrays are aligned with `index`."""

    index: I64
    id_number: pa.Array
    name: pa.Array
    male: npt.NDArray[np.bool_]
    birth: Days
    ethnicity: pa.Array
    head: I64  # index of the household head
    relation_kind: npt.NDArray[np.int8]  # position in `households.RELATIONS`
    household_size: I64
    household_no: pa.Array
    relation: pa.Array
    county: I64  # registered residence, as an index into `city_counties()`
    address: pa.Array
    updated_at: pa.Array


class Population:
    """`size` persons born before `end_date`, reproducible from `seed`."""

    def __init__(self, size: int, seed: int, end_date: date) -> None:
        self.size = size
        self.seed = seed
        self.end = np.datetime64(end_date, "D")
        self._build_cells(np.random.default_rng([seed, 1]))
        self._spread = _coprime_near(size, 0.618 * size)
        self._build_households()

    # ---- birth cells ------------------------------------------------------------------------

    def _build_cells(self, rng: np.random.Generator) -> None:
        counties = city_counties()
        days = np.arange(np.datetime64(f"{FIRST_BIRTH_YEAR}-01-01"), self.end)
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        starts = np.array([y for y, _ in BIRTH_YEAR_WEIGHTS])
        weights = np.array([w for _, w in BIRTH_YEAR_WEIGHTS])
        day_weight = weights[np.searchsorted(starts, years, side="right") - 1] / DAYS_PER_YEAR
        # Local ID regions: each county from the year its code exists (the rule stdnum checks),
        # the prefecture code for births before any county code existed.
        valid = years[None, :] >= counties.first_year[:, None]
        county_weight = valid * counties.weights[:, None]
        total = county_weight.sum(axis=0)
        local_share = np.divide(
            county_weight, total, out=np.zeros_like(county_weight), where=total > 0
        )
        region_share = np.vstack(
            [
                local_share * LOCAL_SHARE,
                (total == 0) * LOCAL_SHARE,
                np.full(len(days), 1 - LOCAL_SHARE),
            ]
        )
        self._region_codes = np.append(counties.codes, [CITY_CODE, 0])  # 0: elsewhere
        self._elsewhere_slot = len(self._region_codes) - 1
        gender_share = np.array([1 - MALE_SHARE, MALE_SHARE])
        p = region_share[:, :, None] * day_weight[None, :, None] * gender_share[None, None, :]
        slot, day, male = (a.ravel() for a in np.indices(p.shape))
        p = p.ravel()
        keep = p > 0
        slot, day, male, p = slot[keep], day[keep], male[keep], p[keep]
        # Randomised rounding in a random cell order: exact total, each cell floor or ceil of
        # its expectation, no bias towards the cells listed first.
        order = rng.permutation(len(p))
        expected = np.cumsum(p[order])
        expected *= self.size / expected[-1]
        expected[-1] = self.size
        bounds = np.floor(np.concatenate([[0.0], expected]) + rng.random())
        counts = np.diff(bounds).astype(np.int64)
        used = counts > 0
        if counts.max(initial=0) > SEQUENCE_SLOTS:
            raise ValueError(f"{self.size} persons overflow the ID sequence numbers of a cell")
        self._cell_slot = slot[order][used].astype(np.int16)
        self._cell_day = (days[day[order][used]] - np.datetime64("1970-01-01")).astype(np.int32)
        self._cell_male = male[order][used].astype(np.bool_)
        counts = counts[used]
        self._cell_start = np.concatenate([[0], np.cumsum(counts)])
        self._cell_offset = rng.integers(0, SEQUENCE_SLOTS - counts + 1)

    def _positions(self, index: I64) -> I64:
        """Position of each person in cell order: a bijection that scatters neighbours."""
        return (np.asarray(index, dtype=np.int64) * self._spread + 12_345) % self.size

    def _cells(self, position: I64) -> I64:
        return np.searchsorted(self._cell_start, position, side="right") - 1

    def birth_and_gender(self, index: I64) -> tuple[Days, npt.NDArray[np.bool_]]:
        cell = self._cells(self._positions(index))
        birth = self._cell_day[cell].astype("datetime64[D]")
        return birth, self._cell_male[cell]

    def ages(self, index: I64) -> npt.NDArray[np.float64]:
        """Age in years at the end date."""
        birth, _ = self.birth_and_gender(index)
        return (self.end - birth).astype(np.float64) / DAYS_PER_YEAR

    def id_numbers(self, index: I64) -> pa.Array:
        position = self._positions(index)
        cell = self._cells(position)
        birth = self._cell_day[cell].astype("datetime64[D]")
        slot = self._cell_slot[cell]
        region = self._region_codes[slot]
        moved_in = slot == self._elsewhere_slot
        if moved_in.any():
            years = birth[moved_in].astype("datetime64[Y]").astype(np.int64) + 1970
            region[moved_in] = elsewhere().pick(
                IndexRandom(self.seed, "person.elsewhere"), index[moved_in], years
            )
        rank = position - self._cell_start[cell]
        sequence = (self._cell_offset[cell] + rank) * 2 + self._cell_male[cell]
        return strings_from_matrix(id_matrix(region, birth, sequence))

    def pick_by_age(self, stream: str, keys: I64, low: float, high: float) -> I64:
        """A person aged within [low, high) for each key, by rejection over a few tries."""
        chosen = IndexRandom(self.seed, f"{stream}.0").below(keys, self.size)
        pending = ~_within(self.ages(chosen), low, high)
        for attempt in range(1, 8):
            if not pending.any():
                break
            retry = IndexRandom(self.seed, f"{stream}.{attempt}").below(keys[pending], self.size)
            chosen[pending] = retry
            pending[pending] = ~_within(self.ages(retry), low, high)
        return chosen

    # ---- households -------------------------------------------------------------------------

    def _build_households(self) -> None:
        head = np.empty(self.size, dtype=np.int32)
        relation = np.empty(self.size, dtype=np.int8)
        surname = np.empty(self.size, dtype=np.int32)
        for group, first in enumerate(range(0, self.size, HOUSEHOLD_GROUP)):
            index = np.arange(first, min(first + HOUSEHOLD_GROUP, self.size))
            _, male = self.birth_and_gender(index)
            rng = np.random.default_rng([self.seed, 2, group])
            arranged = arrange(self.ages(index), male, rng)
            head[index] = first + arranged.head
            relation[index] = arranged.relation
            surname[index] = first + arranged.surname_of
        self._head, self._relation, self._surname = head, relation, surname
        self._household_size = np.bincount(head, minlength=self.size).astype(np.int8)

    def batch(self, index: I64) -> PersonBatch:
        birth, male = self.birth_and_gender(index)
        head = self._head[index].astype(np.int64)
        kind = self._relation[index]
        county = self._residence(head)
        household_no = pc.binary_join_element_wise(
            number_strings(city_counties().codes[county]), number_strings(head + 1, 9), ""
        )
        return PersonBatch(
            index=index,
            id_number=self.id_numbers(index),
            name=self.names(index),
            male=male,
            birth=birth,
            ethnicity=ethnicities(self.seed, index),
            head=head,
            relation_kind=kind,
            household_size=self._household_size[head].astype(np.int64),
            household_no=household_no,
            relation=RELATIONS.take(pa.array(kind)),
            county=county,
            address=addresses(self.seed, "household.address", head, county, province=True),
            updated_at=office_hours(self.seed, "person.updated", index, UPDATES_SINCE, self.end),
        )

    def names(self, index: I64) -> pa.Array:
        """Names; children carry their father's surname."""
        birth, male = self.birth_and_gender(index)
        surname_key = self._surname[index].astype(np.int64)
        return person_names(self.seed, index, birth_years(birth), male, surname_key)

    def _residence(self, head: I64) -> I64:
        """Registered county of each household: mostly the county that issued the head's ID."""
        counties = city_counties()
        slot = self._cell_slot[self._cells(self._positions(head))].astype(np.int64)
        random_county = IndexRandom(self.seed, "household.county").pick(head, counties.cumulative)
        stays = (slot < len(counties.codes)) & (
            IndexRandom(self.seed, "household.stays").uniform(head) < STAY_IN_ID_COUNTY
        )
        return np.where(stays, slot, random_county)


def office_hours(
    seed: int, stream: str, keys: I64, since: np.datetime64, until: np.datetime64
) -> pa.Array:
    """ "YYYY-MM-DD HH:MM:SS" times between 08:30 and 18:00 on days in [since, until)."""
    rand = IndexRandom(seed, stream)
    day = since + rand.below(keys, (until - since).astype(np.int64)).astype("timedelta64[D]")
    second = 30_600 + IndexRandom(seed, stream + ".time").below(keys, 34_200)
    stamps = day.astype("datetime64[s]") + second.astype("timedelta64[s]")
    return pc.cast(pa.array(stamps), pa.string())


def _coprime_near(modulus: int, target: float) -> int:
    """An integer near `target` sharing no factor with `modulus` (a multiplier that makes
    `i * m mod modulus` a permutation)."""
    candidate = max(1, int(target))
    while np.gcd(candidate, modulus) != 1:
        candidate += 1
    return candidate


def birth_years(days: Days) -> I64:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _within(values: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.bool_]:
    return (values >= low) & (values < high)
