"""The rule language both engines run the same way, and its rendering for each engine.

A contract's rules compile once, into one sqlglot tree (``contracts.compiler``), written in
DuckDB's dialect. sqlglot renders that tree for Spark, but a faithful translation is not the
same meaning: DuckDB and Spark disagree on what some functions do with the same input. Three
kinds of difference are handled here, so that a batch certifies row for row the same on both:

1. Constructs sqlglot leaves untranslated or translates with another meaning, rewritten for
   Spark by :func:`render`: DuckDB's ``TRY_STRPTIME`` (one format or a list) becomes Spark's
   ``TRY_TO_TIMESTAMP`` with Java patterns; the compiler's ``LIST_FILTER(..., r -> r IS NOT
   NULL)`` becomes ``ARRAY_COMPACT`` (Spark allows no subquery in a lambda's list); ``TRIM``
   removes every Unicode space separator on DuckDB (U+3000, the full-width space, included)
   and only U+0020 on Spark, so Spark is given the set; a correlated ``EXISTS`` (reference
   rules) becomes an uncorrelated ``IN``, which Spark plans in a projection; regular
   expressions are rewritten for Java (below).
2. Regular expressions: DuckDB matches with RE2, Spark with ``java.util.regex``. On the subset
   :func:`unportable_regex` accepts they agree once ``$`` (RE2: end of text; Java: also before a
   final line break) is written ``\\z`` and ``.`` (RE2: any but ``\\n``; Java: also not ``\\r``,
   U+0085, U+2028, U+2029) is written ``[^\\n]``.
3. The ``sql`` escape hatch: :func:`unportable_sql` refuses what is outside the subset tested on
   both engines (``tests/contracts/test_portable.py``), e.g. ``concat_ws`` and ``concat`` (NULL
   arguments), window functions (sqlglot drops ``IGNORE NULLS`` and changes ``RANGE`` frames),
   division (by zero: NULL on one engine, an error on the other), ``upper``/``lower`` (Unicode
   case mappings differ: ``upper('ß')``), casts of columns (each engine parses text its own way).
   :func:`unportable_rules` lists a contract's rules outside the language (regex or SQL), the
   compiler refuses to render them for Spark, and ``contract lint`` reports them with the
   rule and what to write instead.

Typed values are the engines' common ground too: the compiler only casts text of the shapes
in ``*_SHAPE`` below, which both engines parse identically, and :func:`value_text` renders a
DOUBLE as DuckDB writes it (shortest round-trip digits, Python's ``repr`` layout) on Spark, so
the record fingerprint, hence duplicate and change detection, is the same on both.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from contracts.model import Contract
from contracts.rules import Regex, Sql

DUCKDB = "duckdb"
SPARK = "spark"
DIALECTS = (DUCKDB, SPARK)

# DuckDB's TRIM removes the Unicode space separators (category Zs); Spark's only U+0020.
SPACE_SEPARATORS = (
    " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)

# Text shapes the typed columns accept: both engines parse these to the same value (and
# refuse the same impossible dates), which their casts do not do beyond them (DuckDB reads
# '0x10' as the integer 16 and rounds '2.5' to 3; Spark reads '2026' as a date).
INTEGER_SHAPE = r"^[+-]?[0-9]+$"
DECIMAL_SHAPE = r"^[+-]?([0-9]{1,30}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$"
_YEAR = "[1-9][0-9]{3}"
_MD = "[0-9]{1,2}"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
_HMS = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
DATE_SHAPE = (
    f"^{_YEAR}(-{_MD}-{_MD}([ T]{_TIME})?|/{_MD}/{_MD}|\\.{_MD}\\.{_MD}|[0-9]{{4}}"
    f"|年{_MD}月{_MD}日)$"
)
TIMESTAMP_SHAPE = (
    f"^{_YEAR}(-{_MD}-{_MD}([ T]{_TIME})?|/{_MD}/{_MD}( {_HMS})?|\\.{_MD}\\.{_MD}"
    f"|[0-9]{{4}}|[0-9]{{10}}|年{_MD}月{_MD}日)$"
)

# DuckDB strptime directives as Java DateTimeFormatter patterns (Spark's TRY_TO_TIMESTAMP).
_JAVA_DIRECTIVES = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "mm", "%S": "ss"}
# Fixed widths where digits follow digits: Java must know where the month ends.
_JAVA_PACKED = {"%Y%m%d": "yyyyMMdd", "%Y%m%d%H%M%S": "yyyyMMddHHmmss"}

# DuckDB prints a DOUBLE like Python's repr: shortest round-trip digits, positional from 1e-4
# to 1e16, else `1.5e-07`. Java's Double.toString gives the same digits (for the values
# departments write), positional only from 1e-3 to 1e7, so Spark takes the digits from a
# DECIMAL cast (positional) or from Java's `E` form (scientific).
_SPARK_DOUBLE_TEXT = """CASE
  WHEN {v} IS NULL THEN NULL
  WHEN {v} = 0 THEN CAST({v} AS STRING)
  WHEN ABS({v}) >= 1e16 OR ABS({v}) < 1e-4 THEN CONCAT(
    REGEXP_REPLACE(REGEXP_EXTRACT(CAST({v} AS STRING), '^(-?[0-9.]+)E', 1), '\\\\.0$', ''),
    'e',
    CASE WHEN REGEXP_EXTRACT(CAST({v} AS STRING), 'E(-?)', 1) = '-' THEN '-' ELSE '+' END,
    LPAD(REGEXP_EXTRACT(CAST({v} AS STRING), 'E-?([0-9]+)$', 1), 2, '0'))
  ELSE REGEXP_REPLACE(
    REGEXP_REPLACE(CAST(CAST({v} AS DECIMAL(38, 18)) AS STRING), '0+$', ''), '\\\\.$', '.0')
END"""

# The `sql` escape hatch: node kinds tested on both engines, and the functions among them.
PORTABLE_SQL_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Neg,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Length,
    exp.Abs,
    exp.Substring,
    exp.Cast,
    exp.DataType,
)
PORTABLE_CAST_TYPES = ("DATE", "TIMESTAMP", "BIGINT", "INT", "DOUBLE")
_WHY_NOT = {
    exp.ConcatWs: "concat_ws skips NULL arguments on one engine after translation and not on "
    "the other; test each column with IS NULL instead",
    exp.Concat: "concat treats NULL differently on DuckDB and Spark; compare the columns instead",
    exp.DPipe: "string concatenation treats NULL differently on the engines; compare the "
    "columns instead",
    exp.Window: "window functions are not row rules (and sqlglot drops IGNORE NULLS and "
    "changes RANGE frames for Spark)",
    exp.IgnoreNulls: "IGNORE NULLS is dropped when the rule is translated for Spark",
    exp.WindowSpec: "window frames (ROWS/RANGE) change meaning when translated for Spark",
    exp.AggFunc: "aggregates are not row rules; use quality.batch for whole-batch checks",
    exp.Div: "division by zero is NULL on DuckDB and an error on Spark; multiply instead "
    "(a > 2 * b rather than a / b > 2)",
    exp.IntDiv: "integer division differs between the engines; multiply instead",
    exp.Mod: "modulo by zero differs between the engines",
    exp.Upper: "Unicode case mappings differ between the engines (upper('ß'))",
    exp.Lower: "Unicode case mappings differ between the engines",
    exp.Trim: "values are already trimmed when typed, and the engines trim different spaces",
    exp.Interval: "interval arithmetic is not in the shared rule language; compare dates "
    "with a range rule or a DATE literal",
    exp.RegexpLike: "use a regex rule, whose pattern is checked for both engines",
}


def render(expression: exp.Expr, dialect: str) -> str:
    """`expression` (DuckDB-flavoured, as the compiler builds it) as SQL for `dialect`."""
    if dialect == SPARK:
        return expression.copy().transform(_for_spark).sql(dialect=SPARK)
    return expression.sql(dialect=dialect)


def quoted(name: str, dialect: str) -> str:
    """A column name as `dialect` quotes it."""
    return exp.column(name, quoted=True).sql(dialect=dialect)


def value_text(value: exp.Expr, sql_type: str, dialect: str) -> exp.Expr:
    """`value` (of DuckDB type `sql_type`) as DuckDB's text of it, on `dialect`."""
    if dialect == SPARK and sql_type == "DOUBLE":
        template = _SPARK_DOUBLE_TEXT.format(v="__value__")
        tree = sqlglot.parse_one(template, dialect=SPARK)
        return tree.transform(
            lambda node: (
                value.copy() if isinstance(node, exp.Column) and node.name == "__value__" else node
            )
        )
    return exp.cast(value, "VARCHAR")


def _spark(node: exp.Expr) -> exp.Expr:
    """A copy of `node` rendered for Spark: a rewritten node's parts are rewritten too."""
    return node.copy().transform(_for_spark)


def _for_spark(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "TRY_STRPTIME":
        return _try_to_timestamp(node)
    if isinstance(node, exp.Trim) and node.args.get("expression") is None:
        return exp.Trim(
            this=_spark(node.this),
            expression=exp.Literal.string(SPACE_SEPARATORS),
            position="BOTH",
        )
    if isinstance(node, exp.RegexpLike) and isinstance(node.expression, exp.Literal):
        return exp.RegexpLike(
            this=_spark(node.this),
            expression=exp.Literal.string(java_regex(node.expression.this)),
        )
    if isinstance(node, exp.Exists):
        return _exists_as_in(node)
    if isinstance(node, exp.ArrayFilter) and _drops_nulls(node):
        # Spark allows no subquery (a reference rule) inside a higher-order function.
        return exp.Anonymous(this="ARRAY_COMPACT", expressions=[_spark(node.this)])
    return node


def _drops_nulls(node: exp.ArrayFilter) -> bool:
    """`LIST_FILTER(list, r -> r IS NOT NULL)`, as the compiler writes the rule lists."""
    body = node.expression
    if not isinstance(body, exp.Lambda) or len(body.expressions) != 1:
        return False
    name = body.expressions[0].name
    test = body.this
    return (
        isinstance(test, exp.Not)
        and isinstance(test.this, exp.Is)
        and isinstance(test.this.expression, exp.Null)
        and test.this.this.name == name
    )


def _try_to_timestamp(node: exp.Anonymous) -> exp.Expr:
    text, formats = node.expressions
    listed = formats.expressions if isinstance(formats, exp.Array) else [formats]
    calls = [
        exp.Anonymous(
            this="TRY_TO_TIMESTAMP",
            expressions=[_spark(text), exp.Literal.string(java_pattern(f.this))],
        )
        for f in listed
    ]
    return calls[0] if len(calls) == 1 else exp.Coalesce(this=calls[0], expressions=calls[1:])


def java_pattern(strptime: str) -> str:
    """A DuckDB strptime format as a Java DateTimeFormatter pattern (letters quoted)."""
    if strptime in _JAVA_PACKED:
        return _JAVA_PACKED[strptime]
    out: list[str] = []
    literal: list[str] = []
    for token in re.findall(r"%[a-zA-Z]|.", strptime):
        if token in _JAVA_DIRECTIVES:
            if literal:
                out.append(_java_literal("".join(literal)))
                literal = []
            out.append(_JAVA_DIRECTIVES[token])
        elif token.startswith("%"):
            raise ValueError(f"strptime directive {token} has no Spark equivalent here")
        else:
            literal.append(token)
    if literal:
        out.append(_java_literal("".join(literal)))
    return "".join(out)


def _java_literal(text: str) -> str:
    return text if re.fullmatch(r"[-/.: ]+", text) else "'" + text.replace("'", "''") + "'"


def _exists_as_in(node: exp.Exists) -> exp.Expr:
    """`EXISTS (SELECT 1 FROM t AS ref WHERE ref.c = typed.v AND <ref-only conditions>)` as
    `typed.v IN (SELECT ref.c FROM t AS ref WHERE <ref-only conditions>)`.

    Spark plans an uncorrelated IN in a projection; a correlated EXISTS there it cannot. The
    two agree when `typed.v` is not NULL, which the reference rule tests first.
    """
    query = node.this
    where = query.args.get("where")
    if not isinstance(query, exp.Select) or where is None:
        raise ValueError("only a reference rule's EXISTS can be rendered for Spark")
    conditions = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    link = next(
        c
        for c in conditions
        if isinstance(c, exp.EQ) and isinstance(c.expression, exp.Column) and c.expression.table
    )
    # NULLs kept out of the list: `v IN (list with a NULL)` is NULL, never false.
    rest = [link.this.is_(exp.null()).not_(), *(_spark(c) for c in conditions if c is not link)]
    inner = (
        exp.select(link.this.copy()).from_(query.args["from_"].this.copy()).where(exp.and_(*rest))
    )
    return exp.In(this=_spark(link.expression), query=exp.Subquery(this=inner))


def java_regex(pattern: str) -> str:
    """An RE2 pattern of the portable subset, written so java.util.regex matches the same."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading ] is a literal in a class
                out.append("\\]")
                i += 1
        elif char == "$":
            out.append("\\z")
        elif char == ".":
            out.append("[^\\n]")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def unportable_regex(pattern: str) -> str | None:
    """Why `pattern` may match differently on DuckDB (RE2) and Spark (Java), or None.

    The subset: literal characters, escaped punctuation, ``\\d``, classes with ranges (no
    nested classes, no ``&&``), ``.``, ``^``, ``$``, groups ``( )`` and ``(?: )``, ``|`` and the
    quantifiers ``* + ? {n} {n,} {n,m}``, greedy or lazy.
    """
    i = 0
    previous_atom = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt != "d" and not (nxt and not nxt.isalnum() and nxt.isascii()):
                return (
                    f"\\{nxt} means different things to RE2 and Java; write a class such as "
                    "[0-9] or [A-Z], or escape only punctuation"
                )
            i, previous_atom = i + 2, True
            continue
        if char == "[":
            end = _class_end(pattern, i)
            if end is None:
                return "a character class is not closed"
            body = pattern[i + 1 : end]
            if "[" in body.replace("\\[", "") or "&&" in body:
                return "nested classes and && mean different things to RE2 and Java"
            if re.search(r"\\[^d\]\[\\^-]", body):
                return "inside a class, escape only ] [ \\ ^ - or use \\d"
            i, previous_atom = end + 1, True
            continue
        if char == "(":
            if pattern[i + 1 : i + 2] == "?" and pattern[i + 2 : i + 3] != ":":
                return "only plain groups ( ) and (?: ) are shared by RE2 and Java"
            i += 3 if pattern[i + 1 : i + 2] == "?" else 1
            previous_atom = False
            continue
        if char == "{":
            match = re.match(r"\{[0-9]+(,[0-9]*)?\}", pattern[i:])
            if match is None or not previous_atom:
                return "a literal { reads differently in RE2 and Java; escape it as \\{"
            i += match.end()
            if pattern[i : i + 1] == "+":
                return "possessive quantifiers (*+, {n}+) are Java only"
            continue
        if char in "*+?":
            if pattern[i + 1 : i + 2] == "+":
                return "possessive quantifiers (*+, ++) are Java only"
            i += 1
            continue
        previous_atom = char not in "|^$)"
        i += 1
    return None


def _class_end(pattern: str, start: int) -> int | None:
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i
        i += 1
    return None


def unportable_sql(expression: exp.Expr) -> str | None:
    """Why a `sql` rule's condition may mean something else on Spark than on DuckDB, or None."""
    for node in expression.walk():
        for kind, why in _WHY_NOT.items():
            if isinstance(node, kind):
                return f"{node.sql(DUCKDB)[:60]}: {why}"
        if not isinstance(node, PORTABLE_SQL_NODES):
            return (
                f"{node.key} ({node.sql(DUCKDB)[:60]}) is outside the rule language both "
                "engines run the same way: comparisons, AND/OR/NOT, IS [NOT] NULL, IN, "
                "BETWEEN, LIKE, + - *, CASE, COALESCE, LENGTH, ABS, SUBSTRING"
            )
        if isinstance(node, exp.Cast | exp.TryCast) and not _portable_cast(node):
            return (
                f"{node.sql(DUCKDB)[:60]}: only literals may be cast (each engine parses text "
                "its own way); typed columns need no cast"
            )
        if isinstance(node, exp.Like) and not _portable_like(node):
            return f"{node.sql(DUCKDB)[:60]}: LIKE needs a literal pattern without backslashes"
        if isinstance(node, exp.Substring) and not _portable_substring(node):
            return (
                f"{node.sql(DUCKDB)[:60]}: SUBSTRING needs literal positive start and length "
                "(the engines count from 0 differently)"
            )
    return None


def _portable_cast(node: exp.Cast) -> bool:
    target = node.to.sql(DUCKDB).upper()
    return isinstance(node.this, exp.Literal) and target in PORTABLE_CAST_TYPES


def _portable_like(node: exp.Like) -> bool:
    pattern = node.expression
    return isinstance(pattern, exp.Literal) and pattern.is_string and "\\" not in pattern.this


def _portable_substring(node: exp.Substring) -> bool:
    bounds = [node.args.get("start"), node.args.get("length")]
    return all(
        isinstance(b, exp.Literal) and not b.is_string and int(float(b.this)) >= 1 for b in bounds
    )


def unportable_rules(contract: Contract) -> list[tuple[str, str]]:
    """(rule id, why) of each written rule outside the rule language both engines share."""
    found = []
    for rule in contract.quality.rules:
        why = None
        if isinstance(rule, Regex):
            why = unportable_regex(rule.pattern)
        elif isinstance(rule, Sql):
            try:
                why = unportable_sql(sqlglot.parse_one(rule.expression, dialect=DUCKDB))
            except ParseError:
                why = None  # the compiler reports SQL that does not parse
        if why is not None:
            found.append((rule.id, why))
    return found
