"""Rows of the person-keyed department feeds for one batch of residents.

Each feed is built from the same `PersonBatch`, so a person's name, ID and employer agree
across departments (until `dirt` makes them disagree on purpose), and shared facts such as
the employer and the wage come from one hashed stream per person.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.enterprises import Register
from pipelines.samples.hashing import F64, I64, IndexRandom, cumulative
from pipelines.samples.households import HEAD, SPOUSE
from pipelines.samples.persons import DAYS_PER_YEAR, PersonBatch
from pipelines.samples.places import (
    CITY_NAME,
    PROVINCE_SHORT,
    addresses,
    city_counties,
    number_strings,
)

INSURANCE_TYPES = {  # share of enrolled employees covered by each insurance
    "企业职工基本养老保险": 1.0, "职工基本医疗保险": 1.0, "失业保险": 0.85, "工伤保险": 0.8,
}  # fmt: skip
INSURED_SHARE = 0.6  # of working-age residents
INSURANCE_STATUSES = {"参保缴费": 90.0, "暂停缴费": 7.0, "终止参保": 3.0}
CONTRIBUTION_BASE = (4_200.0, 21_000.0)  # floor and ceiling of the monthly base, yuan
PROVIDENT_SHARE_OF_ELIGIBLE = 0.54  # of residents aged 20-65: about 35% of all residents
PROVIDENT_STATUSES = {"正常": 85.0, "封存": 12.0, "销户": 3.0}
ACCOUNT_SPACE = 10**10
ACCOUNT_FACTOR = 1_234_567_891  # coprime with 10**10: account numbers never repeat
PROPERTIES_PER_ADULT = (0.68, 0.25, 0.05, 0.02)  # share of adults with 0, 1, 2, 3 titles
ENTERPRISE_TITLE_SHARE = 0.05
USAGES = pa.array(["住宅", "商业", "办公", "工业"])
PERSON_USAGE_SHARES = (92.0, 5.0, 3.0, 0.0)
ENTERPRISE_USAGE_SHARES = (5.0, 30.0, 40.0, 25.0)
AREA_MEDIAN = np.array([100.0, 80.0, 150.0, 2000.0])  # m², per usage
AREA_SIGMA = np.array([0.3, 0.8, 0.7, 0.9])  # of the log-normal, per usage
TITLES_SINCE = np.datetime64("2016-01-01")  # unified real-estate certificates
MARRIAGE_RECORD_SHARE = 0.03  # of residents appear in a registration (two records per couple)
DIVORCE_SHARE = 0.12
MARRIAGE_RECORDS_SINCE = np.datetime64("2003-10-01")  # electronic register
ALLOWANCE_SHARE = 0.015
ALLOWANCE_STANDARD = (800.0, 600.0)  # yuan per person per month: districts, counties
ALLOWANCE_SINCE = np.datetime64("2012-01-01")


def _dates(days: npt.NDArray[np.datetime64]) -> pa.Array:
    return pc.cast(pa.array(days.astype("datetime64[D]")), pa.string())


def _between(
    rand: IndexRandom, keys: I64, low: npt.NDArray[np.datetime64], high: np.datetime64
) -> npt.NDArray[np.datetime64]:
    """A day in [low, high) per key; `low` at or after `high` gives `high` - 1."""
    span = np.maximum((high - low).astype(np.int64), 1)
    return np.minimum(low + rand.below(keys, span).astype("timedelta64[D]"), high - 1)


def _choice(rand: IndexRandom, keys: I64, table: dict[str, float]) -> pa.Array:
    return pa.array(list(table)).take(pa.array(rand.pick(keys, cumulative(list(table.values())))))


def _birthday(birth: npt.NDArray[np.datetime64], years: int) -> npt.NDArray[np.datetime64]:
    return birth + np.timedelta64(int(years * DAYS_PER_YEAR), "D")


def monthly_wages(seed: int, index: I64) -> F64:
    """A person's monthly wage in yuan: log-normal, median 6,000."""
    return 6000.0 * np.exp(0.45 * IndexRandom(seed, "person.wage").normal(index))


def population_rows(p: PersonBatch) -> pa.Table:
    """Register rows, members of a household together, head first; `_index` (not delivered)
    is each row's person index."""
    order = pa.array(np.lexsort((p.index, p.relation_kind, p.head)))
    table = pa.table(
        {
            "_index": pa.array(p.index),
            "id_number": p.id_number,
            "name": p.name,
            "gender": pa.array(np.where(p.male, "男", "女")),
            "ethnicity": p.ethnicity,
            "birth_date": _dates(p.birth),
            "region_code": number_strings(city_counties().codes[p.county]),
            "address": p.address,
            "household_no": p.household_no,
            "relation_to_head": p.relation,
            "updated_at": p.updated_at,
        }
    )
    return table.take(order)


def _ages(p: PersonBatch, end: np.datetime64) -> F64:
    return (end - p.birth).astype(np.float64) / DAYS_PER_YEAR


def insurance_rows(p: PersonBatch, register: Register, seed: int, end: np.datetime64) -> pa.Table:
    """One row per insured person and insurance type, for ~60% of working-age residents."""
    age = _ages(p, end)
    retirement = np.where(p.male, 60, 55)
    insured = (
        (age >= 18)
        & (age < retirement)
        & (IndexRandom(seed, "hrss.insured").uniform(p.index) < INSURED_SHARE)
    )
    who = np.flatnonzero(insured)
    keys = p.index[who]
    covered = np.stack(
        [
            IndexRandom(seed, f"hrss.covered.{i}").uniform(keys) < share
            for i, share in enumerate(INSURANCE_TYPES.values())
        ],
        axis=1,
    )
    person, kind = np.nonzero(covered)
    employer = register.credit_codes(register.pick_employers("person.employer", keys))
    start = _between(
        IndexRandom(seed, "hrss.start"),
        keys,
        np.maximum(_birthday(p.birth[who], 18), np.datetime64("1995-01-01")),
        end,
    )
    base = np.round(np.clip(monthly_wages(seed, keys), *CONTRIBUTION_BASE))
    status = _choice(IndexRandom(seed, "hrss.status"), keys, INSURANCE_STATUSES)
    take = pa.array(person)
    return pa.table(
        {
            "id_number": p.id_number.take(pa.array(who)).take(take),
            "name": p.name.take(pa.array(who)).take(take),
            "insurance_type": pa.array(list(INSURANCE_TYPES)).take(pa.array(kind)),
            "employer_credit_code": employer.take(take),
            "status": status.take(take),
            "start_date": _dates(start[person]),
            "monthly_base": pa.array(base[person]),
        }
    )


def provident_rows(p: PersonBatch, register: Register, seed: int, end: np.datetime64) -> pa.Table:
    """Provident-fund accounts of ~35% of residents, with the same employer as in hrss."""
    age = _ages(p, end)
    has_account = (
        (age >= 20)
        & (age < 65)
        & (IndexRandom(seed, "hpf.account").uniform(p.index) < PROVIDENT_SHARE_OF_ELIGIBLE)
    )
    who = np.flatnonzero(has_account)
    keys = p.index[who]
    account = (keys * ACCOUNT_FACTOR + 7_300_000_000) % ACCOUNT_SPACE
    opened = _between(
        IndexRandom(seed, "hpf.opened"),
        keys,
        np.maximum(_birthday(p.birth[who], 20), np.datetime64("1999-01-01")),
        end,
    )
    rate = 2 * (0.05 + 0.07 * IndexRandom(seed, "hpf.rate").uniform(keys))  # both sides, 5-12%
    deposit = np.round(monthly_wages(seed, keys) * rate)
    months = (end - opened).astype(np.int64) / 30.44
    drawn = 0.2 + 0.8 * IndexRandom(seed, "hpf.drawn").uniform(keys)  # share not withdrawn
    balance = np.round(deposit * months * drawn, 2)
    return pa.table(
        {
            "account_no": pc.binary_join_element_wise("41", number_strings(account, 10), ""),
            "id_number": p.id_number.take(pa.array(who)),
            "name": p.name.take(pa.array(who)),
            "employer_credit_code": register.credit_codes(
                register.pick_employers("person.employer", keys)
            ),
            "monthly_deposit": pa.array(deposit),
            "balance": pa.array(balance),
            "status": _choice(IndexRandom(seed, "hpf.status"), keys, PROVIDENT_STATUSES),
            "opened_date": _dates(opened),
        }
    )


def real_estate_rows(
    p: PersonBatch, register: Register, seed: int, end: np.datetime64, first_serial: int
) -> pa.Table:
    """Titles of the batch's adults (~0.4 each) plus 5% as many titles held by enterprises.

    Certificate numbers carry a running serial starting at `first_serial`, so the caller
    advances it by the number of rows to keep numbers unique across batches.
    """
    adult = _ages(p, end) >= 18
    count = np.where(
        adult, IndexRandom(seed, "nr.count").pick(p.index, cumulative(PROPERTIES_PER_ADULT)), 0
    )
    owner = np.repeat(np.arange(len(p.index)), count)
    first_title = np.diff(owner, prepend=-1) != 0
    n_person = len(owner)
    n_enterprise = round(n_person * ENTERPRISE_TITLE_SHARE / (1 - ENTERPRISE_TITLE_SHARE))
    serial = first_serial + np.arange(n_person + n_enterprise, dtype=np.int64)
    company = register.pick_employers("nr.enterprise_owner", serial[n_person:])
    by_person = np.arange(len(serial)) < n_person
    usage = np.where(
        by_person,
        IndexRandom(seed, "nr.usage").pick(serial, cumulative(PERSON_USAGE_SHARES)),
        IndexRandom(seed, "nr.usage").pick(serial, cumulative(ENTERPRISE_USAGE_SHARES)),
    )
    spread = AREA_SIGMA[usage] * IndexRandom(seed, "nr.area").normal(serial)
    area = np.round(AREA_MEDIAN[usage] * np.exp(spread), 2)
    registered = _between(
        IndexRandom(seed, "nr.registered"), serial, np.full(len(serial), TITLES_SINCE), end
    )
    year = number_strings(registered.astype("datetime64[Y]").astype(np.int64) + 1970)
    certificate = pc.binary_join_element_wise(
        PROVINCE_SHORT + "(", year, f"){CITY_NAME}不动产权第", number_strings(serial, 7), "号", ""
    )
    county = IndexRandom(seed, "nr.county").pick(serial, city_counties().cumulative)
    location = addresses(seed, "nr.location", serial, county, province=False)
    home = pc.utf8_slice_codeunits(p.address.take(pa.array(owner)), 3)  # without "河南省"
    is_home = np.concatenate([first_title, np.zeros(n_enterprise, bool)]) & (usage == 0)
    location = pc.if_else(
        pa.array(is_home), pa.concat_arrays([home, location[n_person:]]), location
    )
    mortgaged = IndexRandom(seed, "nr.mortgage").uniform(serial) < np.where(by_person, 0.3, 0.2)
    return pa.table(
        {
            "certificate_no": certificate,
            "owner_key": pa.concat_arrays(
                [p.id_number.take(pa.array(owner)), register.credit_codes(company)]
            ),
            "owner_name": pa.concat_arrays([p.name.take(pa.array(owner)), register.names(company)]),
            "owner_kind": pa.concat_arrays(
                [pa.repeat("个人", n_person), pa.repeat("单位", n_enterprise)]
            ),
            "location": location,
            "area": pa.array(area, type=pa.float64()),
            "usage": USAGES.take(pa.array(usage)),
            "registered_date": _dates(registered),
            "mortgaged": pa.array(np.where(mortgaged, "是", "否")),
        }
    )


def marriage_rows(
    p: PersonBatch, seed: int, end: np.datetime64, rng: np.random.Generator
) -> pa.Table:
    """Registrations with one record per party, naming the other party as spouse: marriages
    of couples the register lists as head and spouse, divorces of pairs now living alone.

    The batch must hold whole households (see `persons.HOUSEHOLD_GROUP`)."""
    age = _ages(p, end)
    n = len(p.index)
    wanted = round(n * MARRIAGE_RECORD_SHARE / 2)
    divorces = round(wanted * DIVORCE_SHARE)
    # Marriages: couples young enough to have married in the electronic register's time.
    spouse = np.flatnonzero((p.relation_kind == SPOUSE) & (age < 50))
    partner = np.searchsorted(p.index, p.head[spouse])
    chosen = rng.choice(len(spouse), min(wanted - divorces, len(spouse)), replace=False)
    spouse, partner = spouse[chosen], partner[chosen]
    husband = np.where(p.male[spouse], spouse, partner)
    wife = np.where(p.male[spouse], partner, spouse)
    # Divorces: a man and a woman of similar age, each now a household of one.
    alone = (p.relation_kind == HEAD) & (p.household_size == 1) & (age >= 25) & (age < 60)
    men, women = np.flatnonzero(alone & p.male), np.flatnonzero(alone & ~p.male)
    pairs = min(divorces, len(men), len(women))
    men = np.sort(rng.choice(men, pairs, replace=False))
    women = np.sort(rng.choice(women, pairs, replace=False))
    men = men[np.argsort(p.birth[men], kind="stable")]
    women = women[np.argsort(p.birth[women], kind="stable")]
    husband, wife = np.concatenate([husband, men]), np.concatenate([wife, women])
    kind = np.where(np.arange(len(husband)) < len(husband) - pairs, "结婚", "离婚")
    earliest = np.maximum.reduce(
        [
            _birthday(p.birth[husband], 22),
            _birthday(p.birth[wife], 20),
            np.full(len(husband), MARRIAGE_RECORDS_SINCE),
        ]
    )
    registered = _between(IndexRandom(seed, "ca.registered"), p.index[husband], earliest, end)
    office = city_counties().offices(p.county[husband], "民政局婚姻登记处")
    order = np.argsort(registered, kind="stable")  # the register lists records by date
    party = np.stack([husband[order], wife[order]], axis=1).ravel()  # husband, then wife
    other = np.stack([wife[order], husband[order]], axis=1).ravel()
    both = np.repeat(order, 2)
    return pa.table(
        {
            "id_number": p.id_number.take(pa.array(party)),
            "name": p.name.take(pa.array(party)),
            "spouse_id_number": p.id_number.take(pa.array(other)),
            "spouse_name": p.name.take(pa.array(other)),
            "registration_type": pa.array(kind[both]),
            "registration_date": _dates(registered[both]),
            "office": office.take(pa.array(both)),
        }
    )


def allowance_rows(p: PersonBatch, seed: int, end: np.datetime64) -> pa.Table:
    """Minimum living allowance for ~1.5% of residents, more often the old and the rural."""
    rural = ~city_counties().is_district[p.county]
    weight = np.where(_ages(p, end) >= 60, 2.5, 1.0) * np.where(rural, 2.0, 1.0)
    chance = ALLOWANCE_SHARE * weight / max(float(weight.mean()), 1e-9)
    who = np.flatnonzero(IndexRandom(seed, "ca.allowance").uniform(p.index) < chance)
    keys = p.index[who]
    size = np.minimum(p.household_size[who], 1 + IndexRandom(seed, "ca.size").below(keys, 5))
    standard = np.where(rural[who], ALLOWANCE_STANDARD[1], ALLOWANCE_STANDARD[0])
    top_up = 0.5 + 0.5 * IndexRandom(seed, "ca.top_up").uniform(keys)  # income is deducted
    start = _between(IndexRandom(seed, "ca.start"), keys, np.full(len(keys), ALLOWANCE_SINCE), end)
    return pa.table(
        {
            "id_number": p.id_number.take(pa.array(who)),
            "name": p.name.take(pa.array(who)),
            "household_size": pa.array(size, type=pa.int64()),
            "monthly_amount": pa.array(np.round(size * standard * top_up)),
            "start_date": _dates(start),
            "status": pa.array(
                np.where(IndexRandom(seed, "ca.status").uniform(keys) < 0.9, "在保", "停保")
            ),
        }
    )
