"""Entries are seeded from the contracts, and a contract change updates the entry's items,
shows stewards what changed, and keeps what the stewards added."""

from __future__ import annotations

from typing import Any

from contracts.model import Contract
from contracts.registry import bundled_contracts
from directory.entries import VersionKind
from directory.model import Status
from directory.store import Directory
from tests.directory.fixtures import seeded, steward


def changed(contract_id: str, **changes: Any) -> dict[str, Contract]:
    """The bundled contracts, with one of them edited as its new version."""
    contracts = dict(bundled_contracts())
    raw = contracts[contract_id].model_dump(by_alias=True, mode="json")
    raw.pop("quality", None)  # its rules may name the columns a test removes
    raw.update(changes)
    contracts[contract_id] = Contract.model_validate(raw)
    return contracts


def test_seeding_creates_draft_entries_from_the_contracts(directory: Directory) -> None:
    results = directory.sync_contracts()
    assert {r.action for r in results} == {"created"}
    assert len(results) == len(bundled_contracts())
    code = seeded(directory, "mr_enterprise")
    document = directory.entries.get(code).document
    assert code == "302001/000001"  # 部门类 3, 项 = mr's number, 目 001
    assert document.status is Status.draft
    assert document.provider_name == "市场监督管理局"
    assert document.contract_id == "mr_enterprise" and document.contract_version == "1.0.0"
    assert [i.name for i in document.data_items][:3] == ["credit_code", "name", "enterprise_type"]
    credit = document.item("credit_code")
    assert credit is not None and credit.label == "统一社会信用代码" and credit.length == 18
    assert document.sharing_type.value == "unconditional"
    assert {r.action for r in directory.sync_contracts()} == {"unchanged"}


def test_a_contract_change_updates_items_and_keeps_steward_fields(sample: Directory) -> None:
    code = seeded(sample, "hpf_account")
    before = sample.entries.get(code)
    raw = bundled_contracts()["hpf_account"].model_dump(by_alias=True, mode="json")
    columns = [c for c in raw["schema"] if c["name"] != "opened_date"]
    for column in columns:
        if column["name"] == "monthly_deposit":
            column["type"] = "integer"
    columns.append(
        {
            "name": "deposit_ratio",
            "type": "decimal",
            "aliases": ["缴存比例"],
            "description": "缴存比例（%）",
        }
    )
    results = sample.sync_contracts(changed("hpf_account", version="1.1.0", schema=columns))
    result = next(r for r in results if r.contract_id == "hpf_account")
    assert result.action == "updated"
    fields = {c.field: (c.before, c.after) for c in result.changes}
    assert fields["data_items[monthly_deposit].type"] == ("decimal", "integer")
    assert fields["data_items[opened_date]"][1] is None
    assert fields["data_items[deposit_ratio]"][0] is None
    assert fields["contract_version"] == ("1.0.0", "1.1.0")
    after = sample.entries.get(code)
    assert after.version == before.version + 1
    assert after.document.legal_basis == before.document.legal_basis == "《住房公积金管理条例》"
    assert after.document.status is Status.published
    latest = sample.entries.history(code)[0]
    assert latest.kind is VersionKind.contract and latest.author == "contract:hpf_account"
    assert latest.reason == "contract hpf_account 1.0.0 -> 1.1.0"


def test_a_change_the_entry_cannot_take_is_reported_not_applied(sample: Directory) -> None:
    code = seeded(sample, "tax_standing")
    # Unconditional -> conditional: a published entry then needs a legal basis it lacks.
    sharing = {"type": "conditional", "condition": "仅限办理涉税事项"}
    results = sample.sync_contracts(changed("tax_standing", version="2.0.0", sharing=sharing))
    result = next(r for r in results if r.contract_id == "tax_standing")
    assert result.action == "blocked"
    assert ("sharing_type", "unconditional", "conditional") in {
        (c.field, c.before, c.after) for c in result.changes
    }
    assert {p.field for p in result.problems} >= {"legal_basis"}
    assert sample.entries.get(code).document.contract_version == "1.0.0"
    # Once the steward has added the legal basis, the same sync goes through.
    view = sample.entries.get(code)
    sample.entries.patch(
        code,
        {"legal_basis": "《中华人民共和国税收征收管理法》"},
        view.version,
        steward("tax"),
        "准备改为有条件共享",
    )
    results = sample.sync_contracts(changed("tax_standing", version="2.0.0", sharing=sharing))
    assert next(r for r in results if r.contract_id == "tax_standing").action == "updated"
