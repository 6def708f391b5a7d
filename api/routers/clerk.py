"""Back-office clerks: certified facts about an applicant, for a service item and a case.

Every route here names the service item and the case (as X-Road's `issue` ties a read to a
case), normalises the key with the pipelines' own code, answers from one published snapshot,
and writes one audit entry, whether it served, partly served or refused. The plumbing they
share (the caller, the request id, the audit entry) is `api.reads.request`'.

Before anything is read, `api.reads.screening` admits the read: subject data goes to clerks
only, for a service item their own department handles, under a case number in the centre's
format that names an open or recent case of that department for that item where the case
register is published (`api.exchange.cases`). A refusal there is logged, then answered 403 or
422.

The prefill and the lookup also take the subject in a POST body (`POST /v1/prefill`,
`POST /v1/subjects/lookup`), so the applicant's key need not sit in a URL, which access logs,
proxies and browser histories keep; the GET forms stay for existing clients.

The read routes (lookup, prefill, bundle, verify) are `async def`: once the directory state
they consult is fresh (`refresh_due`, in a worker thread about once a second), an answer is
computed from memory in well under a millisecond, and the audit entry is awaited without
holding a thread, so the thread-pool hand-offs that cost more than the answer are gone. What
can block runs in a worker thread instead: as-of reads (DuckDB queries on the snapshot file)
and bulk verification (up to 1,000 keys). Filing an objection writes, and stays plain `def`.
Issuing a signed extract is the extracts router's; who read a subject's data, the auditors'.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, status
from fastapi.concurrency import run_in_threadpool

from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.exchange.answers import lookup, prefill
from api.exchange.verification import verify_keys
from api.models_exchange import (
    PERSON,
    BundleAnswer,
    BundleRequest,
    LookupRequest,
    MaterialAnswer,
    ObjectionFiled,
    ObjectionRequest,
    PrefillAnswer,
    PrefillField,
    PrefillRequest,
    Refusal,
    SubjectAnswer,
    VerifyAnswer,
    VerifyRequest,
)
from api.reads.prefilled import filled_form, prefill_event
from api.reads.request import Exchange, error, exchange, forbid_if_nothing
from api.reads.screening import admit, find_service_item, normalise, screen, screen_role
from contracts.keys import check_subject_key
from directory.actors import Role

router = APIRouter(
    prefix="/v1", tags=["clerk"], route_class=ErrorContractRoute, responses=ERROR_RESPONSES
)

CaseNo = Annotated[str, Query(min_length=1, max_length=64, description="办件编号 of the case")]
ServiceItem = Annotated[str, Query(min_length=1, max_length=40, description="事项编码")]
AsOf = Annotated[
    dt.datetime | None,
    Query(description="Answer as the pool stood at this moment (for reviewing a past case)"),
]


async def _lookup(
    ex: Exchange, service_item: str, subject: str, case_no: str, as_of: dt.datetime | None
) -> SubjectAnswer:
    admitted = await admit(
        ex,
        "subject.lookup",
        service_item=service_item,
        subject=subject,
        case_no=case_no,
        as_of=as_of,
    )
    key, kind = admitted.key, admitted.kind
    reader = ex.reader(admitted.item, ex.subject_hash(key), as_of)
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
    forbid_if_nothing(resources, refused)
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
    subject: Annotated[str, Path(description="ID number or credit code", examples=[PERSON])],
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
    admitted = await admit(
        ex, "prefill", service_item=service_item, subject=subject, case_no=case_no, as_of=as_of
    )
    item, key, kind = admitted.item, admitted.key, admitted.kind
    reader = ex.reader(item, ex.subject_hash(key), as_of)
    if as_of is None:
        answer = prefill(reader, key)
    else:  # the history, from the snapshot's DuckDB file
        answer = await run_in_threadpool(prefill, reader, key)
    await ex.logged(
        prefill_event(ex, service_item=service_item, case_no=case_no, key=key, answer=answer)
    )
    if as_of is None:  # the form of an open case now holds these values: keep them
        form = filled_form(ex, service_item=service_item, case_no=case_no, key=key, answer=answer)
        if form is not None:  # written by the recorder's thread; the answer need not wait
            ex.forms.submit([form])
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
    subject: Annotated[str, Query(description="ID number or credit code", examples=[PERSON])],
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
    if denied := screen_role(
        ex,
        "bundle.prefill",
        service_item=body.bundle,
        case_no=body.case_no,
        subjects=[body.subject],
    ):
        await ex.refuse(denied)
    state = ex.catalogue.current()
    bundle = state.bundles.get(body.bundle)
    if bundle is None:
        raise error(
            status.HTTP_404_NOT_FOUND,
            "unknown_bundle",
            f"no bundle {body.bundle}; list them at /v1/directory/bundles",
        )
    key, _ = normalise(body.subject)
    items = [find_service_item(ex.catalogue, code) for code in bundle.service_items]
    if denied := screen(
        ex,
        "bundle.prefill",
        items=items,
        case_no=body.case_no,
        subjects=[key],
        service_item=",".join(bundle.service_items),
    ):
        await ex.refuse(denied)
    subject_hash = ex.subject_hash(key)
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
    if denied := screen_role(
        ex,
        "batch.verify",
        service_item=body.service_item,
        case_no=body.case_no,
        subjects=body.subjects,
    ):
        await ex.refuse(denied)
    item = find_service_item(ex.catalogue, body.service_item)
    normalised = [k for k in (check_subject_key(raw).value for raw in body.subjects) if k]
    if denied := screen(
        ex, "batch.verify", items=[item], case_no=body.case_no, subjects=normalised
    ):
        await ex.refuse(denied)
    reader = ex.reader(item, None, None)
    readable = [c for c, items in reader.needed().items() if reader.decide(c, items).any_allowed]
    # Up to 1,000 keys, tens of milliseconds: a worker thread's, not the event loop's.
    results = await run_in_threadpool(verify_keys, ex.snapshot, readable, body.subjects)
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
        raise error(
            status.HTTP_403_FORBIDDEN,
            "role_may_not_object",
            "objections are filed by clerks handling a case",
        )
    item = find_service_item(ex.catalogue, body.service_item)
    key, _ = normalise(body.subject)
    if denied := screen(ex, "objection.file", items=[item], case_no=body.case_no, subjects=[key]):
        ex.refuse_now(denied)
    subject_hash = ex.subject_hash(key)
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
    ex.audit.append(
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
