"""Market entities registered in the city: any entity's attributes computed from its index.

Three kinds, as the second USCC character says: companies (1), sole proprietors (2, 个体工商户)
and farmers' cooperatives (3). Each has a legal representative who is a generated resident,
so the exchange can link an enterprise to a person. Codes embed a unique organisation code
(see `keys.org_code_matrix`) and are therefore unique without any bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.hashing import F64, I64, IndexRandom, cumulative
from pipelines.samples.keys import org_code_matrix, strings_from_matrix, uscc_matrix
from pipelines.samples.names import COOPERATIVES, INDUSTRIES, SHOPS, brands
from pipelines.samples.persons import Population, birth_years
from pipelines.samples.places import CITY_SHORT, PROVINCE_NAME, addresses, city_counties

KIND_SHARES = (0.70, 0.27, 0.03)  # company, sole proprietor, cooperative
UNIFIED_CODE_SINCE = np.datetime64("2015-10-01")  # new registrations get "MA" org codes
FIRST_REGISTRATION_YEAR = 1990
REGISTRATION_GROWTH = 0.12  # registrations per year grew ~12% a year (commercial reform)
COMPANY_FORMS = {
    "有限责任公司（自然人投资或控股）": ("有限公司", 60),
    "有限责任公司（自然人独资）": ("有限公司", 25),
    "有限责任公司（非自然人投资或控股的法人独资）": ("有限责任公司", 8),
    "股份有限公司（非上市、自然人投资或控股）": ("股份有限公司", 5),
    "有限责任公司（国有独资）": ("有限责任公司", 2),
}
STATUSES = {"存续": 72.0, "在业": 12.0, "吊销": 6.0, "注销": 10.0}


@dataclass(frozen=True)
class EnterpriseBatch:
    index: I64
    credit_code: pa.Array
    name: pa.Array
    enterprise_type: pa.Array
    kind: I64  # 1 company, 2 sole proprietor, 3 cooperative
    county: I64
    established: npt.NDArray[np.datetime64]
    status: pa.Array
    capital: F64  # 10,000 yuan
    address: pa.Array
    business_scope: pa.Array
    legal_rep_id: pa.Array
    legal_rep_name: pa.Array


class Register:
    """`size` market entities of the city, reproducible from `seed`."""

    def __init__(self, size: int, seed: int, population: Population) -> None:
        self.size = size
        self.seed = seed
        self.population = population
        self._org_offset = int(IndexRandom(seed, "enterprise.org_offset").bits([0])[0] % 10**8)
        years = np.arange(FIRST_REGISTRATION_YEAR, birth_years(np.array([population.end]))[0] + 1)
        self._years = years
        self._year_cum = cumulative(np.exp(REGISTRATION_GROWTH * (years - years[-1])))

    def _rand(self, stream: str) -> IndexRandom:
        return IndexRandom(self.seed, f"enterprise.{stream}")

    def kinds(self, index: I64) -> I64:
        return self._rand("kind").pick(index, cumulative(KIND_SHARES)) + 1

    def counties(self, index: I64) -> I64:
        return self._rand("county").pick(index, city_counties().cumulative)

    def established(self, index: I64) -> npt.NDArray[np.datetime64]:
        year = self._years[self._rand("year").pick(index, self._year_cum)]
        start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        day = start + self._rand("day").below(index, 365).astype("timedelta64[D]")
        return np.minimum(day, self.population.end - np.timedelta64(1, "D"))

    def credit_codes(self, index: I64) -> pa.Array:
        kind = self.kinds(index)
        modern = (kind != 1) | (self.established(index) >= UNIFIED_CODE_SINCE)
        org = org_code_matrix(index, modern, self._org_offset)
        region = city_counties().codes[self.counties(index)]
        return strings_from_matrix(uscc_matrix(kind, region, org))

    def names(self, index: I64) -> pa.Array:
        kind = self.kinds(index)
        counties = city_counties()
        county = pa.array(counties.names).take(pa.array(self.counties(index)))
        brand = brands(self.seed, index)
        industry = pa.array(list(INDUSTRIES)).take(pa.array(self._industry(index)))
        form = pa.array([v[0] for v in COMPANY_FORMS.values()]).take(pa.array(self._form(index)))
        prefix = pc.if_else(
            pa.array(self._rand("provincial").uniform(index) < 0.1),
            PROVINCE_NAME[:2],
            CITY_SHORT,
        )
        company = pc.binary_join_element_wise(prefix, brand, industry, form, "")
        shop = pa.array(list(SHOPS)).take(pa.array(self._rand("shop").below(index, len(SHOPS))))
        owner = pc.utf8_slice_codeunits(self.population.names(self.legal_reps(index)), 0, 1)
        proprietor = pc.binary_join_element_wise(
            county,
            pc.if_else(
                pa.array(self._rand("shop_style").uniform(index) < 0.5),
                pc.binary_join_element_wise(owner, "记", ""),
                brand,
            ),
            shop,
            "",
        )
        coop_kind = self._rand("coop").below(index, len(COOPERATIVES))
        coop = pc.binary_join_element_wise(
            county, brand, pa.array(list(COOPERATIVES)).take(pa.array(coop_kind)), ""
        )
        return _by_kind(kind, company, proprietor, coop)

    def legal_reps(self, index: I64) -> I64:
        return self.population.pick_by_age("enterprise.legal_rep", index, 22, 75)

    def _industry(self, index: I64) -> I64:
        return self._rand("industry").below(index, len(INDUSTRIES))

    def _form(self, index: I64) -> I64:
        return self._rand("form").pick(index, cumulative([v[1] for v in COMPANY_FORMS.values()]))

    def batch(self, index: I64) -> EnterpriseBatch:
        kind = self.kinds(index)
        county = self.counties(index)
        established = self.established(index)
        legal_rep = self.legal_reps(index)
        company_type = pa.array(list(COMPANY_FORMS)).take(pa.array(self._form(index)))
        n = len(index)
        enterprise_type = _by_kind(
            kind, company_type, pa.repeat("个体工商户", n), pa.repeat("农民专业合作社", n)
        )
        scope = _by_kind(
            kind,
            pa.array(list(INDUSTRIES.values())).take(pa.array(self._industry(index))),
            pa.array(list(SHOPS.values())).take(
                pa.array(self._rand("shop").below(index, len(SHOPS)))
            ),
            pa.array(list(COOPERATIVES.values())).take(
                pa.array(self._rand("coop").below(index, len(COOPERATIVES)))
            ),
        )
        # Capital in 10,000 yuan: log-normal, by kind (proprietors declare small funds).
        median = np.array([0.0, 100.0, 5.0, 50.0])[kind]
        capital = np.round(median * np.exp(1.2 * self._rand("capital").normal(index)), 2).clip(
            0.1, 500_000
        )
        status = pa.array(list(STATUSES)).take(
            pa.array(self._rand("status").pick(index, cumulative(list(STATUSES.values()))))
        )
        return EnterpriseBatch(
            index=index,
            credit_code=self.credit_codes(index),
            name=self.names(index),
            enterprise_type=enterprise_type,
            kind=kind,
            county=county,
            established=established,
            status=status,
            capital=capital,
            address=addresses(self.seed, "enterprise.address", index, county, province=True),
            business_scope=scope,
            legal_rep_id=self.population.id_numbers(legal_rep),
            legal_rep_name=self.population.names(legal_rep),
        )

    def pick_employers(self, stream: str, keys: I64) -> I64:
        """Employers for the given keys, skewed so that a few enterprises employ many."""
        return (self.size * self._rand(stream).uniform(keys) ** 2.5).astype(np.int64)


def _by_kind(kind: I64, company: pa.Array, proprietor: pa.Array, coop: pa.Array) -> pa.Array:
    return pc.case_when(
        pc.make_struct(pa.array(kind == 1), pa.array(kind == 2)), company, proprietor, coop
    )
