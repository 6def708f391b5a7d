"""Catalogue search that works for Chinese: substring and bigram matching, ranked by field.

Chinese has no spaces to split words on, so the index is of character bigrams (as in CJK
search engines): a term matches an entry that contains it, or most of its bigrams
("企业登记" finds "企业设立登记"). Exact matches in the name rank above matches in data items,
the department, the abstract and the remaining details.

The index lives in process memory and follows the store: each search first asks the store
for its newest version id (one indexed lookup) and reloads only the entries saved since, so
edits made by other processes show up at once. The same code serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.db import Database
from directory.grading import data_grade
from directory.tables import Entry, EntryVersion

# The indexed fields, and what a term found in each is worth: a name match outranks an item
# match, which outranks the department, the abstract and the remaining details.
FIELDS = ("name", "code", "data_items", "department", "abstract", "details")
NAME, CODE, ITEMS, DEPARTMENT, ABSTRACT, DETAILS = 8.0, 6.0, 4.0, 3.0, 2.0, 1.0
FUZZY_SHARE = 0.6  # share of a term's bigrams an entry must contain to match without it
_SEPARATORS = re.compile(r"[\s,，、;；。:：/|]+")
_REBUILD_SHARE = 0.25  # rebuild once this share of index slots belong to replaced entries


def normalise(text: str) -> str:
    """Full-width to half-width, lower case: "ＡＢＣ１" and "abc1" are the same text."""
    return unicodedata.normalize("NFKC", text).lower()


def _bigrams(text: str) -> set[str]:
    return set(map(str.__add__, text, text[1:]))


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    provider_department: str
    provider_name: str
    sharing_type: str
    status: str
    score: float
    matched: tuple[str, ...]
    update_cycle: str = ""
    open_to_public: bool = False
    data_grade: str = ""


@dataclass(frozen=True)
class Filters:
    """What the catalogue can be narrowed to besides words; None means any. Every given
    filter must hold (they combine with AND)."""

    department: str | None = None
    sharing_type: str | None = None
    status: str | None = None
    update_cycle: str | None = None
    open_to_public: bool | None = None
    data_grade: str | None = None


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]


@dataclass(frozen=True, slots=True)
class _Doc:
    code: str
    name: str
    department: str
    provider_name: str
    sharing_type: str
    status: str
    update_cycle: str
    open_to_public: bool
    data_grade: str
    fields: tuple[str, str, str, str, str, str]  # normalised texts, in FIELDS order
    full: str  # the fields joined, for single-character terms

    def passes(self, filters: Filters) -> bool:
        return (
            (filters.department is None or self.department == filters.department)
            and (filters.sharing_type is None or self.sharing_type == filters.sharing_type)
            and (filters.status is None or self.status == filters.status)
            and (filters.update_cycle is None or self.update_cycle == filters.update_cycle)
            and (filters.open_to_public is None or self.open_to_public == filters.open_to_public)
            and (filters.data_grade is None or self.data_grade == filters.data_grade)
        )


def _doc(document: dict[str, Any]) -> _Doc:
    """Index the stored JSON document as it is: it was validated when saved, and parsing
    10,000 of them again would triple the time to load the index."""
    items = document["data_items"]
    fields = (
        normalise(document["name"]),
        normalise(document["code"]),
        normalise(" ".join(f"{i['label']} {i['name']}" for i in items)),
        normalise(f"{document['provider_department']} {document['provider_name']}"),
        normalise(document["abstract"]),
        normalise(
            " ".join(
                [
                    *(i["description"] for i in items),
                    document["sharing_condition"],
                    document["legal_basis"],
                    document["steward"],
                ]
            )
        ),
    )
    return _Doc(
        document["code"],
        document["name"],
        document["provider_department"],
        document["provider_name"],
        document["sharing_type"],
        document["status"],
        document["update_cycle"],
        bool(document["open_to_public"]),
        data_grade(i["classification"] for i in items).value,
        fields,
        "\x1f".join(fields),
    )


class SearchIndex:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._docs: list[_Doc | None] = []
        self._slot: dict[str, int] = {}  # code -> its current slot in _docs
        # Arrays, not lists: a full garbage collection would visit each of a list's ~1.5
        # million int references for 10,000 entries; an array's numbers it does not visit.
        self._postings: dict[str, array[int]] = {}
        self._generation: int | None = None

    def search(
        self,
        query: str = "",
        department: str | None = None,
        sharing_type: str | None = None,
        status: str | None = None,
        limit: int = 20,
        offset: int = 0,
        *,
        filters: Filters | None = None,
    ) -> SearchResult:
        """Entries matching every term of `query` and every given filter, best first.

        `department`, `sharing_type` and `status` are the older spelling of the same filters;
        `filters` carries them all, and wins where both name one."""
        given = filters or Filters()
        chosen = Filters(
            department=given.department or department,
            sharing_type=given.sharing_type or sharing_type,
            status=given.status or status,
            update_cycle=given.update_cycle,
            open_to_public=given.open_to_public,
            data_grade=given.data_grade,
        )
        # Per-candidate values are kept in flat lists of numbers, never in tuples that live
        # for the whole query: thousands of surviving tuples per search would get promoted
        # by the garbage collector and trigger full collections (100+ ms pauses).
        with self._lock:
            self._refresh()
            docs = self._docs
            terms = [t for t in _SEPARATORS.split(normalise(query)) if t]
            wanted = [
                slot
                for slot in self._match(terms)
                if (doc := docs[slot]) is not None and doc.passes(chosen)
            ]
            if not terms:
                wanted.sort(key=lambda slot: self._code_of(slot))
                page = wanted[offset : offset + limit]
                return SearchResult(len(wanted), [_hit(self._doc(s), 0.0, ()) for s in page])
            query_terms = [(term, _bigrams(term)) for term in terms]
            live = cast(list[_Doc], docs)  # `wanted` holds live slots only
            scores = [_score(live[slot], query_terms) for slot in wanted]
            # Only entries scoring at least the page's lowest score can be on the page; rank
            # those few by score, then shorter name, then code order.
            floor = min(heapq.nlargest(offset + limit, scores), default=0.0)
            contenders = [i for i, score in enumerate(scores) if score >= floor]
            contenders.sort(key=lambda i: (-scores[i], len(self._doc(wanted[i]).name), wanted[i]))
            best = contenders[offset : offset + limit]
            hits = [
                _hit(self._doc(wanted[i]), scores[i], _matched(self._doc(wanted[i]), terms))
                for i in best
            ]
            return SearchResult(len(wanted), hits)

    def _doc(self, slot: int) -> _Doc:
        doc = self._docs[slot]
        assert doc is not None  # only live slots are matched
        return doc

    def _code_of(self, slot: int) -> str:
        return self._doc(slot).code

    def _match(self, terms: list[str]) -> list[int]:
        """Slots of the live entries containing every term (or most of its bigrams)."""
        if not terms:
            return [slot for slot, doc in enumerate(self._docs) if doc is not None]
        slots: set[int] | None = None
        for term in sorted(terms, key=len, reverse=True):
            found = self._term_slots(term, slots)
            slots = found if slots is None else slots & found
            if not slots:
                return []
        assert slots is not None
        return sorted(slots)

    def _term_slots(self, term: str, within: set[int] | None) -> set[int]:
        grams = _bigrams(term)
        if not grams:  # one character: scan, restricted to earlier terms' matches if any
            pool = within if within is not None else range(len(self._docs))
            return {s for s in pool if (d := self._docs[s]) is not None and term in d.full}
        counts: Counter[int] = Counter()
        for gram in grams:
            counts.update(self._postings.get(gram, ()))
        need = len(grams) if len(grams) <= 2 else math.ceil(FUZZY_SHARE * len(grams))
        return {slot for slot, n in counts.items() if n >= need}

    def _refresh(self) -> None:
        with self._db.read() as session:
            generation = session.scalar(select(func.max(EntryVersion.id)))
            if generation == self._generation:
                return
            replaced = sum(d is None for d in self._docs)
            if self._generation is None or replaced > _REBUILD_SHARE * max(len(self._docs), 1):
                self._rebuild(session)
            else:
                changed = session.scalars(
                    select(EntryVersion.code).where(EntryVersion.id > self._generation).distinct()
                ).all()
                for document in session.scalars(
                    select(Entry.document).where(Entry.code.in_(changed))
                ):
                    self._put(document)
            self._generation = generation

    def _rebuild(self, session: Session) -> None:
        self._docs, self._slot, self._postings = [], {}, {}
        for document in session.scalars(select(Entry.document).order_by(Entry.code)):
            self._put(document)

    def _put(self, document: dict[str, Any]) -> None:
        old = self._slot.get(document["code"])
        if old is not None:
            self._docs[old] = None  # postings to the old slot now lead nowhere
        slot = len(self._docs)
        doc = _doc(document)
        self._docs.append(doc)
        self._slot[doc.code] = slot
        for gram in set().union(*map(_bigrams, doc.fields)):
            postings = self._postings.get(gram)
            if postings is None:
                postings = self._postings[gram] = array("I")
            postings.append(slot)


def _score(doc: _Doc, terms: list[tuple[str, set[str]]]) -> float:
    """Field weights of the fields containing each term; most of a term's bigrams count for
    less than the term; an exact or leading match in the name counts for more.

    Unrolled over FIELDS on purpose: this runs for every candidate of every search.
    """
    score = 0.0
    name, code, items, department, abstract, details = doc.fields
    for term, grams in terms:
        exact = (
            (NAME if term in name else 0.0)
            + (CODE if term in code else 0.0)
            + (ITEMS if term in items else 0.0)
            + (DEPARTMENT if term in department else 0.0)
            + (ABSTRACT if term in abstract else 0.0)
            + (DETAILS if term in details else 0.0)
        )
        if exact:
            score += exact
        elif grams:
            score += sum(g in doc.full for g in grams) / len(grams)
        if name == term:
            score += 10.0
        elif name.startswith(term):
            score += 3.0
    return score


def _matched(doc: _Doc, terms: list[str]) -> tuple[str, ...]:
    """The fields a hit matched in (only worked out for the hits returned)."""
    return tuple(
        field
        for field, text in zip(FIELDS, doc.fields, strict=True)
        if any(term in text for term in terms)
    )


def _hit(doc: _Doc, score: float, matched: tuple[str, ...]) -> Hit:
    return Hit(
        doc.code,
        doc.name,
        doc.department,
        doc.provider_name,
        doc.sharing_type,
        doc.status,
        round(score, 3),
        matched,
        doc.update_cycle,
        doc.open_to_public,
        doc.data_grade,
    )
