"""`onceonly contract diff OLD NEW`: what changed between two versions, and does it break.

Breaking means a department delivery or a consumer that was fine under OLD may fail under NEW:
a column removed or retyped, a column made required, the record key or a key role changed, a
rule added or tightened, an item shared less openly. A breaking change must come with a major
version bump; anything else needs at least a minor or patch bump.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.model import Contract, SharingType
from contracts.rules import Enum, Length, Range, Rule, Severity

SHARING_ORDER = [SharingType.unconditional, SharingType.conditional, SharingType.not_shared]


@dataclass(frozen=True)
class Change:
    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}  {self.where}: {self.what}"


@dataclass(frozen=True)
class ContractDiff:
    old: Contract
    new: Contract
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    def version_problem(self) -> str | None:
        """Why NEW's version number is not acceptable for these changes, or None."""
        old = tuple(int(p) for p in self.old.version.split("."))
        new = tuple(int(p) for p in self.new.version.split("."))
        if self.breaking and new[0] <= old[0]:
            return (
                f"breaking changes need a major version bump: {self.old.version} -> "
                f"{old[0] + 1}.0.0 at least, not {self.new.version}"
            )
        if self.changes and new <= old:
            return f"a changed contract needs a higher version than {self.old.version}"
        return None


def diff_contracts(old: Contract, new: Contract) -> ContractDiff:
    changes: list[Change] = []
    old_columns = {c.name: c for c in old.columns}
    new_columns = {c.name: c for c in new.columns}
    for name in old_columns.keys() - new_columns.keys():
        changes.append(Change(f"schema.{name}", "column removed", True))
    for name in new_columns.keys() - old_columns.keys():
        required = new_columns[name].required
        changes.append(
            Change(
                f"schema.{name}", "required column added" if required else "column added", required
            )
        )
    for name in old_columns.keys() & new_columns.keys():
        before, after = old_columns[name], new_columns[name]
        if before.type != after.type:
            changes.append(Change(f"schema.{name}", f"type {before.type} -> {after.type}", True))
        if before.required != after.required:
            changes.append(
                Change(
                    f"schema.{name}",
                    f"required {before.required} -> {after.required}",
                    after.required,
                )
            )
        if before.key_role != after.key_role:
            changes.append(
                Change(f"schema.{name}", f"key role {before.key_role} -> {after.key_role}", True)
            )
        described = ("description", "classification", "item", "authoritative", "unique")
        if any(getattr(before, f) != getattr(after, f) for f in described):
            changes.append(Change(f"schema.{name}", "description or classification changed", False))
        if set(before.aliases) - set(after.aliases):
            changes.append(Change(f"schema.{name}", "header alias removed", True))
        elif set(after.aliases) - set(before.aliases):
            changes.append(Change(f"schema.{name}", "header alias added", False))
        if old.item_sharing(before) != new.item_sharing(after):
            tighter = SHARING_ORDER.index(new.item_sharing(after)) > SHARING_ORDER.index(
                old.item_sharing(before)
            )
            changes.append(
                Change(
                    f"schema.{name}",
                    f"sharing {old.item_sharing(before)} -> {new.item_sharing(after)}",
                    tighter,
                )
            )
    if old.record_key != new.record_key:
        changes.append(
            Change("record_key", f"{list(old.record_key)} -> {list(new.record_key)}", True)
        )
    if old.sharing.type != new.sharing.type:
        tighter = SHARING_ORDER.index(new.sharing.type) > SHARING_ORDER.index(old.sharing.type)
        changes.append(Change("sharing.type", f"{old.sharing.type} -> {new.sharing.type}", tighter))
    changes += _source_changes(old, new)
    changes += _rule_changes(old, new)
    for field in ("status", "description", "purpose", "update_cycle", "name", "owner"):
        if getattr(old, field) != getattr(new, field):
            changes.append(Change(field, "changed", False))
    if old.quality.batch != new.quality.batch:
        changes.append(Change("quality.batch", "batch expectations changed", True))
    return ContractDiff(old, new, tuple(changes))


def _source_changes(old: Contract, new: Contract) -> list[Change]:
    """A department whose files were accepted must still be: dropping a format or renaming the
    files breaks its deliveries; accepting one more format, or preferring another, does not."""
    before, after = old.source, new.source
    changes = [
        Change("source.formats", f"format {f} no longer accepted", True)
        for f in before.formats
        if f not in after.formats
    ]
    changes += [
        Change("source.formats", f"format {f} accepted", False)
        for f in after.formats
        if f not in before.formats
    ]
    if before.format != after.format and before.format in after.formats:
        changes.append(
            Change("source.formats", f"preferred format {before.format} -> {after.format}", False)
        )
    if before.file_pattern != after.file_pattern:
        changes.append(
            Change("source.file_pattern", f"{before.file_pattern} -> {after.file_pattern}", True)
        )
    if before.encoding != after.encoding:
        changes.append(Change("source.encoding", "expected encoding changed", False))
    return changes


def _rule_changes(old: Contract, new: Contract) -> list[Change]:
    before = {r.id: r for r in old.quality.rules}
    after = {r.id: r for r in new.quality.rules}
    changes = [
        Change(f"quality.rules.{i}", "rule removed", False) for i in before.keys() - after.keys()
    ]
    for rule_id in after.keys() - before.keys():
        blocking = after[rule_id].severity is Severity.error
        changes.append(
            Change(f"quality.rules.{rule_id}", f"{after[rule_id].severity} rule added", blocking)
        )
    for rule_id in before.keys() & after.keys():
        if before[rule_id] != after[rule_id]:
            tightened = _tightened(before[rule_id], after[rule_id])
            changes.append(
                Change(
                    f"quality.rules.{rule_id}", "tightened" if tightened else "relaxed", tightened
                )
            )
    return changes


def _tightened(before: Rule, after: Rule) -> bool:
    """Whether a row passing `before` might fail `after` (unknown counts as tightened)."""
    if before.severity is Severity.warning and after.severity is Severity.error:
        return True
    if after.severity is Severity.warning:
        return False
    if isinstance(before, Enum) and isinstance(after, Enum) and before.column == after.column:
        return not set(before.values) <= set(after.values)
    if isinstance(before, Range | Length) and type(before) is type(after):
        assert isinstance(after, Range | Length)
        lower = _looser_or_equal(after.min, before.min, lambda a, b: a <= b)
        upper = _looser_or_equal(after.max, before.max, lambda a, b: a >= b)
        return not (lower and upper and before.column == after.column)
    return before.model_dump(exclude={"description"}) != after.model_dump(exclude={"description"})


def _looser_or_equal(new: object, old: object, looser: object) -> bool:
    if new is None:
        return True
    if old is None:
        return False
    assert callable(looser)
    return bool(looser(new, old))
