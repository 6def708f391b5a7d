"""Back-office clerks: certified facts about an applicant, for a service item and a case.

Every route here names the service item and the case (as X-Road's `issue` ties a read to a
case), normalises the key with the pipelines' own code, answers from one published snapshot,
and writes one audit entry, whether it served, partly served or refused.

Before anything is read, `Exchange.screen` admits the read: subject data goes to clerks only,
for a service item their own department handles, under a case number in the centre's format
that names an open or recent case of that department for that item where the case register is
published (`api.exchange.cases`). A refusal there is logged, then answered 403 or 422.

The prefill and the lookup also take the subject in a POST body (`POST /v1/prefill`,
`POST /v1/subjects/lookup`), so the applicant's key need not sit in a URL, which access logs,
proxies and browser histories keep; the GET forms stay for existing clients.

The read routes (lookup, prefill, bundle, verify) are `async def`: once the directory state
they consult is fresh (`refresh_due`, in a worker thread about once a second), an answer is
computed from memory in well under a millisecond, and the audit entry is awaited without
holding a thread, so the thread-pool hand-offs that cost more than the answer are gone. What
can block runs in a worker thread instead: as-of reads (DuckDB queries on the snapshot file)
and bulk verification (up to 1,000 keys). Routes that write (objections) or load keys from
disk (extracts) stay plain `def`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool

import settings
from api.auth import Caller, current_caller, require_role
from api.deps import (
    case_registers_of,
    catalogue_of,
    current_snapshot,
    get_directory,
    get_signer,
)
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.exchange.access import RefusalCode, department_refusal, role_refusal
from api.exchange.answers import Objections, Reader, lookup, prefill
from api.exchange.cases import (
    CaseProblem,
    CaseRegisters,
    format_problem,
    printable,
    register_problem,
)
from api.exchange.catalogue import CatalogueCache
from api.exchange.freshness import refresh_due
from api.models_exchange import (
    BundleAnswer,
    BundleRequest,
    ExtractRequest,
    LookupRequest,
    MaterialAnswer,
    ObjectionFiled,
    ObjectionFlag,
    ObjectionRequest,
    PrefillAnswer,
    PrefillField,
    PrefillRequest,
    ReadRecord,
    Refusal,
    SubjectAnswer,
    VerifyAnswer,
    VerifyRequest,
    VerifyResult,
)
from api.serving import Snapshot
from api.signing import ExtractSigner
from contracts.keys import check_subject_key
from directory.actors import Role
from directory.audit import AuditEvent
from directory.departments import departments
from directory.services import ServiceItemView
from directory.store import Directory
from directory.workdays import local_today

router = APIRouter(
    prefix="/v1", tags=["clerk"], route_class=ErrorContractRoute, responses=ERROR_RESPONSES
)

SUBJECT_EXAMPLE = "410102198503071234"
CaseNo = Annotated[str, Query(min_length=1, max_length=64, description="办件编号 of the case")]
ServiceItem = Annotated[str, Query(min_length=1, max_length=40, description="事项编码")]
AsOf = Annotated[
    dt.datetime | None,
    Query(description="Answer as the pool stood at this moment (for reviewing a past case)"),
]


def _normalise(raw: str) -> tuple[str, str]:
    checked = check_subject_key(raw)
    if checked.value is None or checked.kind is None:
        problem = checked.problem
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "code": f"subject_{problem.value if problem else 'invalid'}",
                "message": f"{problem.message}; {problem.advice}" if problem else "not a key",
            },
        )
    return checked.value, checked.kind


def _service_item(catalogue: CatalogueCache, code: str) -> ServiceItemView:
    item = catalogue.current().service_items.get(code)
    if item is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail={
                "code": "unknown_service_item",
                "message": f"no service item {code}; list them at /v1/directory/services",
            },
        )
    return item


def _objections(directory: Directory, subject_hash: str) -> Objections:
    flags: dict[tuple[str, str], list[ObjectionFlag]] = {}
    for key, views in directory.objections.open_items(subject_hash).items():
        flags[key] = [
            ObjectionFlag(objection_id=v.id, claimed_value=v.claimed_value, filed_at=v.filed_at)
            for v in views
        ]
    return flags


@dataclass(frozen=True)
class Denied:
    """A read refused before anything was read: the audit entries to write, then the error."""

    events: tuple[AuditEvent, ...]
    error: HTTPException


def _error(status_code: int, code: str, message: str) -> HTTPException:
    return HTTPException(status_code, detail={"code": code, "message": message})


class Exchange:
    """Per-request plumbing shared by the routes: admission, reader, audit entry."""

    def __init__(
        self,
        request: Request,
        caller: Caller,
        directory: Directory,
        snapshot: Snapshot,
    ) -> None:
        self.request = request
        # The middleware's id, so the audit entry matches the response's X-Request-ID.
        self.request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        self.caller = caller
        self.directory = directory
        self.snapshot = snapshot
        self.catalogue: CatalogueCache = catalogue_of(request.app)
        self.case_registers: CaseRegisters = case_registers_of(request.app)

    def reader(
        self, item: ServiceItemView, subject_hash: str | None, as_of: dt.datetime | None
    ) -> Reader:
        return Reader(
            role=self.caller.role,
            department=self.caller.department,
            service_item=item,
            state=self.catalogue.current(),
            snapshot=self.snapshot,
            grants=self.directory.grants,
            on=as_of.date() if as_of else local_today(),
            as_of=as_of,
            objections=_objections(self.directory, subject_hash) if subject_hash else {},
        )

    async def logged(self, *events: AuditEvent) -> None:
        """Log the read and wait until the entries are committed: an answer that could not be
        logged fails instead of leaving."""
        await asyncio.wrap_future(self.directory.audit.submit(events))
        # The error edge logs refusals no route logged; this request's are in the log.
        self.request.state.audited = True

    async def refuse(self, denied: Denied) -> NoReturn:
        """Log a refusal decided before reading, then answer it."""
        await self.logged(*denied.events)
        raise denied.error

    def refuse_now(self, denied: Denied) -> NoReturn:
        """`refuse` for the plain `def` routes (run in a worker thread)."""
        self.directory.audit.append_many(denied.events)
        self.request.state.audited = True
        raise denied.error

    def _denied(
        self,
        action: str,
        status_code: int,
        code: str,
        message: str,
        *,
        service_item: str | None,
        case_no: str | None,
        subjects: Sequence[str | None],
    ) -> Denied:
        """One refused entry per subject named (so a refused probe shows in each citizen's
        who-read-my-data), or one without a subject."""
        events = tuple(
            self.event(
                action,
                service_item=service_item,
                case_no=case_no,
                subject=subject,
                resources=[],
                items=[],
                refused=[],
                reason=f"{code}: {message}",
            )
            for subject in (list(dict.fromkeys(subjects)) or [None])
        )
        return Denied(events, _error(status_code, code, message))

    def screen_role(
        self,
        action: str,
        *,
        service_item: str | None,
        case_no: str | None,
        subjects: Sequence[str],
    ) -> Denied | None:
        """Refuse every role but the clerk's, before the request is looked at further: one
        rule and one status (403) for every route that returns or confirms subject data."""
        barred = role_refusal(self.caller.role)
        if barred is None:
            return None
        code, why = barred
        return self._denied(
            action,
            status.HTTP_403_FORBIDDEN,
            code.value,
            why,
            service_item=service_item,
            case_no=case_no,
            subjects=[k for k in (check_subject_key(raw).value for raw in subjects) if k],
        )

    def screen(
        self,
        action: str,
        *,
        items: Sequence[ServiceItemView],
        case_no: str,
        subjects: Sequence[str],
        as_of: dt.datetime | None = None,
        service_item: str | None = None,
    ) -> Denied | None:
        """Admit a clerk's read for `items` under `case_no`, or say why not: the service
        item is one the clerk's department handles (for a bundle: at least one of them, the
        others are refused in the answer), and the case number is in the centre's format and,
        where the case register is published, names an open or recent case of the department
        for that item. `subjects` are normalised keys, for the audit entries."""
        label = service_item or ",".join(i.item.code for i in items)
        handled = [i for i in items if i.item.department == self.caller.department]
        if not handled:
            code, why = department_refusal(
                department=self.caller.department,
                service_item=label,
                handled_by="/".join(sorted({i.item.department for i in items})),
            ) or (RefusalCode.not_handled, "")
            return self._denied(
                action,
                status.HTTP_403_FORBIDDEN,
                code.value,
                why,
                service_item=label,
                case_no=case_no,
                subjects=subjects,
            )
        problem = self.case_problem(
            case_no, frozenset(i.item.code for i in handled), as_of.date() if as_of else None
        )
        if problem is None:
            return None
        return self._denied(
            action,
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            problem.code,
            problem.message,
            service_item=label,
            case_no=case_no,
            subjects=subjects,
        )

    def case_problem(
        self, case_no: str, service_items: frozenset[str], on: dt.date | None
    ) -> CaseProblem | None:
        """Why `case_no` does not justify a read for `service_items` on day `on`, or None."""
        problem = format_problem(case_no, settings.current().case_number_pattern)
        if problem is not None:
            return problem
        register = self.case_registers.of(self.snapshot)
        if register is None:  # the centre's approval system delivers no register
            return None
        known = departments().get(self.caller.department)
        return register_problem(
            register,
            case_no,
            service_items=service_items,
            department=self.caller.department,
            department_name=known.name if known else self.caller.department,
            on=on or local_today(),
            recent_days=settings.current().case_recent_days,
        )

    def event(
        self,
        action: str,
        *,
        service_item: str | None,
        case_no: str | None,
        subject: str | None,
        resources: list[str],
        items: list[str],
        refused: list[Refusal],
        reason: str = "",
    ) -> AuditEvent:
        """The audit entry for this request; `subject` is a key already normalised.

        A case number not in the centre's format is not written as given (a line break in it
        would forge a line in the log's listings): the entry has none, and the reason quotes
        it escaped."""
        if (
            case_no is not None
            and format_problem(case_no, settings.current().case_number_pattern) is not None
        ):
            reason = f"case number {printable(case_no)} refused; " + (
                reason or "; ".join(f"{r.resource}: {r.reason}" for r in refused)
            )
            case_no = None
        if not resources and (refused or reason):
            outcome = "refused"
        else:
            outcome = "partial" if refused else "served"
        return AuditEvent(
            at=dt.datetime.now().astimezone(),
            user=self.caller.name,
            department=self.caller.department,
            role=self.caller.role.value,
            action=action,
            outcome=outcome,
            service_item=service_item,
            case_no=case_no,
            subject_hash=self.directory.audit.normal_subject_hash(subject) if subject else None,
            resources=tuple(resources),
            items=tuple(items),
            reason=reason or "; ".join(f"{r.resource}: {r.reason}" for r in refused),
            request_id=self.request_id,
        )


async def exchange(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    directory: Annotated[Directory, Depends(get_directory)],
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
) -> Exchange:
    await refresh_due(catalogue_of(request.app), directory.grants, directory.objections)
    registers = case_registers_of(request.app)
    if registers.cached(snapshot) is False:  # a new snapshot: index its case register once
        await run_in_threadpool(registers.of, snapshot)
    return Exchange(request, caller, directory, snapshot)


async def _lookup(
    ex: Exchange, service_item: str, subject: str, case_no: str, as_of: dt.datetime | None
) -> SubjectAnswer:
    if denied := ex.screen_role(
        "subject.lookup", service_item=service_item, case_no=case_no, subjects=[subject]
    ):
        await ex.refuse(denied)
    item = _service_item(ex.catalogue, service_item)
    key, kind = _normalise(subject)
    if denied := ex.screen(
        "subject.lookup", items=[item], case_no=case_no, subjects=[key], as_of=as_of
    ):
        await ex.refuse(denied)
    reader = ex.reader(item, ex.directory.audit.normal_subject_hash(key), as_of)
    if as_of is None:
        resources, refused = lookup(reader, key)
    else:  # the history, from the snapshot's DuckDB file
        resources, refused = await run_in_threadpool(lookup, reader, key)
    await ex.logged(
        ex.event(
            "subject.lookup",
            service_item=service_item,
            case_no=case_no,
            subject=key,
            resources=[r.resource for r in resources if r.records],
            items=sorted({i for r in resources for rec in r.records for i in rec.items}),
            refused=refused,
        )
    )
    _forbid_if_nothing(resources, refused)
    return SubjectAnswer(
        subject=key,
        subject_kind=kind,
        service_item=service_item,
        case_no=case_no,
        snapshot_version=ex.snapshot.version,
        as_of=as_of,
        resources=resources,
        refused=refused,
    )


@router.get(
    "/subjects/{subject}",
    response_model=SubjectAnswer,
    summary="Certified data about a person or organisation, for a service item and case",
    description="Prefer `POST /v1/subjects/lookup`: it keeps the key out of the URL.",
)
async def subject_lookup(
    ex: Annotated[Exchange, Depends(exchange)],
    subject: Annotated[
        str, Path(description="ID number or credit code", examples=[SUBJECT_EXAMPLE])
    ],
    service_item: ServiceItem,
    case_no: CaseNo,
    as_of: AsOf = None,
) -> SubjectAnswer:
    return await _lookup(ex, service_item, subject, case_no, as_of)


@router.post(
    "/subjects/lookup",
    response_model=SubjectAnswer,
    summary="Certified data about a person or organisation, asked in the body (key not in URL)",
)
async def subject_lookup_posted(
    ex: Annotated[Exchange, Depends(exchange)], body: Annotated[LookupRequest, Body()]
) -> SubjectAnswer:
    return await _lookup(ex, body.service_item, body.subject, body.case_no, body.as_of)


async def _prefill(
    ex: Exchange, service_item: str, subject: str, case_no: str, as_of: dt.datetime | None
) -> PrefillAnswer:
    if denied := ex.screen_role(
        "prefill", service_item=service_item, case_no=case_no, subjects=[subject]
    ):
        await ex.refuse(denied)
    item = _service_item(ex.catalogue, service_item)
    key, kind = _normalise(subject)
    if denied := ex.screen("prefill", items=[item], case_no=case_no, subjects=[key], as_of=as_of):
        await ex.refuse(denied)
    reader = ex.reader(item, ex.directory.audit.normal_subject_hash(key), as_of)
    if as_of is None:
        answer = prefill(reader, key)
    else:  # the history, from the snapshot's DuckDB file
        answer = await run_in_threadpool(prefill, reader, key)
    served = [f for f in answer.fields if f.provenance is not None]
    await ex.logged(
        ex.event(
            "prefill",
            service_item=service_item,
            case_no=case_no,
            subject=key,
            resources=sorted({f.resource for f in served}),
            items=sorted({f.item for f in served}),
            refused=answer.refused,
        )
    )
    return PrefillAnswer(
        service_item=service_item,
        service_item_name=item.item.name,
        subject=key,
        subject_kind=kind,
        case_no=case_no,
        snapshot_version=ex.snapshot.version,
        as_of=as_of,
        fields=answer.fields,
        materials=answer.materials,
        materials_no_longer_needed=sum(m.no_longer_needed for m in answer.materials),
        materials_total=len(answer.materials),
        refused=answer.refused,
    )


@router.get(
    "/prefill",
    response_model=PrefillAnswer,
    summary="Prefill a service item's form for an applicant, and say which materials remain",
    description="Prefer `POST /v1/prefill`: it keeps the applicant's key out of the URL.",
)
async def prefill_form(
    ex: Annotated[Exchange, Depends(exchange)],
    service_item: ServiceItem,
    subject: Annotated[
        str, Query(description="ID number or credit code", examples=[SUBJECT_EXAMPLE])
    ],
    case_no: CaseNo,
    as_of: AsOf = None,
) -> PrefillAnswer:
    return await _prefill(ex, service_item, subject, case_no, as_of)


@router.post(
    "/prefill",
    response_model=PrefillAnswer,
    summary="Prefill a service item's form, asked in the body (the key stays out of the URL)",
)
async def prefill_form_posted(
    ex: Annotated[Exchange, Depends(exchange)], body: Annotated[PrefillRequest, Body()]
) -> PrefillAnswer:
    return await _prefill(ex, body.service_item, body.subject, body.case_no, body.as_of)


@router.post(
    "/prefill/bundle",
    response_model=BundleAnswer,
    summary="Prefill a theme bundle (一件事): each fact and each remaining material once",
    description="Only the bundle's service items that the caller's department handles are "
    "prefilled; the others are listed as refused.",
)
async def prefill_bundle(
    ex: Annotated[Exchange, Depends(exchange)], body: Annotated[BundleRequest, Body()]
) -> BundleAnswer:
    if denied := ex.screen_role(
        "bundle.prefill", service_item=body.bundle, case_no=body.case_no, subjects=[body.subject]
    ):
        await ex.refuse(denied)
    state = ex.catalogue.current()
    bundle = state.bundles.get(body.bundle)
    if bundle is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail={
                "code": "unknown_bundle",
                "message": f"no bundle {body.bundle}; list them at /v1/directory/bundles",
            },
        )
    key, _ = _normalise(body.subject)
    items = [_service_item(ex.catalogue, code) for code in bundle.service_items]
    if denied := ex.screen(
        "bundle.prefill",
        items=items,
        case_no=body.case_no,
        subjects=[key],
        service_item=",".join(bundle.service_items),
    ):
        await ex.refuse(denied)
    subject_hash = ex.directory.audit.normal_subject_hash(key)
    fields: dict[tuple[str, str], PrefillField] = {}
    materials: dict[str, MaterialAnswer] = {}
    refused: dict[tuple[str, str, str], Refusal] = {}
    for item in items:
        answer = prefill(ex.reader(item, subject_hash, None), key)
        for f in answer.fields:
            current = fields.get((f.resource, f.item))
            if current is None or (current.provenance is None and f.provenance is not None):
                fields[(f.resource, f.item)] = f
        for m in answer.materials:
            # A material still needed by any item of the bundle is still brought, once.
            seen = materials.get(m.material)
            if seen is None or (seen.no_longer_needed and not m.no_longer_needed):
                materials[m.material] = m
        for r in answer.refused:
            refused.setdefault((r.resource, r.code, r.reason), r)
    served = [f for f in fields.values() if f.provenance is not None]
    await ex.logged(
        ex.event(
            "bundle.prefill",
            service_item=",".join(bundle.service_items),
            case_no=body.case_no,
            subject=key,
            resources=sorted({f.resource for f in served}),
            items=sorted({f.item for f in served}),
            refused=list(refused.values()),
        )
    )
    return BundleAnswer(
        bundle=bundle.code,
        bundle_name=bundle.name,
        subject=key,
        case_no=body.case_no,
        snapshot_version=ex.snapshot.version,
        service_items=list(bundle.service_items),
        fields=list(fields.values()),
        materials=list(materials.values()),
        refused=list(refused.values()),
    )


@router.post(
    "/subjects/verify",
    response_model=VerifyAnswer,
    summary="Bulk check: up to 1,000 keys, whether each is valid and held in certified data",
)
async def verify_subjects(
    ex: Annotated[Exchange, Depends(exchange)], body: Annotated[VerifyRequest, Body()]
) -> VerifyAnswer:
    if denied := ex.screen_role(
        "batch.verify",
        service_item=body.service_item,
        case_no=body.case_no,
        subjects=body.subjects,
    ):
        await ex.refuse(denied)
    item = _service_item(ex.catalogue, body.service_item)
    normalised = [k for k in (check_subject_key(raw).value for raw in body.subjects) if k]
    if denied := ex.screen("batch.verify", items=[item], case_no=body.case_no, subjects=normalised):
        await ex.refuse(denied)
    reader = ex.reader(item, None, None)
    readable = [c for c, items in reader.needed().items() if reader.decide(c, items).any_allowed]
    # Up to 1,000 keys, tens of milliseconds: a worker thread's, not the event loop's.
    results = await run_in_threadpool(_verify, ex.snapshot, readable, body.subjects)
    # One entry per subject, so a bulk check shows in each citizen's who-read-my-data.
    await ex.logged(
        *(
            ex.event(
                "batch.verify",
                service_item=body.service_item,
                case_no=body.case_no,
                subject=result.normalised,
                resources=result.found_in,
                items=["record_exists"] if result.found_in else [],
                refused=[],
                reason="" if readable else "no resource of this service item is readable",
            )
            for result in results
            if result.normalised
        )
    )
    return VerifyAnswer(
        service_item=body.service_item,
        case_no=body.case_no,
        snapshot_version=ex.snapshot.version,
        results=results,
    )


def _verify(snapshot: Snapshot, readable: list[str], subjects: list[str]) -> list[VerifyResult]:
    results = []
    for raw in subjects:
        checked = check_subject_key(raw)
        if checked.value is None:
            results.append(
                VerifyResult(
                    subject=raw,
                    normalised=None,
                    valid_key=False,
                    problem=checked.problem.value if checked.problem else None,
                    found_in=[],
                )
            )
            continue
        found = [c for c in readable if snapshot.rows(c, checked.value)]
        results.append(
            VerifyResult(subject=raw, normalised=checked.value, valid_key=True, found_in=found)
        )
    return results


@router.get(
    "/subjects/{subject}/reads",
    response_model=list[ReadRecord],
    summary="Who read this subject's data: when, which department, for which case (auditors)",
)
def who_read(
    subject: Annotated[str, Path(examples=[SUBJECT_EXAMPLE])],
    caller: Annotated[Caller, Depends(require_role(Role.auditor))],
    directory: Annotated[Directory, Depends(get_directory)],
) -> list[ReadRecord]:
    key, _ = _normalise(subject)
    return [
        ReadRecord(
            at=entry.at,
            department=entry.department,
            role=entry.role,
            action=entry.action,
            service_item=entry.service_item,
            case_no=entry.case_no,
            resources=list(entry.resources),
            items=list(entry.items),
            outcome=entry.outcome,
        )
        for entry in directory.audit.reads_of(directory.audit.subject_hash(key))
    ]


def _forbid_if_nothing(resources: Sequence[object], refused: list[Refusal]) -> None:
    if not resources and refused:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": refused[0].code,
                "message": "; ".join(f"{r.resource}: {r.reason}" for r in refused),
            },
        )


@router.post(
    "/objections",
    response_model=ObjectionFiled,
    status_code=status.HTTP_201_CREATED,
    summary="Report a certified value as wrong (数据异议); it goes to the provider's steward",
)
def file_objection(
    ex: Annotated[Exchange, Depends(exchange)], body: Annotated[ObjectionRequest, Body()]
) -> ObjectionFiled:
    if ex.caller.role is not Role.clerk:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "role_may_not_object",
                "message": "objections are filed by clerks handling a case",
            },
        )
    item = _service_item(ex.catalogue, body.service_item)
    key, _ = _normalise(body.subject)
    if denied := ex.screen("objection.file", items=[item], case_no=body.case_no, subjects=[key]):
        ex.refuse_now(denied)
    subject_hash = ex.directory.audit.normal_subject_hash(key)
    view = ex.directory.objections.file(
        ex.caller.actor,
        subject_key=key,
        subject_hash=subject_hash,
        resource=body.resource,
        item=body.item,
        claimed_value=body.claimed_value,
        note=body.note,
        service_item=body.service_item,
        case_no=body.case_no,
    )
    ex.directory.audit.append(
        ex.event(
            "objection.file",
            service_item=body.service_item,
            case_no=body.case_no,
            subject=key,
            resources=[body.resource],
            items=[],
            refused=[],
        )
    )
    return ObjectionFiled(
        id=view.id,
        status=view.status.value,
        resource=view.resource,
        item=view.item,
        provider_department=view.provider_department,
    )


@router.post(
    "/extracts",
    summary="Issue a prefill or lookup answer as a signed extract (replaces a paper certificate)",
    response_description="The signed document: keep it as it is; any change breaks the signature",
)
def issue_extract(
    ex: Annotated[Exchange, Depends(exchange)],
    signer: Annotated[ExtractSigner, Depends(get_signer)],
    body: Annotated[ExtractRequest, Body()],
) -> dict[str, Any]:
    if denied := ex.screen_role(
        "extract.issue",
        service_item=body.service_item,
        case_no=body.case_no,
        subjects=[body.subject],
    ):
        ex.refuse_now(denied)
    item = _service_item(ex.catalogue, body.service_item)
    key, kind = _normalise(body.subject)
    if denied := ex.screen("extract.issue", items=[item], case_no=body.case_no, subjects=[key]):
        ex.refuse_now(denied)
    reader = ex.reader(item, ex.directory.audit.normal_subject_hash(key), None)
    payload: dict[str, Any] = {
        "kind": body.kind,
        "service_item": body.service_item,
        "service_item_name": item.item.name,
        "subject": key,
        "subject_kind": kind,
        "case_no": body.case_no,
        "snapshot_version": ex.snapshot.version,
        "issued_to": {"user": ex.caller.name, "department": ex.caller.department},
    }
    if body.kind == "prefill":
        answer = prefill(reader, key)
        facts = [f for f in answer.fields if f.provenance is not None]
        payload["fields"] = [f.model_dump(mode="json") for f in facts]
        payload["materials"] = [m.model_dump(mode="json") for m in answer.materials]
        resources, items, refused = (
            sorted({f.resource for f in facts}),
            sorted({f.item for f in facts}),
            answer.refused,
        )
    else:
        found, refused = lookup(reader, key)
        payload["resources"] = [r.model_dump(mode="json") for r in found]
        resources = [r.resource for r in found if r.records]
        items = sorted({i for r in found for rec in r.records for i in rec.items})
    ex.directory.audit.append(
        ex.event(
            "extract.issue",
            service_item=body.service_item,
            case_no=body.case_no,
            subject=key,
            resources=resources,
            items=items,
            refused=refused,
        )
    )
    if not resources:
        _forbid_if_nothing(
            [],
            refused
            or [
                Refusal(
                    resource="-",
                    items=[],
                    code="not_in_pool",
                    reason="no certified fact to certify",
                )
            ],
        )
    return signer.sign(payload)
