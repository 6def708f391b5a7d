"""Property-based requests over the whole OpenAPI description: no server error anywhere.

Schemathesis reads the app's own `/openapi.json` in process (ASGI), then sends each operation
its documented examples, boundary values and generated inputs against the module's real
exchange (pool, snapshot, directory): every operation as a clerk of mr, the clerk's routes
(the answers from the pool) with more examples, the directory's, objections' and quality
routes as a steward of ps, who gets past their role checks to the parameters (where ids
beyond 64 bits once gave 500), and the share-request workflow statefully, as an admin,
following the OpenAPI links from a filed request to showing, approving, rejecting and
revoking it. A 5xx, or an exception escaping the app, fails. Examples per operation are
chosen so that the file stays around a minute on two cores; they are derandomised, so that a
failure reproduces.

Random text almost never names a service item, bundle or applicant the exchange holds, so it
would stop at the 404 or 422 in front of the answers; so a generated case may have its
identifiers swapped for ones the exchange holds, keeping the rest of it as generated.

The schema is loaded when the module is collected (schemathesis' fixture-based loader does
not run on pytest 9), from the app's own description rather than over ASGI, which would start
the app there and then; schemathesis starts it at a test's first request (and stops it after
the test), so what it opens is the exchange the `exchange` fixture builds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api.main import create_app
from tests.api.conftest import Exchange
from tests.live_server import ANSWER_SECONDS

EXAMPLES_PER_OPERATION = 8
EXAMPLES_PER_CLERK_OPERATION = 40  # the clerk's routes, which read the pool, get more
EXAMPLES_PER_STEWARD_OPERATION = 12
WORKFLOWS = 10  # stateful scenarios over the share-request links
STEWARD_TAGS = ("directory", "objections", "quality")

APP = create_app()
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(APP.openapi())))
schema.app = APP  # what `from_asgi` sets: cases are sent to the app in process
# Field name -> values the exchange holds, filled in by the `known` fixture before any case.
KNOWN: dict[str, list[Any]] = {}


@pytest.fixture(scope="module")
def clerk(exchange: Exchange) -> dict[str, str]:
    return exchange.token("fuzz.clerk", "clerk", "mr")


@pytest.fixture(scope="module")
def steward(exchange: Exchange) -> dict[str, str]:
    return exchange.token("fuzz.steward", "steward", "ps")


@pytest.fixture(scope="module")
def admin(exchange: Exchange) -> dict[str, str]:
    return exchange.token("fuzz.admin", "admin", "gsc")


@pytest.fixture(scope="module")
def known(exchange: Exchange) -> dict[str, list[Any]]:
    services = exchange.directory.services
    person = exchange.person
    spaced = " ".join([person[:6], person[6:14], person[14:]])  # normalised like the pipelines
    subjects = [person, exchange.firm, spaced]
    KNOWN.update(
        service_item=[item.item.code for item in services.items()],
        bundle=[bundle.code for bundle in services.bundles()],
        subject=subjects,
        subjects=[subjects, [person, "not a key"]],
        resource=["ps_population", "nr_real_estate", "mr_enterprise"],
        item=["name", "address", "location"],
        # Open cases of the clerk's department in the register, so that reads get past it.
        case_no=[exchange.case(i.item.code) for i in services.items() if i.item.department == "mr"],
    )
    return KNOWN


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy:
    """The case as generated, or with the identifiers it has replaced by ones held."""
    parts = [p for p in (case.query, case.path_parameters, case.body) if isinstance(p, dict)]
    names = sorted({name for part in parts for name in part if name in KNOWN})
    if not names:
        return st.just(case)
    values = st.fixed_dictionaries({name: st.sampled_from(KNOWN[name]) for name in names})
    return st.one_of(values.map(lambda held: _with(case, parts, held)), st.just(case))


def _with(
    case: schemathesis.Case, parts: list[dict[str, Any]], held: dict[str, Any]
) -> schemathesis.Case:
    for part in parts:
        part.update((name, value) for name, value in held.items() if name in part)
    return case


# Every operation as a clerk, on SQLite: the clerk's routes and the directory's (as a steward)
# are fuzzed on both databases below, so this broad pass runs once; the other routes' own
# tests (extracts, analytics, audit) run on both databases.
@pytest.mark.sqlite_only
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(
    case: schemathesis.Case, clerk: dict[str, str], known: dict[str, list[Any]]
) -> None:
    case.call_and_validate(headers=clerk, checks=[not_a_server_error], timeout=ANSWER_SECONDS)


@schema.include(tag="clerk").parametrize()
@settings(
    max_examples=EXAMPLES_PER_CLERK_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_clerk_answers_hold_up_under_generated_input(
    case: schemathesis.Case, clerk: dict[str, str], known: dict[str, list[Any]]
) -> None:
    case.call_and_validate(headers=clerk, checks=[not_a_server_error], timeout=ANSWER_SECONDS)


@schema.include(tag_regex=f"^({'|'.join(STEWARD_TAGS)})").parametrize()
@settings(
    max_examples=EXAMPLES_PER_STEWARD_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_steward_routes_answer_no_server_error_past_the_role_check(
    case: schemathesis.Case, steward: dict[str, str], known: dict[str, list[Any]]
) -> None:
    case.call_and_validate(headers=steward, checks=[not_a_server_error], timeout=ANSWER_SECONDS)


def test_the_share_request_workflow_holds_up_statefully(
    admin: dict[str, str], known: dict[str, list[Any]]
) -> None:
    sharing = schema.include(path_regex="^/v1/directory/share-requests")

    class ShareRequestWorkflow(sharing.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": admin, "timeout": ANSWER_SECONDS}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    ShareRequestWorkflow.run(
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
