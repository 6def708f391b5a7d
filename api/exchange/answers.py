"""The answers a clerk gets: a subject's certified records, a prefilled form, a bundle.

Everything here is computed from one published snapshot, the catalogue state and the grant
index, so an answer is consistent with itself; the routes add authentication and the audit
record around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from api.exchange.access import AccessDecision, RefusalCode, decide
from api.exchange.catalogue import CatalogueState
from api.models_exchange import (
    FieldValue,
    MaterialAnswer,
    ObjectionFlag,
    PrefillField,
    Provenance,
    Record,
    Refusal,
    ResourceAnswer,
)
from directory.actors import Role
from directory.grants import GrantIndex
from directory.service_model import ServiceItemView
from snapshot.history import as_of_records_sql
from snapshot.reader import Snapshot

Objections = Mapping[tuple[str, str], Sequence[ObjectionFlag]]


@dataclass(frozen=True)
class Reader:
    """One request's view: who asks, for which service item, against which snapshot."""

    role: Role
    department: str
    service_item: ServiceItemView
    state: CatalogueState
    snapshot: Snapshot
    grants: GrantIndex
    on: dt.date
    as_of: dt.datetime | None = None
    objections: Objections = field(default_factory=dict)
    # contract id -> subject -> current rows, looked up for a whole batch at once (bulk)
    prefetched: Mapping[str, Mapping[str, list[dict[str, Any]]]] | None = None

    def needed(self) -> dict[str, frozenset[str]]:
        """Contract id -> items the service item's form fields and materials need."""
        return self._needed

    @cached_property
    def _needed(self) -> dict[str, frozenset[str]]:
        # Worked out once per request: every access decision of the answer asks for it.
        wanted: dict[str, set[str]] = {}
        mapping = self.service_item.mapping
        refs = [f.source for f in mapping.form_fields]
        refs += [ref for material in mapping.materials for ref in material.replaced_by]
        for ref in refs:
            entry = self.state.entries_by_code.get(ref.resource)
            contract = entry.contract_id if entry else None
            if contract:
                wanted.setdefault(contract, set()).add(ref.item)
        return {k: frozenset(v) for k, v in wanted.items()}

    def decide(self, contract_id: str, wanted: frozenset[str]) -> AccessDecision:
        return decide(
            role=self.role,
            department=self.department,
            handled_by=self.service_item.item.department,
            entry=self.state.entry_for_contract(contract_id),
            wanted=wanted,
            needed=self.needed().get(contract_id, frozenset()),
            service_item=self.service_item.item.code,
            grants=self.grants,
            on=self.on,
        )

    def rows(self, contract_id: str, subject: str) -> list[dict[str, Any]]:
        if self.as_of is None:
            if self.prefetched is not None and contract_id in self.prefetched:
                return self.prefetched[contract_id].get(subject, [])
            return self.snapshot.rows(contract_id, subject)
        key = self.snapshot.key_columns.get(contract_id)
        if key is None:
            return []
        return self.snapshot.query_records(
            as_of_records_sql(contract_id, key), [subject, self.as_of, self.as_of]
        )

    def quarantine_rules(self, contract_id: str, subject: str) -> str | None:
        return self.snapshot.quarantine_rules(contract_id, subject)


def provenance(state: CatalogueState, contract_id: str, row: Mapping[str, Any]) -> Provenance:
    entry = state.entry_for_contract(contract_id)
    return Provenance(
        resource=contract_id,
        resource_code=entry.code if entry else "",
        resource_name=entry.name if entry else contract_id,
        department=entry.provider_department if entry else str(row.get("_department", "")),
        department_name=entry.provider_name if entry else "",
        certified_at=row["_valid_from"],
        batch=str(row["_batch"]),
        file_name=row.get("_file_name"),
    )


def mask(value: Any) -> Any:
    """Enough to recognise a value the applicant states, not enough to learn it."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 2:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 2) + text[-1]


def field_value(
    reader: Reader, contract_id: str, item: str, value: Any, decision: AccessDecision
) -> FieldValue:
    masked = item in decision.masked
    return FieldValue(
        value=mask(value) if masked else value,
        masked=masked,
        masked_reason=decision.mask_reason if masked else None,
        objections=list(reader.objections.get((contract_id, item), ())),
    )


def refusals(contract_id: str, decision: AccessDecision) -> list[Refusal]:
    grouped: dict[tuple[RefusalCode, str], list[str]] = {}
    for item, reason in sorted(decision.refused.items()):
        grouped.setdefault(reason, []).append(item)
    return [
        Refusal(resource=contract_id, items=items, code=code.value, reason=why)
        for (code, why), items in grouped.items()
    ]


def lookup(reader: Reader, subject: str) -> tuple[list[ResourceAnswer], list[Refusal]]:
    """The subject's certified records in every resource the service item needs."""
    answers: list[ResourceAnswer] = []
    refused: list[Refusal] = []
    for contract_id, items in sorted(reader.needed().items()):
        decision = reader.decide(contract_id, items)
        refused += refusals(contract_id, decision)
        if not decision.any_allowed:
            continue
        records = [
            Record(
                provenance=provenance(reader.state, contract_id, row),
                items={
                    item: field_value(reader, contract_id, item, row.get(item), decision)
                    for item in sorted(decision.allowed)
                },
            )
            for row in reader.rows(contract_id, subject)
        ]
        entry = reader.state.entry_for_contract(contract_id)
        answers.append(
            ResourceAnswer(
                resource=contract_id,
                resource_name=entry.name if entry else contract_id,
                records=records,
            )
        )
    return answers, refused


@dataclass
class Prefill:
    fields: list[PrefillField]
    materials: list[MaterialAnswer]
    refused: list[Refusal]


def prefill(reader: Reader, subject: str) -> Prefill:
    """Each form field with its certified value, and which materials are no longer needed."""
    needed = reader.needed()
    decisions = {c: reader.decide(c, items) for c, items in needed.items()}
    latest: dict[str, dict[str, Any] | None] = {}
    for contract_id, decision in decisions.items():
        rows = reader.rows(contract_id, subject) if decision.any_allowed else []
        latest[contract_id] = max(rows, key=lambda r: r["_valid_from"]) if rows else None
    fields = []
    for form_field in reader.service_item.mapping.form_fields:
        entry = reader.state.entries_by_code.get(form_field.source.resource)
        contract_id = entry.contract_id if entry and entry.contract_id else ""
        fields.append(
            _prefill_field(
                reader,
                form_field.name,
                contract_id,
                form_field.source.item,
                decisions,
                latest,
                subject,
            )
        )
    materials = [
        _material(
            reader,
            m.name,
            [(r.resource, r.item) for r in m.replaced_by],
            decisions,
            latest,
            subject,
        )
        for m in reader.service_item.mapping.materials
    ]
    refused = [r for c, d in sorted(decisions.items()) for r in refusals(c, d)]
    return Prefill(fields, materials, refused)


def _prefill_field(
    reader: Reader,
    name: str,
    contract_id: str,
    item: str,
    decisions: Mapping[str, AccessDecision],
    latest: Mapping[str, dict[str, Any] | None],
    subject: str,
) -> PrefillField:
    decision = decisions.get(contract_id)
    base = PrefillField(field=name, resource=contract_id, item=item, value=None)
    if decision is None or item not in decision.allowed:
        why = decision.refused.get(item) if decision else None
        base.missing_reason = why[1] if why else "the resource is not in the catalogue"
        return base
    row = latest.get(contract_id)
    if row is None:
        base.missing_reason = _absence(reader, contract_id, subject)[1]
        return base
    value = field_value(reader, contract_id, item, row.get(item), decision)
    base.value, base.masked, base.objections = value.value, value.masked, value.objections
    base.masked_reason = value.masked_reason
    base.provenance = provenance(reader.state, contract_id, row)
    return base


def _absence(reader: Reader, contract_id: str, subject: str) -> tuple[str, str]:
    """Why a resource holds no certified record of the applicant: (code, reason)."""
    rules = reader.quarantine_rules(contract_id, subject)
    if rules is not None:
        broke = f", breaking {rules}" if rules else ""
        return "quarantined", (
            f"quarantined: the provider's record failed certification{broke}; the provider "
            "is correcting it"
        )
    return "not_in_pool", "not in the pool: the provider has no certified record for this applicant"


def _material(
    reader: Reader,
    name: str,
    sources: list[tuple[str, str]],
    decisions: Mapping[str, AccessDecision],
    latest: Mapping[str, dict[str, Any] | None],
    subject: str,
) -> MaterialAnswer:
    if not sources:
        return MaterialAnswer(
            material=name,
            no_longer_needed=False,
            reason_code="applicant_brings",
            reason="not replaced by shared data: the applicant brings it",
        )
    names = []
    for code, item in sources:
        entry = reader.state.entries_by_code.get(code)
        contract_id = entry.contract_id if entry and entry.contract_id else code
        decision = decisions.get(contract_id)
        if decision is None or item not in decision.allowed:
            why = decision.refused.get(item) if decision else None
            code_, reason = why if why else (RefusalCode.not_in_catalogue, "not in the catalogue")
            return MaterialAnswer(
                material=name, no_longer_needed=False, reason_code=code_.value, reason=reason
            )
        if latest.get(contract_id) is None:
            absent, why_absent = _absence(reader, contract_id, subject)
            return MaterialAnswer(
                material=name, no_longer_needed=False, reason_code=absent, reason=why_absent
            )
        names.append(entry.name if entry else contract_id)
    return MaterialAnswer(
        material=name,
        no_longer_needed=True,
        reason_code="replaced",
        reason=f"certified data from {'、'.join(dict.fromkeys(names))} replaces it",
    )
