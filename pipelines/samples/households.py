"""Who lives with whom: households formed from residents' ages and genders.

A register where household members are drawn at random reads wrong at a glance: a
"spouse" forty years older, a "son" the head's age. So households are arranged the way
families are: adults of similar age marry, husbands a little older; couples aged 22-54
raise the children, the older a couple the older its children; some widowed elders live
with a couple a generation younger, some young singles still live with their parents;
everyone else lives alone. Residents are arranged in groups of consecutive indices (a random
sample each, see `persons`), so the work is vectorised and memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pipelines.samples.hashing import F64, I64

RELATIONS = pa.array(["户主", "配偶", "子", "女", "父亲", "母亲"])
HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 4  # the female form follows each gendered one
ADULT_AGE, SENIOR_AGE = 22.0, 55.0  # generation boundaries
MARRIED_SHARE = 0.8  # of the scarcer gender in each generation
WIFE_HEADS = 0.2  # couples registered under the wife
MAX_CHILDREN = 3
MAX_SIZE = 5
PARENT_GAP = 28.0  # typical age gap between parents and children, years
HUSBAND_OLDER = 2.0  # years, on average
AGE_NOISE = 3.0  # years of spread around the typical gap between generations
SPOUSE_NOISE = 1.5  # ... and between spouses
MIN_GENERATION_GAP = 17.0  # years between a parent and their child, at least
LIVES_WITH_PARENTS_BELOW = 35.0  # unmarried adults younger than this may live with parents


@dataclass(frozen=True)
class Couples:
    husband: I64
    wife: I64
    head: I64  # the one the household is registered under


@dataclass(frozen=True)
class Arrangement:
    """Per person of a group (local positions): household head, relation kind (position in
    RELATIONS), and the person whose surname they carry (the father, for children)."""

    head: I64
    relation: npt.NDArray[np.int8]
    surname_of: I64


class _Group:
    def __init__(self, age: F64, male: npt.NDArray[np.bool_], rng: np.random.Generator) -> None:
        n = len(age)
        self.age, self.male, self.rng = age, male, rng
        self.head = np.arange(n)
        self.relation = np.full(n, HEAD, dtype=np.int8)
        self.surname_of = np.arange(n)
        self.married = np.zeros(n, dtype=bool)

    def noisy(self, values: F64, spread: float = AGE_NOISE) -> F64:
        return values + self.rng.normal(0, spread, len(values))

    def marry(self, eligible: npt.NDArray[np.bool_]) -> Couples:
        """Couples of similar age: men and women at the same quantile of a noisy age."""
        men = np.flatnonzero(eligible & self.male)
        women = np.flatnonzero(eligible & ~self.male)
        count = int(MARRIED_SHARE * min(len(men), len(women)))
        men = men[np.argsort(self.noisy(self.age[men], SPOUSE_NOISE), kind="stable")]
        women = women[
            np.argsort(self.noisy(self.age[women] + HUSBAND_OLDER, SPOUSE_NOISE), kind="stable")
        ]
        quantile = np.arange(count) + 0.5
        husband = men[(quantile * len(men) / max(count, 1)).astype(np.int64)]
        wife = women[(quantile * len(women) / max(count, 1)).astype(np.int64)]
        wife_heads = self.rng.random(count) < WIFE_HEADS
        head = np.where(wife_heads, wife, husband)
        self.join(np.where(wife_heads, husband, wife), head, SPOUSE)
        self.married[husband] = self.married[wife] = True
        return Couples(husband=husband, wife=wife, head=head)

    def join(self, members: I64, heads: I64, kind: int) -> None:
        self.head[members] = heads
        gendered = kind in (CHILD, PARENT)
        self.relation[members] = kind + (gendered & ~self.male[members])

    def raise_children(self, children: I64, couples: Couples) -> None:
        """Children spread over the couples in age order: older children, older parents;
        a child matched with a couple too young for them is placed with another couple."""
        if not len(children) or not len(couples.wife):
            return
        children = children[np.argsort(self.noisy(self.age[children]), kind="stable")]
        slot = np.arange(len(children)) * len(couples.wife) // len(children)
        kept = (np.arange(len(children)) - np.searchsorted(slot, slot) < MAX_CHILDREN) & (
            self._gap(couples, slot, children) >= MIN_GENERATION_GAP
        )
        self.join(children[kept], couples.head[slot[kept]], CHILD)
        self.surname_of[children[kept]] = couples.husband[slot[kept]]
        for _ in range(2):
            left = children[self.head[children] == children]
            placed = self.move_in(left, self.age[left] + PARENT_GAP, couples, CHILD)
            self.surname_of[left[placed >= 0]] = couples.husband[placed[placed >= 0]]

    def _gap(self, couples: Couples, couple: I64, members: I64) -> F64:
        """Years between each member and the younger partner of their couple."""
        younger = np.minimum(self.age[couples.husband[couple]], self.age[couples.wife[couple]])
        return younger - self.age[members]

    def move_in(self, members: I64, target_wife_age: F64, couples: Couples, kind: int) -> I64:
        """Each member joins the couple whose wife's age is nearest the target, one member
        per couple and only where there is room; returns the couple joined, or -1."""
        joined = np.full(len(members), -1)
        if not len(members) or not len(couples.wife):
            return joined
        order = np.argsort(self.age[couples.wife], kind="stable")
        nearest = np.searchsorted(self.age[couples.wife][order], self.noisy(target_wife_age))
        couple = order[np.clip(nearest, 0, len(order) - 1)]
        first = np.zeros(len(members), dtype=bool)
        first[np.unique(couple, return_index=True)[1]] = True
        size = np.bincount(self.head, minlength=len(self.age))
        if kind == PARENT:
            older = self.age[members] - np.maximum(
                self.age[couples.husband[couple]], self.age[couples.wife[couple]]
            )
        else:
            older = self._gap(couples, couple, members)
        ok = first & (size[couples.head[couple]] < MAX_SIZE) & (older >= MIN_GENERATION_GAP)
        self.join(members[ok], couples.head[couple[ok]], kind)
        joined[ok] = couple[ok]
        return joined


def arrange(age: F64, male: npt.NDArray[np.bool_], rng: np.random.Generator) -> Arrangement:
    group = _Group(age, male, rng)
    middle_aged = (age >= ADULT_AGE) & (age < SENIOR_AGE)
    parents = group.marry(middle_aged)
    seniors = group.marry(age >= SENIOR_AGE)
    group.raise_children(np.flatnonzero(age < ADULT_AGE), parents)
    widowed = np.flatnonzero((age >= SENIOR_AGE) & ~group.married)
    group.move_in(widowed, age[widowed] - PARENT_GAP, parents, PARENT)
    single = np.flatnonzero(middle_aged & ~group.married & (age < LIVES_WITH_PARENTS_BELOW))
    joined = group.move_in(single, age[single] + PARENT_GAP, seniors, CHILD)
    group.surname_of[single[joined >= 0]] = seniors.husband[joined[joined >= 0]]
    return Arrangement(head=group.head, relation=group.relation, surname_of=group.surname_of)
