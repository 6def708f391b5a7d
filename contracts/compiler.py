"""Compiling a contract's row rules, through sqlglot, into one pass over a landed batch.

Rules are written once (YAML, no SQL) and compiled to a sqlglot expression tree, then rendered
for DuckDB; the same tree renders for another engine by naming another dialect. One SELECT
types every column and lists, per row, the ids of the error rules and warning rules it broke,
so splitting a batch into certified and quarantined rows costs a single scan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from contracts.model import SQL_TYPES, Column, Contract, KeyRole, LogicalType
from contracts.portable import (
    DATE_SHAPE,
    DECIMAL_SHAPE,
    DUCKDB,
    INTEGER_SHAPE,
    TIMESTAMP_SHAPE,
    render,
    unportable_rules,
    value_text,
)
from contracts.rules import (
    DateNotFuture,
    Derived,
    Enum,
    KeyValid,
    Length,
    MatchesIdNumber,
    NotNull,
    Parses,
    Range,
    Reference,
    Regex,
    Rule,
    Severity,
    Sql,
)

DIALECT = DUCKDB  # the dialect rules are written and compiled in
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S")
TRUE_WORDS = ("是", "true", "1", "y", "yes")
FALSE_WORDS = ("否", "false", "0", "n", "no")
ALLOWED_SQL_NODES = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Binary,
    exp.Unary,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Func,
    exp.Tuple,
    exp.Interval,
    exp.Var,
)
FORBIDDEN_SQL_NODES = (exp.Query, exp.Subquery, exp.Table, exp.Star, exp.Placeholder)


class RuleError(ValueError):
    """A rule that cannot be compiled; the message says which rule and how to fix it."""

    def __init__(self, rule_index: int | None, rule_id: str, message: str) -> None:
        self.rule_index = rule_index
        self.rule_id = rule_id
        where = f"quality.rules.{rule_index} " if rule_index is not None else ""
        super().__init__(f"{where}({rule_id}): {message}")


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    violation: exp.Expr  # true when the row breaks the rule
    reason: str


@dataclass(frozen=True)
class CompiledContract:
    contract: Contract
    rules: tuple[CompiledRule, ...]
    skipped: tuple[tuple[str, str], ...]  # (rule id, why it was not evaluated)

    def check_query(
        self, source: str, batch: str, dialect: str = DIALECT, where: exp.Expr | None = None
    ) -> str:
        """SELECT over `source` (a landed table) rows of `batch`: typed columns, rule ids broken.

        `where` narrows the landed rows further (a condition on `raw`, the landed row: e.g.
        ``contracts.shards.in_shard``).

        The same tree for every dialect; for an engine other than DuckDB, a rule outside the
        rule language both engines run the same way is refused (``contracts.portable``).
        """
        if not re.fullmatch(r"[0-9a-f]{64}", batch):
            raise ValueError("batch must be a content hash")
        if dialect != DIALECT:
            for rule_id, why in self.unportable():
                raise RuleError(None, rule_id, f"cannot run on {dialect}: {why}")
        inner = (
            exp.select(
                *(_typed(c).as_(c.name, quoted=True) for c in self.contract.columns),
                *(
                    _raw(c.delivered_name).as_(f"{c.name}__raw", quoted=True)
                    for c in self.contract.columns
                ),
                *(
                    _raw(f"{c.name}__problem").as_(f"{c.name}__problem", quoted=True)
                    for c in self.contract.key_columns
                ),
                *(exp.column(n, table=LANDED_ROW) for n in LINEAGE),
            )
            .from_(exp.to_table(source).as_(LANDED_ROW))
            .where(exp.column("_file_hash", table=LANDED_ROW).eq(exp.Literal.string(batch)))
        )
        if where is not None:
            inner = inner.where(where, append=True)
        outer = exp.select(
            *(exp.column(c.name, quoted=True) for c in self.contract.columns),
            *(exp.column(n) for n in LINEAGE),
            _fingerprint(self.contract, dialect).as_(RECORD_HASH),
            _rule_list(self.rules, Severity.error).as_("_errors"),
            _rule_list(self.rules, Severity.warning).as_("_warnings"),
        ).from_(inner.subquery(ROW_ALIAS))
        return render(outer, dialect)

    def reasons(self) -> dict[str, str]:
        return {r.rule.id: r.reason for r in self.rules}

    def unportable(self) -> list[tuple[str, str]]:
        """(rule id, why) of each rule that may not mean the same on DuckDB and Spark."""
        return unportable_rules(self.contract)


VALID_TO = "_valid_to"
RECORD_HASH = "_record_hash"
ROW_ALIAS = "typed"  # the checked row, as correlated subqueries (reference rules) name it
LANDED_ROW = "raw"  # the landed row, as the check query (and a `where` given to it) names it
LINEAGE = ("_row_number", "_file_hash", "_file_name", "_department", "_loaded_at")


def effective_rules(contract: Contract) -> tuple[Rule, ...]:
    """Rules implied by column flags (required, key role, type) followed by the written ones."""
    implied: list[Rule] = []
    for column in contract.columns:
        if column.required:
            implied.append(
                NotNull(kind="not_null", id=f"{column.name}.required", column=column.name)
            )
        if column.type is not LogicalType.string:
            implied.append(Parses(kind="parses", id=f"{column.name}.type", column=column.name))
        if column.key_role is not None:
            implied.append(
                KeyValid(kind="key_valid", id=f"{column.name}.key_valid", column=column.name)
            )
    return (*implied, *contract.quality.rules)


def compile_contract(
    contract: Contract,
    *,
    as_of: dt.date,
    reference_table: Callable[[str], str | None] = lambda resource: None,
) -> CompiledContract:
    """Compile every rule; `reference_table` names the certified table of another resource."""
    compiled: list[CompiledRule] = []
    skipped: list[tuple[str, str]] = []
    written = {id(r): i for i, r in enumerate(contract.quality.rules)}
    for rule in effective_rules(contract):
        index = written.get(id(rule))
        if isinstance(rule, Reference):
            table = reference_table(rule.resource)
            if table is None:
                skipped.append((rule.id, f"{rule.resource} has no certified data yet"))
                continue
            compiled.append(_reference(rule, table))
            continue
        try:
            compiled.append(_compile(contract, rule, as_of))
        except RuleError:
            raise
        except (ValueError, ParseError, re.error) as error:
            raise RuleError(index, rule.id, str(error)) from error
    return CompiledContract(contract, tuple(compiled), tuple(skipped))


def _raw(name: str) -> exp.Column:
    return exp.column(name, table=LANDED_ROW, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _template(sql: str, **values: exp.Expr) -> exp.Expr:
    return exp.replace_placeholders(sqlglot.parse_one(sql, dialect=DIALECT), **values)


def _formats(formats: tuple[str, ...]) -> exp.Array:
    return exp.Array(expressions=[exp.Literal.string(f) for f in formats])


def _shaped(text: exp.Expr, shape: str, typed: exp.Expr) -> exp.Expr:
    """`typed` where `text` has `shape`, else NULL: each engine's cast reads more than the
    shapes (differently), so only text both read alike is cast (``contracts.portable``)."""
    matches = exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(shape))
    return exp.Case(ifs=[exp.If(this=matches, true=typed)])


def _typed(column: Column) -> exp.Expr:
    """The column's value as its logical type; NULL where empty or unparseable."""
    text = _template("NULLIF(TRIM(:c), '')", c=_raw(column.name))
    match column.type:
        case LogicalType.string:
            return text
        case LogicalType.integer:
            return _shaped(text, INTEGER_SHAPE, _template("TRY_CAST(:t AS BIGINT)", t=text))
        case LogicalType.decimal:
            plain = _template("REPLACE(:t, ',', '')", t=text)
            return _shaped(plain, DECIMAL_SHAPE, _template("TRY_CAST(:t AS DOUBLE)", t=plain))
        # ISO text (the common case) takes the cast's fast path; the formats list is the
        # fallback for what departments also write (2026/11/20, 20261120, 2026年11月20日).
        case LogicalType.date:
            return _shaped(
                text,
                DATE_SHAPE,
                _template(
                    "COALESCE(TRY_CAST(:t AS DATE), TRY_CAST(TRY_STRPTIME(:t, :f) AS DATE))",
                    t=text,
                    f=_formats(DATE_FORMATS),
                ),
            )
        case LogicalType.timestamp:
            return _shaped(
                text,
                TIMESTAMP_SHAPE,
                _template(
                    "COALESCE(TRY_CAST(:t AS TIMESTAMP), TRY_STRPTIME(:t, :f))",
                    t=text,
                    f=_formats(TIMESTAMP_FORMATS + DATE_FORMATS),
                ),
            )
        case LogicalType.boolean:
            return _template(
                "CASE WHEN LOWER(:t) IN :yes THEN TRUE WHEN LOWER(:t) IN :no THEN FALSE END",
                t=text,
                yes=exp.Tuple(expressions=[exp.Literal.string(w) for w in TRUE_WORDS]),
                no=exp.Tuple(expressions=[exp.Literal.string(w) for w in FALSE_WORDS]),
            )
    raise ValueError(f"unknown type {column.type}")


def _label(contract: Contract, name: str) -> str:
    column = contract.column(name)
    return f"{column.aliases[0]}（{name}）" if column.aliases else name


def _compile(contract: Contract, rule: Rule, as_of: dt.date) -> CompiledRule:
    if isinstance(rule, Sql):
        return CompiledRule(
            rule,
            _template("(:e) IS FALSE", e=_checked_sql(contract, rule)),
            rule.description or f"不满足条件 / fails the condition {rule.expression}",
        )
    column = contract.column(rule.column)
    value, label = _col(column.name), _label(contract, column.name)
    present = value.is_(exp.null()).not_()
    match rule:
        case NotNull():
            delivered = _template("NULLIF(TRIM(:r), '')", r=_col(f"{column.name}__raw"))
            return CompiledRule(rule, delivered.is_(exp.null()), f"{label} 为空 / is missing")
        case Parses():
            raw = _col(f"{column.name}__raw")
            violation = _template("NULLIF(TRIM(:r), '') IS NOT NULL AND :v IS NULL", r=raw, v=value)
            return CompiledRule(
                rule,
                violation,
                f"{label} 不是有效的{column.type.value} / is not a valid {column.type.value}",
            )
        case KeyValid():
            problem = _col(f"{column.name}__problem")
            return CompiledRule(
                rule,
                _template(":p IS NOT NULL AND :p <> 'missing'", p=problem),
                f"{label} 号码无效 / is not a valid {_key_name(column)}",
            )
        case Regex():
            re.compile(rule.pattern)
            text = _text(column)
            violation = exp.and_(
                text.is_(exp.null()).not_(),
                exp.not_(exp.RegexpLike(this=text, expression=exp.Literal.string(rule.pattern))),
            )
            return CompiledRule(
                rule, violation, f"{label} 格式不符 / does not match {rule.pattern}"
            )
        case Enum():
            allowed = [exp.Literal.string(v) for v in rule.values]
            violation = exp.and_(present, exp.not_(value.isin(*allowed)))
            return CompiledRule(
                rule, violation, f"{label} 不在允许值内 / is not one of {'、'.join(rule.values)}"
            )
        case Range():
            return _range(rule, column, value, label)
        case Length():
            length = exp.Length(this=_text(column))
            checks: list[exp.Expr] = []
            if rule.min is not None:
                checks.append(length < rule.min)
            if rule.max is not None:
                checks.append(length > rule.max)
            if not checks:
                raise ValueError("a length rule needs min or max")
            return CompiledRule(
                rule,
                exp.and_(present, exp.or_(*checks)),
                f"{label} 长度不符 / length outside {rule.min}..{rule.max}",
            )
        case DateNotFuture():
            if column.type not in (LogicalType.date, LogicalType.timestamp):
                raise ValueError(f"column {column.name} is not a date")
            violation = _template(
                "CAST(:v AS DATE) > CAST(:d AS DATE)",
                v=value,
                d=exp.Literal.string(as_of.isoformat()),
            )
            return CompiledRule(rule, violation, f"{label} 晚于今天 / is in the future")
        case MatchesIdNumber():
            return _matches_id(contract, rule, column, value, label)
    raise ValueError(f"rule kind {rule.kind} cannot be compiled here")


def _text(column: Column) -> exp.Expr:
    """The value as text for regex and length rules: the key as normalised, else as delivered."""
    if column.type is LogicalType.string or column.key_role is not None:
        return _col(column.name)
    return _template("NULLIF(TRIM(:r), '')", r=_col(f"{column.name}__raw"))


def _key_name(column: Column) -> str:
    return {KeyRole.id_number: "ID number", KeyRole.credit_code: "credit code"}.get(
        column.key_role or KeyRole.subject, "ID number or credit code"
    )


def _range(rule: Range, column: Column, value: exp.Expr, label: str) -> CompiledRule:
    def bound(limit: float | str) -> exp.Expr:
        if column.type in (LogicalType.date, LogicalType.timestamp):
            return exp.cast(exp.Literal.string(str(dt.date.fromisoformat(str(limit)))), "DATE")
        if isinstance(limit, str):
            raise ValueError(f"bound {limit!r} is not a number")
        return exp.Literal.number(limit)

    if column.type not in (
        LogicalType.integer,
        LogicalType.decimal,
        LogicalType.date,
        LogicalType.timestamp,
    ):
        raise ValueError(f"range needs a number or date column, {column.name} is {column.type}")
    checks: list[exp.Expr] = []
    if rule.min is not None:
        checks.append(value < bound(rule.min))
    if rule.max is not None:
        checks.append(value > bound(rule.max))
    if not checks:
        raise ValueError("a range rule needs min or max")
    return CompiledRule(
        rule, exp.or_(*checks), f"{label} 超出范围 / outside {rule.min}..{rule.max}"
    )


def _matches_id(
    contract: Contract, rule: MatchesIdNumber, column: Column, value: exp.Expr, label: str
) -> CompiledRule:
    id_column = contract.column(rule.id_column)
    if id_column.key_role not in (KeyRole.id_number, KeyRole.subject):
        raise ValueError(f"{rule.id_column} does not hold ID numbers")
    ident = _col(id_column.name)
    if rule.derived is Derived.birth_date:
        derived = _template(
            "TRY_CAST(TRY_STRPTIME(SUBSTRING(:i, 7, 8), '%Y%m%d') AS DATE)", i=ident
        )
        what = "出生日期与身份证号不一致 / birth date differs from the one in the ID number"
    else:
        derived = _template(
            "CASE WHEN TRY_CAST(SUBSTRING(:i, 17, 1) AS INT) % 2 = 1 THEN '男' ELSE '女' END",
            i=ident,
        )
        what = "性别与身份证号不一致 / gender differs from the one in the ID number"
    violation = _template(
        "LENGTH(:i) = 18 AND :v IS NOT NULL AND :v IS DISTINCT FROM :d",
        i=ident,
        v=value,
        d=derived,
    )
    return CompiledRule(rule, violation, f"{label}: {what}")


def _reference(rule: Reference, table: str) -> CompiledRule:
    value = exp.column(rule.column, table=ROW_ALIAS, quoted=True)
    # Only the current version of each referenced record counts (history keeps valid_to);
    # NOT EXISTS rather than NOT IN, which a single NULL in the referenced column would defeat.
    referenced = exp.column(rule.resource_column, table="ref", quoted=True)
    known = (
        exp.select("1")
        .from_(exp.to_table(table).as_("ref"))
        .where(exp.and_(referenced.eq(value), exp.column(VALID_TO, table="ref").is_(exp.null())))
    )
    violation = exp.and_(value.is_(exp.null()).not_(), exp.not_(exp.Exists(this=known)))
    return CompiledRule(
        rule,
        violation,
        f"{rule.column} 在{rule.resource}中不存在 / "
        f"not found in {rule.resource}.{rule.resource_column}",
    )


def _checked_sql(contract: Contract, rule: Sql) -> exp.Expr:
    """Parse the escape-hatch SQL and accept only one boolean expression over known columns."""
    try:
        statements = sqlglot.parse(rule.expression, dialect=DIALECT)
    except ParseError as error:
        raise ValueError(f"the SQL does not parse: {error.errors[0]['description']}") from error
    if len(statements) != 1 or statements[0] is None:
        raise ValueError("write exactly one expression, not several statements")
    expression = statements[0]
    if isinstance(expression, exp.Query) or not isinstance(
        expression, exp.Predicate | exp.Connector | exp.Not | exp.Paren | exp.Boolean
    ):
        raise ValueError(
            "the SQL must be a condition that is true for a good row (e.g. `capital >= 0`), "
            "not a statement or a value"
        )
    names = {c.name for c in contract.columns}
    for node in expression.walk():
        if isinstance(node, FORBIDDEN_SQL_NODES):
            raise ValueError("the SQL may only use this row's columns: no tables or subqueries")
        if not isinstance(node, ALLOWED_SQL_NODES):
            raise ValueError(f"{node.key} is not allowed in a rule")
        if isinstance(node, exp.Column):
            if node.table or node.name not in names:
                raise ValueError(
                    f"unknown column {node.sql(DIALECT)}; columns are {', '.join(sorted(names))}"
                )
            node.set("this", exp.to_identifier(node.name, quoted=True))
    return expression


def _rule_list(rules: tuple[CompiledRule, ...], severity: Severity) -> exp.Expr:
    """Ids of the rules of `severity` a row breaks.

    Most rows break none, so the list is only built behind one OR of all the violations:
    a good row costs a few boolean tests, not a list.
    """
    chosen = [r for r in rules if r.rule.severity is severity]
    empty = exp.cast(exp.Array(expressions=[]), "VARCHAR[]")
    if not chosen:
        return empty
    cases = [
        exp.Case(ifs=[exp.If(this=r.violation, true=exp.Literal.string(r.rule.id))]) for r in chosen
    ]
    listed = _template("LIST_FILTER(:l, r -> r IS NOT NULL)", l=exp.Array(expressions=cases))
    broken = exp.or_(*(exp.paren(r.violation.copy()) for r in chosen))
    return exp.Case(ifs=[exp.If(this=broken, true=listed)], default=empty)


def _fingerprint(contract: Contract, dialect: str = DIALECT) -> exp.Expr:
    """MD5 of a row's typed values (NULL kept distinct from any text): one pass yields the key
    for both exact-duplicate detection and change detection in the history. Each value is
    written as DuckDB writes it, on every engine, so a record has one fingerprint."""
    parts = ", ".join(f"COALESCE(:v{i}, CHR(0))" for i in range(len(contract.columns)))
    # Parsed from DuckDB's text, so CONCAT_WS keeps DuckDB's meaning (sqlglot's own node
    # would be NULL when any part is; no part is, but the DuckDB SQL stays as it was).
    return _template(
        f"MD5(CONCAT_WS(CHR(31), {parts}))",
        **{
            f"v{i}": value_text(_col(c.name), SQL_TYPES[c.type], dialect)
            for i, c in enumerate(contract.columns)
        },
    )
