"""Outcome codes are a contract: coord.outcome_registry names every code an api function can
return, which functions return it, whether it is ok and whether retrying can help.

What a function can return is derived from the sources with pglast: every call of a result
constructor (coord.result, coord.lock_result, ...) and the code it is given (a literal, a CASE
or COALESCE of them, or a variable assigned such), attributed to the api function whose result
it becomes (the constructor calls in the function, and those of the coord/api functions of the
same result type whose results it takes). The registry must say exactly that. Results are built
by constructors only, which refuse an unregistered code at run time (CO502)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest
from pglast import ast
from psycopg.rows import dict_row

from coordinator import outcomes
from coordinator.client import Client
from coordinator.docs import render_outcomes
from tests.conftest import make_principal

ROOT = Path(__file__).parent.parent
FUNCTION = re.compile(r"create or replace function (\w+)\.(\w+)\s*\(", re.I)
SOURCES = sorted(p for p in (ROOT / "plpgsql").rglob("*.sql") if FUNCTION.search(p.read_text()))
CONSTRUCTOR = re.compile(r"create or replace function coord\.(\w+)\(\s*p_code text\b", re.I)
RETURNS = re.compile(r"^returns (setof )?([\w.]+)", re.I | re.M)
CALL = re.compile(r"\b(?:public)\.(\w+)\s*\(")

# Where the scan sees more than can happen, and why (pairs of api function and code).
OVERSCAN = {
    ("release_lock", "renewed"): "coord.end_or_extend_lease renews only when given an expiry; release_lock gives none",
    ("renew_lock", "released"): "coord.end_or_extend_lease releases only without an expiry; renew_lock gives one",
    ("release_locks", "renewed"): "coord.end_or_extend_lease renews only when given an expiry; release_locks gives "
                                  "none",
    ("approve_request", "rejected"): "coord.decide_approval rejects only when asked to deny",
    ("check_operation", "approved"): "coord.approval_gate's approved goes on as allowed, never returned",
    ("register_skill", "approved"): "coord.approval_gate's approved goes on to register, never returned",
    **{("complete_tasks", code): "complete_tasks passes no grant to coord.approval_gate (p_approval null); a policy's "
                                 "fresh grant is always usable" for code in ("approval_used", "approval_mismatch",
                                                                             "approval_not_granted")},
    ("deny_request", "approved"): "coord.decide_approval approves only when asked to approve",
    ("rotate_token", "issued"): "coord.rotate_token answers rotated with the grant coord.issue_token made, never "
                                "the grant itself",
}


class Unresolvable(Exception):
    pass


class Function:
    """One plpgsql/ function: its statements' SQL parsed, its assignments by variable."""

    def __init__(self, path: Path) -> None:
        text = path.read_text()
        match = FUNCTION.search(text)
        assert match, path
        self.schema, self.name = match.group(1), match.group(2)
        returns = RETURNS.search(text)
        self.returns = returns.group(2) if returns else None
        # pglast resolves types only in pg_catalog and public: keep the names, drop the schemas.
        self.source = re.sub(r"\b(api|coord|authz|audit)\.", "public.", text)
        # (indented: a function created in a DO block, only where the server has its language)
        self.language = re.search(r"^\s*language (\w+)", text, re.I | re.M).group(1).lower()  # type: ignore[union-attr]
        self.statements: list[tuple[str, ast.Node]] = []  # (kind, parsed SQL)
        self.assignments: dict[str, list[ast.Node]] = {}
        if self.language == "plpgsql":
            self._read_plpgsql()
        elif self.language == "sql":
            body = self.source.split("$$")[1]
            for raw in pglast.parse_sql(body):
                self.statements.append(("sql", raw.stmt))

    def _read_plpgsql(self) -> None:
        # Arrays of types pglast does not know (a batch's results) are declared as text[]: the
        # scan reads their elements' codes from what is assigned to them, never from the type.
        tree = pglast.parse_plpgsql(re.sub(r"\bpublic\.\w+\[\]", "text[]", self.source))[0]["PLpgSQL_function"]
        for datum in tree.get("datums", []):
            var = datum.get("PLpgSQL_var") or {}
            if "default_val" in var:
                self._assign(var["refname"], _select(var["default_val"]["PLpgSQL_expr"]["query"]))
        for kind, statement in _statements(tree.get("action", {})):
            for key, value in statement.items():
                if not (isinstance(value, dict) and "PLpgSQL_expr" in value):
                    continue
                query, mode = value["PLpgSQL_expr"]["query"], value["PLpgSQL_expr"].get("parseMode", 0)
                if mode in (3, 4, 5):  # an assignment: target := expression
                    target, expression = query.split(":=", 1)
                    parsed = _select(expression)
                    self._assign(re.split(r"[.\[]", target.strip())[0], parsed)
                elif mode == 2:
                    parsed = _select(query)
                else:
                    parsed = pglast.parse_sql(query)[0].stmt
                    fields = _into_fields(statement)
                    if fields and isinstance(parsed, ast.SelectStmt) and parsed.targetList:
                        for field, target in zip(fields, parsed.targetList, strict=False):
                            self._assign(field, _select_of(target.val))
                self.statements.append((kind if key != "query" else kind + ".query", parsed))

    def _assign(self, variable: str, parsed: ast.Node) -> None:
        self.assignments.setdefault(variable, []).append(parsed)


def _select(expression: str) -> ast.Node:
    return pglast.parse_sql("select " + expression)[0].stmt


def _select_of(node: ast.Node) -> ast.Node:
    return ast.SelectStmt(targetList=(ast.ResTarget(val=node),))


def _into_fields(statement: dict[str, Any]) -> list[str]:
    target = statement.get("target") or {}
    if "PLpgSQL_row" in target:
        return [f["name"] for f in target["PLpgSQL_row"].get("fields", [])]
    for kind in ("PLpgSQL_var", "PLpgSQL_rec"):
        if kind in target:
            return [target[kind]["refname"]]
    return []


def _statements(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("PLpgSQL_stmt_"):
                yield key.removeprefix("PLpgSQL_stmt_"), value
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def _nodes(node: Any) -> Iterator[ast.Node]:
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _nodes(getattr(node, name))
    elif isinstance(node, tuple):
        for value in node:
            yield from _nodes(value)


def _name(call: ast.FuncCall) -> str:
    return call.funcname[-1].sval


def _expression(select: ast.Node) -> ast.Node:
    return select.targetList[0].val


@cache
def functions() -> dict[str, Function]:
    return {f"{f.schema}.{f.name}": f for f in map(Function, SOURCES)}


@cache
def constructors() -> frozenset[str]:
    """coord functions that build results: (p_code text, ..., p_refusal authz.decision)."""
    texts = [p.read_text() for p in SOURCES]
    return frozenset(m.group(1) for text in texts for m in [CONSTRUCTOR.search(text)]
                     if m and re.search(r"\bp_refusal authz\.decision\b", text))


def codes_of(function: Function, node: ast.Node, seen: frozenset[str] = frozenset()) -> set[str]:
    """The codes an expression of function can evaluate to."""
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return set()
        if isinstance(node.val, ast.String):
            return {node.val.sval}
        raise Unresolvable(f"{function.name}: constant {node.val!r} is not a code")
    if isinstance(node, ast.TypeCast):
        return codes_of(function, node.arg, seen)
    if isinstance(node, ast.CaseExpr):
        found = set().union(*(codes_of(function, w.result, seen) for w in node.args))
        return found | (codes_of(function, node.defresult, seen) if node.defresult else set())
    if isinstance(node, ast.CoalesceExpr):
        return set().union(*(codes_of(function, a, seen) for a in node.args))
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1:
        variable = node.fields[0].sval
        if variable in seen:
            return set()
        if variable not in function.assignments:
            raise Unresolvable(f"{function.name}: {variable} is never assigned a code")
        return set().union(*(codes_of(function, _expression(a), seen | {variable})
                             for a in function.assignments[variable]))
    if isinstance(node, ast.A_Expr) and node.name[-1].sval == "->>" and isinstance(node.rexpr, ast.A_Const) \
            and getattr(node.rexpr.val, "sval", None) == "code":
        # a verdict built by another function as JSON: the codes it puts under 'code'
        return set().union(*(json_codes(functions()[f"coord.{_name(c)}"])
                             for a in _assigned(function, node.lexpr)
                             for c in _nodes(a) if isinstance(c, ast.FuncCall)
                             and f"coord.{_name(c)}" in functions()))
    raise Unresolvable(f"{function.name}: cannot tell which codes {type(node).__name__} gives; "
                       "use a literal, a CASE of literals or a variable assigned one")


def _assigned(function: Function, node: ast.Node) -> list[ast.Node]:
    if not (isinstance(node, ast.ColumnRef) and len(node.fields) == 1):
        raise Unresolvable(f"{function.name}: ->> 'code' of something other than a variable")
    return function.assignments.get(node.fields[0].sval, [])


def json_codes(function: Function) -> set[str]:
    found = set()
    for _, statement in function.statements:
        for call in _nodes(statement):
            if isinstance(call, ast.FuncCall) and _name(call) == "jsonb_build_object" and call.args:
                pairs = zip(call.args[::2], call.args[1::2], strict=False)
                found |= set().union(*(codes_of(function, v, frozenset()) for k, v in pairs
                                       if isinstance(k, ast.A_Const) and getattr(k.val, "sval", None) == "code"))
    return found


def constructed(function: Function) -> set[str]:
    """Codes of the constructor calls in function."""
    found = set()
    for _, statement in function.statements:
        for call in _nodes(statement):
            if not (isinstance(call, ast.FuncCall) and _name(call) in constructors()):
                continue
            args = list(call.args or ())
            named = {a.name: a.arg for a in args if isinstance(a, ast.NamedArgExpr)}
            positional = [a for a in args if not isinstance(a, ast.NamedArgExpr)]
            if "p_refusal" in named:
                found.add("denied")
            elif "p_code" in named or positional:
                found |= codes_of(function, named.get("p_code", positional[0] if positional else None))
            else:
                raise Unresolvable(f"{function.name}: {_name(call)}() without a code or a refusal")
    return found


def _takes_results_of(function: Function) -> set[str]:
    """Functions of the same result type whose results function takes (not performed)."""
    taken = set()
    for kind, statement in function.statements:
        if kind == "perform":
            continue
        for call in _nodes(statement):
            if isinstance(call, ast.FuncCall):
                for schema in ("coord", "api"):
                    other = functions().get(f"{schema}.{_name(call)}")
                    if other and other is not function and other.name not in constructors() \
                            and other.returns == function.returns:
                        taken.add(f"{schema}.{other.name}")
    return taken


def returned_codes(function: Function, seen: frozenset[str] = frozenset()) -> set[str]:
    found = constructed(function)
    for other in _takes_results_of(function) - seen:
        found |= returned_codes(functions()[other], seen | {other})
    return found


@cache
def derived() -> dict[str, set[str]]:
    """api function -> the codes it can return."""
    result_types = {f.returns for f in functions().values() if f.name in constructors()}
    return {f.name: returned_codes(f, frozenset({key})) for key, f in functions().items()
            if f.schema == "api" and f.returns in result_types}


def _registry(db: psycopg.Connection) -> list[dict[str, Any]]:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute("select code, ok, retryable, meaning, functions, destructive "
                           "from coord.outcome_registry").fetchall()


def test_every_code_a_function_can_return_is_registered_for_it(db: psycopg.Connection) -> None:
    registered = {(f, r["code"]) for r in _registry(db) for f in r["functions"]}
    found = {(f, code) for f, codes in derived().items() for code in codes} - set(OVERSCAN)
    assert sorted(found - registered) == [], "codes the sources return that coord.outcome_registry lacks for them"
    assert sorted(registered - found) == [], "coord.outcome_registry names codes the sources never return there"
    assert set(OVERSCAN) <= {(f, code) for f, codes in derived().items() for code in codes}, "OVERSCAN is stale"


def test_the_scan_sees_every_kind_of_code_expression() -> None:
    codes = derived()
    assert codes["acquire_lock"] == {"granted", "renewed", "busy", "denied", "at_limit", "session_ended",
                                     "outside_skill"}
    assert {"requeued", "dead", "failed"} <= codes["fail_task"]              # CASE of literals
    assert {"applied", "no_change", "planned"} <= codes["apply_team"]        # a variable assigned a CASE
    assert {"allowed", "blocked", "needs_approval"} <= codes["check_operation"]  # ->> 'code' of a helper's JSON
    assert {"duplicate", "submitted"} <= codes["submit_tasks"]               # a helper of the same result type
    assert "issued" in codes["create_agent"]                                 # ... two helpers deep
    assert "revoked" not in codes["apply_team"]                              # performed, not returned


def test_the_scan_refuses_a_code_it_cannot_read() -> None:
    function = functions()["api.check_operation"]
    with pytest.raises(Unresolvable):
        codes_of(function, _expression(_select("upper(p_kind)")))
    with pytest.raises(Unresolvable):
        codes_of(function, _expression(_select("v_nowhere")))
    assert codes_of(function, _expression(_select("case when p_kind = 'x' then 'blocked' else 'allowed' end"))) \
        == {"blocked", "allowed"}


RESULT_TYPES = """
select t.typname from pg_type as t join pg_namespace as n on n.oid = t.typnamespace
where n.nspname = 'api' and t.typtype = 'c'
  and exists (select from pg_attribute as a where a.attrelid = t.typrelid and a.attname = 'code')
  and exists (select from pg_attribute as a where a.attrelid = t.typrelid and a.attname = 'ok')
"""


def _by_position(function: Function, result_types: set[str]) -> list[str]:
    found = []
    if re.search(rf"::public\.({'|'.join(result_types)})\b", function.source):
        found.append("cast to a result type")
    if re.search(r"\.(code|ok)\s*:=", function.source):
        found.append("result code or ok assigned by hand")
    for _, statement in function.statements:
        for node in _nodes(statement):
            items = (list(node.args or ()) if isinstance(node, ast.RowExpr)
                     else [t.val for t in node.targetList or ()] if isinstance(node, ast.SelectStmt) else [])
            items = [i.arg if isinstance(i, ast.TypeCast) else i for i in items[:2]]
            if len(items) >= 2 and isinstance(items[0], ast.A_Const) and isinstance(items[0].val, ast.Boolean) \
                    and isinstance(items[1], ast.A_Const) and isinstance(items[1].val, ast.String):
                found.append(f"({items[0].val.boolval}, {items[1].val.sval!r}, ...) by position")
    return found


def test_results_are_built_by_their_constructors_only(db: psycopg.Connection) -> None:
    result_types = {r[0] for r in db.execute(RESULT_TYPES).fetchall()}
    assert {"result", "lock_result", "task_result", "token_grant", "guardrail_decision"} <= result_types
    covered = {f.returns.split(".")[-1] for f in functions().values() if f.name in constructors() and f.returns}
    assert covered == result_types, "every result type needs a constructor in plpgsql/coord"
    offenders = {key: problems for key, f in functions().items()
                 if f.schema in ("api", "coord") and f.name not in constructors()
                 and (problems := _by_position(f, result_types))}
    assert offenders == {}


def test_the_position_check_catches_a_row_built_by_hand(db: psycopg.Connection, tmp_path: Path) -> None:
    result_types = {r[0] for r in db.execute(RESULT_TYPES).fetchall()}
    sneaky = tmp_path / "0999_sneaky.sql"
    sneaky.write_text("""create or replace function api.sneaky()
returns api.result
language plpgsql
volatile
as $$
declare
  v_result api.result;
begin
  v_result := coord.result('released');
  v_result.code := 'relased';
  return row(false, 'denied', 'no', '{}');
end;
$$;""")
    assert len(_by_position(Function(sneaky), result_types)) == 2
    by_query = "return query select true, 'granted'::text, null::text, '{}'::jsonb;"
    sneaky.write_text(sneaky.read_text().replace("returns api.result", "returns setof api.result")
                      .replace("return row(false, 'denied', 'no', '{}');", by_query))
    assert any("by position" in p for p in _by_position(Function(sneaky), result_types))


def test_an_unregistered_code_is_refused(db: psycopg.Connection) -> None:
    def refused(statement: str) -> str:
        db.execute("savepoint probe")
        try:
            db.execute(statement)
        except psycopg.Error as exc:
            db.execute("rollback to savepoint probe")
            assert exc.sqlstate == "CO502", exc
            return exc.diag.message_detail or ""
        raise AssertionError(f"{statement} was not refused")

    assert "stale_clam" in refused("select coord.task_result('stale_clam', 1)")
    assert "is ok = false" in refused("select coord.lock_result('busy', 'a.py', p_ok => true)")
    assert "either" in refused("select coord.task_result('duplicate', 1)")      # ok depends on the function
    assert "refusal" in refused("select coord.result('denied', p_refusal => row(false, 'deny', 'native', 'x', 'y'))")
    assert "refusal" in refused("select coord.result(p_refusal => row(true, 'allow', 'native', 'x', 'y'))")
    assert refused("select coord.result(null)")
    row = db.execute("select (r).ok, (r).code, (r).details from coord.task_result('duplicate', 1, p_ok => true) as r")
    assert row.fetchone() == (True, "duplicate", {})
    refusal = db.execute("select ok, code, reason, details from coord.result("
                         "p_refusal => row(false, 'deny', 'native', 'scope.missing', 'token lacks scope x'))")
    assert refusal.fetchone() == (False, "denied", "token lacks scope x", {"rule": "scope.missing"})


def test_result_knows_each_code_as_the_registry_does(db: psycopg.Connection) -> None:
    """coord.result takes each code's ok from coord.outcome_registry: for every registered code it
    answers the registry's ok, refuses the other one with CO502, and a code the registry lacks is
    CO502 however close to a real one."""
    def answer(code: str | None, ok: bool | None = None) -> bool | str | None:
        db.execute("savepoint probe")
        try:
            row = db.execute("select (coord.result(%s, p_ok => %s)).ok", (code, ok)).fetchone()
            return row[0] if row else None
        except psycopg.Error as exc:
            db.execute("rollback to savepoint probe")
            assert exc.sqlstate == "CO502", exc
            return "CO502"

    def expected(ok: bool | None) -> tuple[bool | str, bool | str, bool | str]:
        if ok is None:             # the function must say
            return "CO502", True, False
        return ok, True if ok else "CO502", "CO502" if ok else False

    rows = _registry(db)
    got = {r["code"]: (answer(r["code"]), answer(r["code"], True), answer(r["code"], False)) for r in rows}
    assert got == {r["code"]: expected(r["ok"]) for r in rows}, \
        "coord.result (plpgsql/coord/kernel/0017_result.sql) disagrees with coord.outcome_registry"
    for code in ("Busy", "busy ", "granted_", "", "exists'", None):
        assert answer(code) == "CO502", code
        assert answer(code, True) == "CO502", code


def test_registry_rows_are_complete(db: psycopg.Connection) -> None:
    rows = _registry(db)
    assert len(rows) == len({r["code"] for r in rows}) >= 41
    assert [r["code"] for r in rows if not re.fullmatch(r"[a-z][a-z_]{1,30}", r["code"])] == []
    assert [r["code"] for r in rows if not r["meaning"] or not r["functions"] or r["retryable"] is None] == []
    api = {r[0] for r in db.execute("select p.proname from pg_proc as p join pg_namespace as n "
                                    "on n.oid = p.pronamespace where n.nspname = 'api'").fetchall()}
    assert sorted({f for r in rows for f in r["functions"]} - api) == []
    assert [r["code"] for r in rows if r["functions"] != sorted(r["functions"])] == [], "keep functions sorted"


def test_python_enum_matches_the_registry(db: psycopg.Connection) -> None:
    database = {r["code"]: (r["ok"], r["retryable"]) for r in _registry(db)}
    python = {o.value: (info.ok, info.retryable) for o, info in outcomes.REGISTRY.items()}
    assert python == database, "coordinator/outcomes.py is stale: mirror coord.outcome_registry"
    destructive = {r["code"]: frozenset(r["functions"]) for r in _registry(db) if r["destructive"]}
    assert {o.value: functions for o, functions in outcomes.DESTRUCTIVE.items()} == destructive, \
        "outcomes.DESTRUCTIVE is stale: mirror coord.outcome_registry.destructive"
    assert {o.value for o in outcomes.Outcome} == set(database)
    assert outcomes.Outcome("busy") is outcomes.Outcome.BUSY and outcomes.Outcome.BUSY == "busy"


def test_outcomes_doc_is_generated_from_the_registry(db: psycopg.Connection) -> None:
    committed = (ROOT / "docs" / "outcomes.md").read_text()
    assert committed == render_outcomes(db), "docs/outcomes.md is stale: run coord docs"


def test_every_api_comment_names_the_codes_it_returns(db: psycopg.Connection) -> None:
    """docs/api.md is the catalog's comments: each function's names what it can answer."""
    comments = dict(db.execute("""select p.proname, obj_description(p.oid, 'pg_proc') from pg_proc as p
                                  join pg_namespace as n on n.oid = p.pronamespace
                                  where n.nspname = 'api'""").fetchall())
    missing = {(function, r["code"]) for r in _registry(db) for function in r["functions"]
               if not re.search(rf"\b{r['code']}\b", comments.get(function) or "")}
    assert sorted(missing) == []


# --- every refusal of the gate has one shape ---------------------------------------------------

def _refusals(db: psycopg.Connection) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per mutating api function: (role that may call it, valid arguments) for a call the gate refuses
    for a missing scope. Built on objects of a scratch tenant."""
    agent_principal = make_principal(db, "worker", tenant="shape")
    agent = Client(connection=db, token=agent_principal.token)
    task_id = agent.submit_task("k").task_id
    dead = agent.submit_task("d", max_attempts=1).task_id
    claim = agent.claim_task(["d"])
    agent.fail_task(claim.task_id, claim.claim, "x", retryable=True)
    assert agent.get_task(dead).state == "dead"
    session = agent.start_session().session_id
    assert agent.add_device("shape-device", ["sessions:write"]).ok
    memory = agent.call("remember", {"p_tier": "semantic", "p_content": "m", "p_visibility": "tenant"})[0]
    operator = Client(connection=db, token=make_principal(db, "shape-operator", tenant="shape", role="operator").token)
    assert operator.call("register_skill", {"p_name": "shape-skill", "p_version": "1.0.0", "p_manifest": {}})[0]["ok"]
    message_rule = operator.allow_messages("*", "*").details["rule_id"]
    action = agent.propose_action("k", {}, ["x:y"], "shape-device").action_id
    return {
        "acquire_lock": ("agent", {"p_path": "a.py"}),
        "release_lock": ("agent", {"p_path": "a.py", "p_fence": 1}),
        "renew_lock": ("agent", {"p_path": "a.py", "p_fence": 1}),
        "acquire_locks": ("agent", {"p_paths": ["a.py"]}),
        "release_locks": ("agent", {"p_paths": ["a.py"], "p_fences": [1]}),
        "complete_tasks": ("agent", {"p_tasks": [{"task_id": task_id, "claim": 1}]}),
        "create_agent": ("operator", {"p_name": "new-agent"}),
        "revoke_token": ("operator", {"p_token_id": str(agent_principal.token_id)}),
        "add_device": ("agent", {"p_name": "new-device", "p_scopes": ["sessions:write"]}),
        "rotate_token": ("operator", {"p_name": "worker"}),
        "revoke_device": ("operator", {"p_name": "shape-device"}),
        "apply_team": ("operator", {"p_team": {"version": 1, "agents": []}}),
        "submit_task": ("agent", {"p_kind": "k"}),
        "submit_tasks": ("agent", {"p_tasks": [{"kind": "k"}]}),
        "claim_task": ("agent", {"p_kinds": ["k"]}),
        "claim_tasks": ("agent", {"p_kinds": ["k"]}),
        "claim_or_wait": ("agent", {"p_kinds": ["k"], "p_waiting": False}),
        "claim_task_by_id": ("agent", {"p_task_id": task_id}),
        "renew_task": ("agent", {"p_task_id": task_id, "p_claim": 1}),
        "complete_task": ("agent", {"p_task_id": task_id, "p_claim": 1}),
        "record_verification": ("agent", {"p_task_id": task_id, "p_tier": "unit", "p_executor": "ci",
                                          "p_status": "pass", "p_claim": 1}),
        "fail_task": ("agent", {"p_task_id": task_id, "p_claim": 1, "p_error": "x"}),
        "cancel_task": ("agent", {"p_task_id": task_id}),
        "redrive_task": ("operator", {"p_task_id": dead}),
        "prune_tasks": ("operator", {}),
        "maintain": ("operator", {}),
        "approve_request": ("operator", {"p_approval_id": 1, "p_reason": "ok"}),
        "deny_request": ("operator", {"p_approval_id": 1, "p_reason": "no"}),
        "cancel_approval": ("agent", {"p_approval_id": 1}),
        "add_approval_policy": ("operator", {"p_name": "p", "p_scopes": ["guardrail:git"]}),
        "remove_approval_policy": ("operator", {"p_name": "p"}),
        "start_session": ("agent", {}),
        "heartbeat": ("agent", {"session": session}),
        "end_session": ("agent", {"session": session}),
        "write_handoff": ("agent", {"p_summary": "s"}),
        "check_network": ("agent", {"p_domain": "example.com"}),
        "add_network_rule": ("operator", {"p_pattern": "example.com", "p_action": "deny"}),
        "remove_network_rule": ("operator", {"p_rule_id": 1}),
        "create_profile": ("operator", {"p_name": "p1", "p_trust_level": 1}),
        "update_profile": ("operator", {"p_name": "standard", "p_settings": {}}),
        "assign_profile": ("operator", {"p_agent": "worker"}),
        "set_default_profile": ("operator", {"p_profile": "standard"}),
        "delete_profile": ("operator", {"p_name": "standard"}),
        "check_operation": ("agent", {"p_kind": "command", "p_text": "ls"}),
        "add_guardrail": ("operator", {"p_name": "g1", "p_category": "git", "p_applies_to": "command",
                                       "p_severity": "low", "p_pattern": "^x"}),
        "set_guardrail_enabled": ("operator", {"p_name": "g1", "p_enabled": False}),
        "verify_audit": ("operator", {}),
        "audit_head": ("operator", {}),
        "resolve_alert": ("operator", {"p_alert_id": 1, "p_note": "n"}),
        "add_alert_rule": ("operator", {"p_name": "r1", "p_action_pattern": "*", "p_decisions": ["denied"],
                                        "p_threshold": 1, "p_within": "1 minute"}),
        "set_alert_rule": ("operator", {"p_name": "r1"}),
        "watch_fleet": ("operator", {}),
        "follow_events": ("agent", {}),
        "add_webhook": ("operator", {"p_name": "h1", "p_url": "https://hooks.example/h"}),
        "remove_webhook": ("operator", {"p_name": "h1"}),
        "claim_webhook_deliveries": ("operator", {}),
        "report_webhook_delivery": ("operator", {"p_delivery_id": 1, "p_claim": str(uuid.uuid4()), "p_ok": True,
                                                 "p_status": 200}),
        "remember": ("agent", {"p_tier": "semantic", "p_content": "c"}),
        "forget": ("agent", {"p_memory_id": memory["details"]["memory_id"]}),
        "register_skill": ("operator", {"p_name": "shape-skill", "p_version": "1.1.0", "p_manifest": {}}),
        "retire_skill": ("operator", {"p_name": "shape-skill"}),
        "send_message": ("agent", {"p_to": "worker", "p_body": "b"}),
        "ack_messages": ("agent", {"p_message_ids": [1]}),
        "watch_inbox": ("agent", {}),
        "allow_messages": ("operator", {"p_sender": "*", "p_recipient": "*"}),
        "deny_messages": ("operator", {"p_sender": "*", "p_recipient": "*"}),
        "remove_message_rule": ("operator", {"p_rule_id": message_rule}),
        "set_message_default": ("operator", {"p_action": "allow"}),
        "propose_action": ("agent", {"p_kind": "k", "p_payload": {}, "p_required_scopes": ["x:y"],
                                     "p_target": "shape-device"}),
        "claim_action": ("agent", {}),
        "renew_action": ("agent", {"p_action_id": action, "p_claim": 1}),
        "complete_action": ("agent", {"p_action_id": action, "p_claim": 1}),
        "fail_action": ("agent", {"p_action_id": action, "p_claim": 1, "p_error": "x"}),
        "device_heartbeat": ("agent", {}),
        "set_cedar_policy": ("operator", {"p_policy": "permit (principal, action, resource);", "p_reason": "r"}),
        "rollback_cedar_policy": ("operator", {"p_version": 1, "p_reason": "r"}),
        "set_policy_engine": ("operator", {"p_engine": "cedar", "p_reason": "r"}),
    }


def test_every_gate_refusal_has_one_shape(db: psycopg.Connection) -> None:
    """Each mutating api function, called with a token that lacks the action's scope: ok false,
    code denied, the rule's reason and details.rule (token grants have no details), one audit event
    denied at severity warning with the rule, and nothing else written."""
    cases = _refusals(db)
    gated = {f for f in derived() if "denied" in derived()[f]}
    assert gated - set(cases) == set(), "add the new gated function to _refusals"
    shapes = {}
    for function, (role, arguments) in sorted(cases.items()):
        arguments = dict(arguments)
        session = arguments.pop("session", None)
        principal = make_principal(db, f"scopeless-{role}-{function}", tenant="shape", role=role,
                                   scopes=["nothing:read"])
        token, actor = principal.token, principal.principal_id
        if session:  # the session's owner, through a token of its own without the action's scope
            token, actor = db.execute(
                "select g.token, g.principal_id from coord.sessions as s, "
                "lateral coord.issue_token(s.tenant_id, s.agent_id, '{nothing:read}') as g where s.id = %s",
                (session,)).fetchone()  # type: ignore[misc]
        client = Client(connection=db, token=token, session_id=session)
        before = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
        row = client.call(function, arguments)[0]
        events = db.execute("select decision, severity, rule, reason from audit.events where id > %s and actor_id = %s",
                            (before, actor)).fetchall()
        rule = row["details"].get("rule") if "details" in row else "scope.missing"  # token_grant has no details
        shapes[function] = (row["ok"], row["code"], rule, "lacks scope" in (row["reason"] or ""),
                            events[:1] and events[0][:3], len(events))
    assert {f: s for f, s in shapes.items()
            if s != (False, "denied", "scope.missing", True, ("denied", "warning", "scope.missing"), 1)} == {}
