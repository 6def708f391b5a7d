"""Service items, materials replaceable by data items, form fields, theme bundles, the
once-only figure per item and overall, and which service items depend on a resource."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.errors import PermissionDenied, ValidationFailed
from directory.onceonly import MaterialState
from directory.store import Directory
from tests.directory.fixtures import ADMIN, at, seeded, steward

DAY = dt.date(2026, 11, 20)


def publish(directory: Directory, contract_id: str) -> str:
    code = seeded(directory, contract_id)
    view = directory.entries.get(code)
    directory.entries.patch(
        code,
        {
            "legal_basis": "《测试依据》",
            "sharing_methods": ["api"],
            "publish_date": "2026-01-01",
            "status": "published",
            "abstract": "测试",
        },
        view.version,
        ADMIN,
        "publish",
    )
    return code


def item(code: str, department: str, volume: float = 1.0, **changes: object) -> dict[str, object]:
    return {
        "code": code,
        "name": f"事项{code}",
        "department": department,
        "window": "综合窗口1",
        "kind": "promised",
        "promised_working_days": 5,
        "subject": "organisation",
        "base_daily_volume": volume,
        **changes,
    }


@pytest.fixture
def mapped(directory: Directory) -> tuple[Directory, str, str]:
    directory.sync_contracts()
    enterprise, population = (
        publish(directory, "mr_enterprise"),
        publish(directory, "ps_population"),
    )
    hrss = steward("hrss")
    directory.services.put_item(item("4101000013", "hrss", 0.6), hrss)
    directory.services.put_item(item("4101000014", "hrss", 0.2, subject="person"), hrss)
    directory.services.set_mapping(
        "4101000013",
        {
            "materials": [
                {"name": "社会保险登记表"},
                {
                    "name": "营业执照副本",
                    "replaced_by": [
                        {"resource": enterprise, "item": "credit_code"},
                        {"resource": enterprise, "item": "name"},
                    ],
                },
                {
                    "name": "法定代表人身份证",
                    "replaced_by": [{"resource": population, "item": "id_number"}],
                },
            ],
            "form_fields": [
                {"name": "单位名称", "source": {"resource": enterprise, "item": "name"}},
                {"name": "法定代表人", "source": {"resource": population, "item": "name"}},
            ],
        },
        hrss,
    )
    directory.services.set_mapping(
        "4101000014",
        {
            "materials": [
                {"name": "身份证", "replaced_by": [{"resource": population, "item": "name"}]}
            ]
        },
        hrss,
    )
    return directory, enterprise, population


def test_service_items_are_validated(directory: Directory) -> None:
    with pytest.raises(ValidationFailed) as failed:
        directory.services.put_item(
            item("41", "xx", kind="promised", promised_working_days=0), ADMIN
        )
    fields = {p.field: p for p in failed.value.problems}
    assert set(fields) == {"code", "department", "promised_working_days"}
    assert "at least 1" in fields["promised_working_days"].fix
    with pytest.raises(ValidationFailed) as failed:
        directory.services.put_item(item("4101000001", "mr", kind="instant"), ADMIN)
    assert failed.value.problems[0].fix == "use one of: 'on_the_spot' or 'promised'"


def test_mappings_must_point_at_items_that_exist(mapped: tuple[Directory, str, str]) -> None:
    directory, enterprise, _ = mapped
    with pytest.raises(ValidationFailed) as failed:
        directory.services.set_mapping(
            "4101000013",
            {
                "materials": [
                    {"name": "营业执照", "replaced_by": [{"resource": enterprise, "item": "uscc"}]},
                    {"name": "营业执照"},
                ],
                "form_fields": [
                    {"name": "地址", "source": {"resource": "309001/000001", "item": "x"}}
                ],
            },
            steward("hrss"),
        )
    fields = {p.field: p for p in failed.value.problems}
    assert "has no data item 'uscc'" in fields["materials[0].replaced_by[0].item"].message
    assert fields["materials[0].replaced_by[0].item"].fix.startswith("use one of: credit_code")
    assert "listed twice" in fields["materials[1].name"].message
    assert "no resource 309001/000001" in fields["form_fields[0].source.resource"].message
    assert len(directory.services.get("4101000013").mapping.materials) == 3  # unchanged


def test_once_only_figure_follows_the_grants(mapped: tuple[Directory, str, str]) -> None:
    directory, enterprise, population = mapped
    hrss = steward("hrss")
    figure = directory.once_only(DAY, ["4101000013"]).items[0]
    states = {m.name: m.state for m in figure.materials}
    assert states == {
        "社会保险登记表": MaterialState.applicant,
        "营业执照副本": MaterialState.blocked,
        "法定代表人身份证": MaterialState.blocked,
    }
    assert "holds no grant" in figure.materials[1].reason
    directory.requests.submit(
        hrss,
        "hrss",
        enterprise,
        "4101000013",
        "核验营业执照",
        items=["credit_code", "name"],
        at=at(DAY),
    )
    pending = directory.requests.submit(
        hrss,
        "hrss",
        population,
        "4101000013",
        "核验身份",
        "《社会保险法》",
        ["id_number", "name"],
        at=at(DAY),
    )
    figure = directory.once_only(DAY, ["4101000013"]).items[0]
    assert (figure.materials_replaced, figure.materials_total) == (1, 3)
    assert f"share request #{pending.id} is pending" in figure.materials[2].reason
    assert (figure.form_fields, figure.form_fields_prefilled) == (2, 1)
    directory.requests.approve(pending.id, steward("ps"), DAY + dt.timedelta(days=365), at=at(DAY))
    figure = directory.once_only(DAY, ["4101000013"]).items[0]
    assert (figure.materials_replaced, figure.form_fields_prefilled) == (2, 2)
    assert figure.data_items == sorted(
        [
            f"{enterprise}:credit_code",
            f"{enterprise}:name",
            f"{population}:id_number",
            f"{population}:name",
        ]
    )


def test_once_only_figure_overall_and_weighted_by_demand(
    mapped: tuple[Directory, str, str],
) -> None:
    directory, enterprise, _ = mapped
    directory.requests.submit(
        steward("hrss"),
        "hrss",
        enterprise,
        "4101000013",
        "核验",
        items=["credit_code", "name"],
        at=at(DAY),
    )
    overall = directory.once_only(DAY)
    assert [i.code for i in overall.items] == ["4101000013", "4101000014"]
    assert (overall.materials_replaced, overall.materials_total) == (1, 4)
    assert overall.share == 0.25
    # 4101000013: 1 of 3 at volume 0.6; 4101000014: 0 of 1 at volume 0.2.
    assert overall.demand_weighted_share == pytest.approx(0.6 / (3 * 0.6 + 0.2))


def test_withdrawing_a_resource_blocks_what_depends_on_it(
    mapped: tuple[Directory, str, str],
) -> None:
    directory, enterprise, _ = mapped
    directory.requests.submit(
        steward("hrss"),
        "hrss",
        enterprise,
        "4101000013",
        "核验",
        items=["credit_code", "name"],
        at=at(DAY),
    )
    view = directory.entries.get(enterprise)
    directory.entries.patch(enterprise, {"status": "withdrawn"}, view.version, ADMIN, "停止提供")
    figure = directory.once_only(DAY, ["4101000013"]).items[0]
    assert figure.materials[1].state is MaterialState.blocked
    assert "is withdrawn" in figure.materials[1].reason


def test_which_service_items_depend_on_a_resource(mapped: tuple[Directory, str, str]) -> None:
    directory, enterprise, population = mapped
    dependents = directory.services.dependents(population)
    assert [d.code for d in dependents] == ["4101000013", "4101000014"]  # busiest first
    assert dependents[0].materials == {"法定代表人身份证": ["id_number"]}
    assert dependents[0].form_fields == {"法定代表人": "name"}
    only_id = directory.services.dependents(population, ["id_number"])
    assert [d.code for d in only_id] == ["4101000013"]
    assert directory.services.dependents(enterprise)[0].materials == {
        "营业执照副本": ["credit_code", "name"]
    }


def test_theme_bundles(mapped: tuple[Directory, str, str]) -> None:
    directory, _, _ = mapped
    bundle = {
        "code": "first_employee",
        "name": "招用首名员工",
        "service_items": ["4101000013", "4101000014"],
    }
    with pytest.raises(PermissionDenied, match="only a steward of gsc"):
        directory.services.put_bundle(bundle, steward("hrss"))
    directory.services.put_bundle(bundle, steward("gsc"))
    assert directory.services.bundle("first_employee").service_items == ["4101000013", "4101000014"]
    with pytest.raises(ValidationFailed) as failed:
        directory.services.put_bundle(dict(bundle, service_items=["4101000099"]), ADMIN)
    assert failed.value.problems[0].field == "service_items[0]"
