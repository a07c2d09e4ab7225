"""Static checks over the SQL sources (pglast): one object per file, no dynamic SQL built by
concatenation, no RAISE of an error without a registered code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pglast
import pytest
from pglast import ast
from pglast.visitors import Visitor

ROOT = Path(__file__).parent.parent
OBJECT_FILES = sorted((ROOT / "plpgsql").rglob("*.sql"))
RLS_FILES = sorted((ROOT / "rls").glob("*.sql"))
ERROR_LEVEL = 21  # elog ERROR
OPT_ERRCODE = 0


def _statements(path: Path) -> list[Any]:
    return list(pglast.parse_sql(path.read_text()))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


class _ConcatenationFinder(Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.problems: list[str] = []

    def visit_A_Expr(self, _ancestors: Any, node: ast.A_Expr) -> None:
        if node.name and node.name[-1].sval == "||":
            self.problems.append("string concatenation (||)")

    def visit_FuncCall(self, _ancestors: Any, node: ast.FuncCall) -> None:
        name = node.funcname[-1].sval
        if name == "concat":
            self.problems.append("concat()")
        if name == "format" and node.args and isinstance(node.args[0], ast.A_Const):
            template = getattr(node.args[0].val, "sval", "") or ""
            if any(not _integer_cast(argument) for argument in _plain_arguments(template, node.args)):
                self.problems.append("format() with %s (use %I or %L)")


_INTEGER_TYPES = {"int2", "int4", "int8", "integer", "smallint", "bigint"}


def _plain_arguments(template: str, args: list[Any]) -> list[Any]:
    """The arguments format() inserts with %s (None where the argument is missing)."""
    found, position = [], 0
    for match in re.finditer(r"%(?:(\d+)\$)?[-0-9*]*([sIL%])", template):
        if match.group(2) == "%":
            continue
        position = int(match.group(1)) if match.group(1) else position + 1
        if match.group(2) == "s":
            found.append(args[position] if position < len(args) else None)
    return found


def _integer_cast(node: Any) -> bool:
    """%s is harmless for an argument cast to an integer type: a number cannot break out of the
    statement (DDL such as CONNECTION LIMIT takes no quoted literal, so %L does not work there)."""
    return isinstance(node, ast.TypeCast) and node.typeName.names[-1].sval in _INTEGER_TYPES


def _plpgsql_functions(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    text = path.read_text()
    for raw in pglast.parse_sql(text):
        stmt = raw.stmt
        if isinstance(stmt, ast.CreateFunctionStmt):
            options = {o.defname: o.arg for o in stmt.options}
            if options["language"].sval == "plpgsql":
                source = text[raw.stmt_location: raw.stmt_location + raw.stmt_len] if raw.stmt_len \
                    else text[raw.stmt_location:]
                # pglast's PL/pgSQL compiler resolves types only in pg_catalog and public.
                # Nor arrays of types it does not know (a batch's results); no check needs them.
                source = re.sub(r"\b(api|coord|authz|audit)\.", "public.", source)
                source = re.sub(r"\bpublic\.\w+\[\]", "text[]", source)
                yield stmt.funcname[-1].sval, pglast.parse_plpgsql(source)


def _optional_object(path: Path) -> tuple[str, str] | None:
    """(schema, name) of the function a file creates only where the server can hold it: the file
    is one DO block that creates it, e.g. a PL/Python function where PL/Python is installed."""
    statements = _statements(path)
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.DoStmt):
        return None
    body = next(a.arg.sval for a in statements[0].stmt.args if a.defname == "as")
    created = re.findall(r"create\s+or\s+replace\s+function\s+(\w+)\.(\w+)\s*\(", body, re.IGNORECASE)
    assert len(created) == 1, f"{path.name}: its DO block creates {len(created)} functions"
    return created[0]


@pytest.mark.parametrize("path", OBJECT_FILES, ids=lambda p: str(p.relative_to(ROOT / "plpgsql")))
def test_one_object_per_file_named_after_it(path: Path) -> None:
    if optional := _optional_object(path):
        schema, name = optional
        assert schema == path.relative_to(ROOT / "plpgsql").parts[0], f"{path} defines an object in schema {schema}"
        assert re.fullmatch(rf"\d{{4}}_{re.escape(name)}\.sql", path.name), \
            f"{path.name} should be named NNNN_{name}.sql"
        return
    creates = [s.stmt for s in _statements(path)
               if isinstance(s.stmt, (ast.CreateFunctionStmt, ast.ViewStmt, ast.CreateTrigStmt))]
    objects = [s for s in creates if not isinstance(s, ast.CreateTrigStmt)]
    assert len(objects) == 1, f"{path.name} defines {len(objects)} objects"
    obj = objects[0]
    schema, name = ((obj.funcname[0].sval, obj.funcname[-1].sval) if isinstance(obj, ast.CreateFunctionStmt)
                    else (obj.view.schemaname, obj.view.relname))
    assert schema == path.relative_to(ROOT / "plpgsql").parts[0], f"{path} defines an object in schema {schema}"
    assert re.fullmatch(rf"\d{{4}}_{re.escape(name)}\.sql", path.name), f"{path.name} should be named NNNN_{name}.sql"
    others = {type(s.stmt).__name__ for s in _statements(path)} - {
        "CreateFunctionStmt", "ViewStmt", "CommentStmt", "GrantStmt", "CreateTrigStmt", "AlterTableStmt"}
    assert not others, f"{path.name} holds more than its object, comment and grants: {others}"


@pytest.mark.parametrize("path", OBJECT_FILES, ids=lambda p: str(p.relative_to(ROOT / "plpgsql")))
def test_no_dynamic_sql_built_by_concatenation(path: Path) -> None:
    problems = []
    for function, tree in _plpgsql_functions(path):
        for node in _walk(tree):
            for key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                stmt = node.get(key)
                if stmt:
                    expression = stmt["query"]["PLpgSQL_expr"]["query"]
                    finder = _ConcatenationFinder()
                    finder(pglast.parse_sql("select " + expression))
                    problems += [f"{function} line {stmt.get('lineno')}: {p}" for p in finder.problems]
    assert problems == []


@pytest.mark.parametrize("path", OBJECT_FILES, ids=lambda p: str(p.relative_to(ROOT / "plpgsql")))
def test_every_raised_error_has_a_code(path: Path) -> None:
    bare = []
    for function, tree in _plpgsql_functions(path):
        for node in _walk(tree):
            stmt = node.get("PLpgSQL_stmt_raise")
            reraise = stmt and not stmt.get("message") and not stmt.get("options") and not stmt.get("condname")
            if stmt and stmt.get("elog_level") == ERROR_LEVEL and not stmt.get("condname") and not reraise:
                codes = [o for o in stmt.get("options", []) if o["PLpgSQL_raise_option"]["opt_type"] == OPT_ERRCODE]
                if not codes:
                    bare.append(f"{function} line {stmt.get('lineno')}")
    assert bare == []


def test_the_linter_catches_what_it_should() -> None:
    finder = _ConcatenationFinder()
    finder(pglast.parse_sql("select 'delete from t where a = ' || x, format('drop %s', y), format('drop %I', z)"))
    assert finder.problems == ["string concatenation (||)", "format() with %s (use %I or %L)"]
    finder = _ConcatenationFinder()
    finder(pglast.parse_sql("select format('limit %s', n::integer), format('%I limit %2$s', r, n::int8)"))
    assert finder.problems == []
    for text in ("format('limit %s', n::text)", "format('%I %s', r, n)", "format('%1$s', n)",
                 "format('%s %s', 1::int)"):
        finder = _ConcatenationFinder()
        finder(pglast.parse_sql(f"select {text}"))
        assert finder.problems == ["format() with %s (use %I or %L)"], text


@pytest.mark.parametrize("path", RLS_FILES, ids=lambda p: p.name)
def test_rls_files_enable_and_force_before_grants(path: Path) -> None:
    statements = [s.stmt for s in _statements(path)]
    table = path.stem
    kinds = [type(s).__name__ for s in statements]
    enable = [i for i, s in enumerate(statements) if isinstance(s, ast.AlterTableStmt)
              and f"{s.relation.schemaname}.{s.relation.relname}" == table
              and s.cmds[0].subtype in (pglast.enums.AlterTableType.AT_EnableRowSecurity,
                                        pglast.enums.AlterTableType.AT_ForceRowSecurity)]
    assert len(enable) == 2, f"{path.name} must enable and force RLS on {table}"
    grants = [i for i, k in enumerate(kinds) if k == "GrantStmt"]
    policies = [i for i, k in enumerate(kinds) if k == "CreatePolicyStmt"]
    assert grants and max(enable + policies) < min(grants), "policies before grants"


def test_the_checks_see_the_statements_they_check() -> None:
    found = {"PLpgSQL_stmt_dynexecute": 0, "PLpgSQL_stmt_raise": 0}
    for path in OBJECT_FILES:
        for _function, tree in _plpgsql_functions(path):
            for node in _walk(tree):
                for key in found:
                    found[key] += key in node
    assert found["PLpgSQL_stmt_dynexecute"] >= 5 and found["PLpgSQL_stmt_raise"] >= 3, found


# --- rooms: one folder per domain, each saying what it calls --------------------------------------

_CALL = re.compile(r"\b(coord|authz|audit|api)\.([a-z_0-9]+)\s*\(")
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_COMMENT = re.compile(r"--[^\n]*")


def _domains() -> dict[str, Path]:
    return {f"{p.parent.name}/{p.name}": p for p in sorted((ROOT / "plpgsql").glob("*/*")) if p.is_dir()}


def _calls_between_domains() -> dict[str, set[str]]:
    """Which domain folders the code of each domain folder calls (functions named schema.name(...)
    outside string literals and comments)."""
    where = {f"{path.relative_to(ROOT / 'plpgsql').parts[0]}.{path.stem.split('_', 1)[1]}":
             "/".join(path.relative_to(ROOT / "plpgsql").parts[:2]) for path in OBJECT_FILES}
    calls: dict[str, set[str]] = {domain: set() for domain in _domains()}
    for path in OBJECT_FILES:
        domain = "/".join(path.relative_to(ROOT / "plpgsql").parts[:2])
        text = _LITERAL.sub("''", _COMMENT.sub("", path.read_text()))
        for schema, name in _CALL.findall(text):
            target = where.get(f"{schema}.{name}")
            if target and target != domain:
                calls[domain].add(target)
    return calls


def test_every_file_lives_in_a_domain_folder_with_a_readme() -> None:
    loose = [str(p.relative_to(ROOT)) for p in OBJECT_FILES if len(p.relative_to(ROOT / "plpgsql").parts) != 3]
    assert loose == [], "plpgsql files live in plpgsql/<schema>/<domain>/"
    missing = [domain for domain, folder in _domains().items() if not (folder / "README.md").is_file()]
    assert missing == [], f"each domain folder says what it owns in a README.md: {missing}"


def test_each_domain_calls_only_what_its_readme_names() -> None:
    undeclared = {}
    for domain, targets in _calls_between_domains().items():
        readme = (_domains()[domain] / "README.md").read_text()
        line = next((line for line in readme.splitlines() if line.startswith("Calls: ")), "Calls: ")
        declared = {d.strip() for d in line.removeprefix("Calls: ").split(",")}
        if targets - declared:
            undeclared[domain] = sorted(targets - declared)
    assert undeclared == {}, "a domain calls folders its README does not name (add them to Calls:, or move the code)"


def _cycles(calls: dict[str, set[str]]) -> list[list[str]]:
    """The groups of domains that reach each other (strongly connected, more than one member)."""
    reach = {a: set(targets) for a, targets in calls.items()}
    changed = True
    while changed:  # transitive closure: a few dozen folders
        changed = False
        for a in reach:
            more = set().union(*(reach.get(b, set()) for b in reach[a])) - reach[a]
            if more:
                reach[a] |= more
                changed = True
    groups = {frozenset([a] + [b for b in reach[a] if a in reach.get(b, set())]) for a in reach}
    return sorted(sorted(g) for g in groups if len(g) > 1)


def test_the_only_cycles_between_domains_are_the_intended_ones() -> None:
    # a session owns leases and claims, a claim takes leases, ending a session releases both
    assert _cycles(_calls_between_domains()) == [["coord/locks", "coord/queue", "coord/sessions"]]


def test_the_cycle_check_sees_a_longer_cycle() -> None:
    calls = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(calls) == [["a", "b", "c"]]
