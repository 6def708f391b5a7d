"""Which analyst queries may run: one plain SELECT over the analytical views, nothing else.

The query is parsed with sqlglot and refused, with a reason an analyst can act on, unless it
is a single SELECT (or UNION of them, with CTEs) that reads only the allowed views and their
columns and calls only ordinary scalar, aggregate and window functions. What runs is the SQL
regenerated from the checked tree - comments and anything the parser dropped are gone - so
what was checked is what executes. This is the first line; the read-only, locked connection
without external access (`database.open_analytics`) and the row and time limits are the next.

Names are resolved with sqlglot's scope analysis: a table name is trusted as a CTE only inside
the scope where that CTE is visible, so `WITH "/etc/passwd" AS (...)` inside a subquery does
not make the same name, used outside it, anything but a (refused) replacement scan of a file;
every name that is not a visible CTE must be an allowed view.

An analyst may write in another dialect (`read`: tsql, mysql, postgres, ...); the query is
parsed in it and what runs is the checked tree written as DuckDB SQL. Messages are plain text:
sqlglot's parse errors underline the fault with terminal colour codes, which are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

DIALECT = "duckdb"
READ_DIALECTS = ("duckdb", "postgres", "mysql", "tsql", "sqlite", "oracle", "snowflake", "hive")
TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: [^>]*>")
ALLOWED_WHITESPACE = {"\t", "\n", "\r"}
# Statements and clauses that are never part of a plain query, wherever they appear.
FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Command,
    exp.Pragma,
    exp.Set,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Create,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Drop,
    exp.Alter,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Merge,
    exp.Describe,
    exp.Summarize,
    exp.Show,
    exp.Into,
    exp.Lock,
)
# Functions that exist as scalars but read the catalogue, settings, session or sequences,
# sleep, or log: none of them is analysis.
DENIED_FUNCTIONS = frozenset(
    {
        "col_description",
        "currval",
        "format_pg_type",
        "format_type",
        "getenv",
        "getvariable",
        "in_search_path",
        "map_to_pg_oid",
        "nextval",
        "obj_description",
        "parse_duckdb_log_message",
        "platform",
        "session_user",
        "setseed",
        "shobj_description",
        "txid_current",
        "user",
        "version",
        "write_log",
    }
)
DENIED_PREFIXES = ("pg_", "has_", "duckdb_", "pragma_", "read_", "json_execute", "current_")
ALLOWED_CURRENT = frozenset(
    {
        "current_date",
        "current_time",
        "current_timestamp",
        "current_localtime",
        "current_localtimestamp",
    }
)
DENIED_CLASSES: tuple[type[exp.Expression], ...] = (
    exp.ReadCSV,
    exp.ReadParquet,
    exp.ToFile,
    exp.Secret,
)


class QueryRefused(Exception):
    """A query that will not run; `code` is stable, `message` says why and what to do."""

    def __init__(self, code: str, message: str) -> None:
        message = plain(message)
        super().__init__(message)
        self.code = code
        self.message = message


def plain(text: str) -> str:
    """`text` without terminal colour or underline codes (they do not belong in JSON)."""
    return TERMINAL_CODES.sub("", text)


@dataclass(frozen=True)
class CheckedQuery:
    expression: exp.Query
    sql: str  # regenerated DuckDB SQL: what runs
    views: tuple[str, ...]  # the views it reads

    def transpile(self, dialect: str) -> str:
        """The same query in another sqlglot dialect, for analysts who take it elsewhere."""
        try:
            return self.expression.sql(dialect=dialect, pretty=True)
        except ValueError as error:
            raise QueryRefused(
                "unknown_dialect", f"cannot write SQL for dialect {dialect!r}: {error}"
            ) from error


def check_query(
    sql: str, views: Mapping[str, Sequence[str]], max_chars: int = 20_000, read: str = DIALECT
) -> CheckedQuery:
    """The query (written in the dialect `read`) as it will run in DuckDB, or `QueryRefused`
    saying why it will not."""
    _check_text(sql, max_chars)
    statement = _parse_one(sql, _read_dialect(read))
    for node in statement.walk():
        _check_node(node)
    # Names resolved as DuckDB does, case-insensitively, on a copy: the query keeps its case.
    used = _check_tables(normalize_identifiers(statement.copy(), dialect=DIALECT), views)
    for function in statement.find_all(exp.Func):
        _check_function(function)
    _check_columns(statement, views)
    return CheckedQuery(statement, statement.sql(dialect=DIALECT, comments=False), used)


def _check_text(sql: str, max_chars: int) -> None:
    if not sql.strip():
        raise QueryRefused("query_empty", "send one SELECT statement in `sql`")
    if len(sql) > max_chars:
        raise QueryRefused(
            "query_too_long", f"the query has {len(sql):,} characters; the limit is {max_chars:,}"
        )
    for position, char in enumerate(sql):
        category = unicodedata.category(char)
        if char not in ALLOWED_WHITESPACE and category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise QueryRefused(
                "hidden_characters",
                f"the query contains an invisible or control character U+{ord(char):04X} at "
                f"position {position}; retype the query as plain text",
            )


def _read_dialect(read: str) -> str:
    name = read.lower()
    if name not in READ_DIALECTS:
        raise QueryRefused(
            "unknown_dialect",
            f"cannot read SQL written for {read!r}; write it for one of: "
            f"{', '.join(READ_DIALECTS)}",
        )
    return name


def _parse_one(sql: str, read: str = DIALECT) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except ParseError as error:
        raise QueryRefused("parse_error", f"the query does not parse: {_where(error)}") from error
    except TokenError as error:
        raise QueryRefused("parse_error", f"the query does not parse: {error}") from error
    except RecursionError as error:
        raise QueryRefused("parse_error", "the query is nested too deeply to check") from error
    if len(statements) != 1:
        raise QueryRefused(
            "not_one_statement",
            f"send exactly one statement; this has {len(statements)} (split on ';')",
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        kind = statement.key.upper()
        raise QueryRefused(
            "not_a_select",
            f"only a SELECT is allowed here, not {kind}; the workbench is read-only",
        )
    return statement


def _where(error: ParseError) -> str:
    """The first parse error as plain text: what was expected, where, and the text there."""
    if not error.errors:
        return str(error)
    first = error.errors[0]
    description = TOKEN_REPR.sub(r"'\1'", str(first.get("description", "invalid syntax")))
    near = f"{first.get('start_context', '')}{first.get('highlight', '')}"[-40:]
    return (
        f"{description} (line {first.get('line')}, column "
        f"{first.get('col')}, after: {near.strip()!r})"
    )


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, FORBIDDEN_NODES):
        raise QueryRefused(
            "statement_not_allowed",
            f"{node.key.upper()} is not allowed inside a query; only plain SELECTs run here",
        )
    if isinstance(node, exp.With) and node.args.get("recursive"):
        raise QueryRefused(
            "recursive_query",
            "recursive CTEs are not allowed: they can run without bound. Use a window "
            "function or a join over the views instead",
        )


def _cte_references(statement: exp.Query) -> set[int]:
    """Table nodes that name a CTE visible in their own scope (by node identity)."""
    try:
        scopes = list(traverse_scope(statement))
    except OptimizeError as error:
        raise QueryRefused(
            "cannot_check", f"the query's names cannot be resolved ({error}); simplify it"
        ) from error
    trusted: set[int] = set()
    for scope in scopes:
        for node, source in scope.selected_sources.values():
            if isinstance(node, exp.Table) and isinstance(source, Scope) and not node.db:
                trusted.add(id(node))
    return trusted


def _check_tables(statement: exp.Query, views: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    allowed = ", ".join(sorted(views))
    ctes = _cte_references(statement)
    used: list[str] = []
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise QueryRefused(
                "table_function",
                f"table functions such as {table.this.sql(DIALECT)[:40]} are not allowed "
                f"(no files, no network, no catalogue); query the views: {allowed}",
            )
        if table.catalog or (table.db and table.db.lower() != "main"):
            raise QueryRefused(
                "schema_not_allowed",
                f"{table.sql(DIALECT)} is outside the analytical views; query: {allowed}",
            )
        name = table.name.lower()
        if id(table) in ctes:
            continue
        if name not in views:
            raise QueryRefused(
                "unknown_view", f"there is no view {table.name!r}; the views are: {allowed}"
            )
        used.append(name)
    return tuple(dict.fromkeys(used))


def _check_function(function: exp.Func) -> None:
    name = (function.name if isinstance(function, exp.Anonymous) else function.sql_name()).lower()
    denied = (
        isinstance(function, DENIED_CLASSES)
        or name in DENIED_FUNCTIONS
        or (name.startswith(DENIED_PREFIXES) and name not in ALLOWED_CURRENT)
    )
    if isinstance(function, exp.Anonymous) and name not in _query_functions():
        denied = True
    if denied:
        raise QueryRefused(
            "function_not_allowed",
            f"the function {name}() is not allowed here: only scalar, aggregate and window "
            "functions over the views' data may be used",
        )


def _check_columns(statement: exp.Query, views: Mapping[str, Sequence[str]]) -> None:
    schema = MappingSchema(
        {view: {column: "UNKNOWN" for column in columns} for view, columns in views.items()},
        dialect=DIALECT,
    )
    try:
        qualify(statement.copy(), schema=schema, dialect=DIALECT, validate_qualify_columns=True)
    except OptimizeError as error:
        raise QueryRefused("unknown_column", f"{error}; see GET /v1/analytics/views") from error
    except SqlglotError as error:
        raise QueryRefused(
            "cannot_check", f"the query's columns cannot be checked ({error}); simplify it"
        ) from error


@cache
def _query_functions() -> frozenset[str]:
    """DuckDB's own scalar, aggregate, window functions and macros: table functions (which
    read files or the catalogue) are not among them."""
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'aggregate', 'window', 'macro')"
        ).fetchall()
    return frozenset(row[0] for row in rows)
