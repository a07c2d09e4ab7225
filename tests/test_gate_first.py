"""Every mutating api function passes the one gate (authz.gate: decide, note, audit the refusal)
before anything that can write, and returns its refusal right there: found statically from the
PL/pgSQL sources with pglast, in execution order (declaration defaults first, then the body
depth-first). A function that writes, directly or through any coord/audit function that
(transitively) writes, before its first authz.gate fails; so does one that calls authz.decide
itself, or does anything but return the refusal when the gate refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pglast
import pytest

ROOT = Path(__file__).parent.parent
API_FILES = sorted((ROOT / "plpgsql" / "api").rglob("*.sql"))
INTERNAL_FILES = sorted(p for schema in ("coord", "audit", "authz") for p in (ROOT / "plpgsql" / schema).rglob("*.sql"))
# Identity plumbing: they set transaction-local settings, never rows.
IDENTITY = {"authenticate", "pre_request", "login", "begin_request"}
# The gate itself: authz.gate writes the audit event of a refusal and authz.decide counts an
# allowed call against the agent's hourly budget (coord.count_call), both after the decision;
# that is the gate, not a write before it. api functions call authz.gate, never decide.
GATE = {"decide", "gate"}
WRITE_SQL = re.compile(r"\b(insert\s+into|update\s+[\w.]+\s+(as\s+\w+\s+)?set|delete\s+from)\b", re.I)
CALL = re.compile(r"\b(?:api|coord|audit|authz|public)\.(\w+)\s*\(", re.I)


def _name_and_body(text: str) -> tuple[str, str]:
    name = re.search(r"create or replace function \w+\.(\w+)\s*\(", text, re.I)
    assert name, "no function in file"
    return name.group(1), text


@cache
def writers() -> set[str]:
    """coord/audit/authz functions that write rows, directly or through another writer."""
    bodies = dict(_name_and_body(p.read_text()) for p in INTERNAL_FILES
                  if re.search(r"create or replace function", p.read_text(), re.I))
    found = {name for name, body in bodies.items() if WRITE_SQL.search(body)}
    while True:
        more = {name for name, body in bodies.items()
                if name not in found and name not in GATE and any(c in found for c in CALL.findall(body))}
        if not more:
            return found
        found |= more


def _plpgsql(text: str) -> dict[str, Any]:
    # pglast's PL/pgSQL compiler resolves types only in pg_catalog and public; keep the
    # function names (they are what we look for) and drop the schemas.
    return pglast.parse_plpgsql(_resolvable(re.sub(r"\b(api|coord|authz|audit)\.", "public.", text)))[0][
        "PLpgSQL_function"]


def _resolvable(source: str) -> str:
    """... nor can it declare arrays of types it does not know (a batch's results); the checks
    never need the element types."""
    return re.sub(r"\bpublic\.\w+\[\]", "text[]", source)


def _expressions(node: Any) -> Iterator[str]:
    """SQL expression texts in execution order."""
    if isinstance(node, dict):
        if "PLpgSQL_expr" in node:
            yield node["PLpgSQL_expr"]["query"]
            return
        for key, value in node.items():
            if key == "exceptions":  # handlers run after the block's statements
                continue
            yield from _expressions(value)
        if "exceptions" in node:
            yield from _expressions(node["exceptions"])
    elif isinstance(node, list):
        for value in node:
            yield from _expressions(value)


def _declared_defaults(text: str) -> list[str]:
    """Default expressions of the DECLARE section, in order: they run before the body. (pglast's
    PL/pgSQL tree leaves out the defaults of composite variables, so they are read from the text.)"""
    body = text.split("$$")[1]
    declare = re.split(r"^begin\s*$", body, maxsplit=1, flags=re.M | re.I)[0]
    declare = re.sub(r"\b(api|coord|authz|audit)\.", "public.", declare)
    return [m.group(1) for m in re.finditer(r"(?::=|\bdefault\b)(.*?);\s*$", declare, re.M | re.S | re.I)]


def first_write_before_gate(text: str, writer_functions: set[str], gated: set[str]) -> str | None:
    """The first writing expression that runs before authz.gate (or a gated api function it
    delegates to), or None."""
    function = _plpgsql(text)
    ordered = _declared_defaults(text) + list(_expressions(function.get("action", {})))
    for expression in ordered:
        calls = [c.lower() for c in CALL.findall(expression)]
        if "gate" in calls or any(c in gated for c in calls):
            return None
        if WRITE_SQL.search(expression) or any(c in writer_functions for c in calls):
            return expression.strip()[:120]
    return None


def _statements(node: Any) -> Iterator[dict[str, Any]]:
    """PL/pgSQL statements in source order, nested bodies included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("PLpgSQL_stmt_"):
                yield {key: value}
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


LOOPS = ("PLpgSQL_stmt_fori", "PLpgSQL_stmt_foreach_a", "PLpgSQL_stmt_fors", "PLpgSQL_stmt_loop", "PLpgSQL_stmt_while")


def refusal_not_returned(text: str) -> str | None:
    """What is wrong with how the function handles its gate's refusal, or None. The first
    authz.gate call must be assigned to a variable v and followed at once by
    `if not v.allowed then return <constructor>(..., p_refusal => v)` (or return next ...). A
    batch (one decision per item, the gate called in a loop) keeps the item's refusal instead:
    `if not v.allowed then <results>[i] := <constructor>(..., p_refusal => v)`."""
    action = _plpgsql(text).get("action", {})
    statements = list(_statements(action))
    looped = [str(loop) for statement in statements for kind, loop in statement.items() if kind in LOOPS]
    for i, statement in enumerate(statements):
        assign = statement.get("PLpgSQL_stmt_assign")
        if not assign or not re.search(r"\bpublic\.gate\s*\(", assign["expr"]["PLpgSQL_expr"]["query"]):
            continue
        variable = assign["expr"]["PLpgSQL_expr"]["query"].split(":=")[0].strip()
        following = statements[i + 1] if i + 1 < len(statements) else {}
        check = following.get("PLpgSQL_stmt_if")
        if not check or check["cond"]["PLpgSQL_expr"]["query"].strip() != f"not {variable}.allowed":
            return f"the gate's decision {variable} is not checked at once (if not {variable}.allowed then ...)"
        first = (check.get("then_body") or [{}])[0]
        returned = first.get("PLpgSQL_stmt_return") or first.get("PLpgSQL_stmt_return_next") or {}
        kept = first.get("PLpgSQL_stmt_assign") if any(str(assign) in loop for loop in looped) else None
        query = (returned.get("expr") or (kept or {}).get("expr") or {}).get("PLpgSQL_expr", {}).get("query", "")
        if not re.search(rf"\bp_refusal\s*=>\s*{re.escape(variable)}\b", query):
            return f"a refusal must be returned at once through a result constructor's p_refusal => {variable}"
        return None
    return "no authz.gate call assigned to a variable"


def _api_sources() -> dict[str, str]:
    return dict(_name_and_body(p.read_text()) for p in API_FILES)


def _mutating(text: str) -> bool:
    return bool(re.search(r"^\s*volatile\s*$", text, re.M | re.I)) and "language plpgsql" in text.lower()


@cache
def _gated() -> frozenset[str]:
    """api functions that pass the gate before they write (others may delegate to them)."""
    return frozenset(n for n, t in _api_sources().items() if _mutating(t) and n not in IDENTITY
                     and "authz.gate(" in t and first_write_before_gate(t, writers(), set()) is None)


@pytest.mark.parametrize("path", API_FILES, ids=lambda p: p.name)
def test_mutating_api_functions_pass_the_gate_before_they_write(path: Path) -> None:
    name, text = _name_and_body(path.read_text())
    if name in IDENTITY or not _mutating(text):
        # Reads pass authz.require_read instead (a refused read is PT403, not a result).
        assert name in IDENTITY or "require_read(" in text, f"api.{name} reads without the read gate"
        # ...as a statement of its own, before the query: joined into a query, a plan may never
        # call it (an empty table answered a caller without a token with no rows, not PT401).
        for call in re.finditer(r"authz\.require_read\s*\(", text):
            before = text[:call.start()].rstrip()
            assert before.endswith((":=", "perform")), f"api.{name} calls authz.require_read inside a query"
        return
    # An api function may delegate to another one that passes the gate (claim_task -> claim_tasks).
    gated = _gated() - {name}
    offending = first_write_before_gate(text, writers(), set(gated))
    assert offending is None, f"api.{name} can write before authz.gate: {offending}"
    if "authz.gate(" in text:
        problem = refusal_not_returned(text)
        assert problem is None, f"api.{name}: {problem}"
    else:
        assert any(re.search(rf"\bapi\.{g}\s*\(", text) for g in gated), f"api.{name} never calls authz.gate"


def test_only_the_gates_call_decide() -> None:
    """One gate: api and coord functions reach authz.decide only through authz.gate (results)
    and authz.require_read or authz.may_read (reads, refused or left out), never on their own."""
    callers = sorted(f"{p.relative_to(ROOT / 'plpgsql').parts[0]}.{_name_and_body(p.read_text())[0]}"
                     for p in API_FILES + INTERNAL_FILES if re.search(r"\bauthz\.decide\s*\(", p.read_text()))
    assert callers == ["authz.decide", "authz.gate", "authz.may_read", "authz.require_read"]


SNEAKY = """
create or replace function api.sneaky(p_path text)
returns api.result language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_decision authz.decision;
begin
  perform coord.drop_task_leases(1);
  v_decision := authz.gate('lock.acquire', 'path', p_path);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.result('released');
end;
$$;"""


def test_the_gate_check_catches_a_write_before_the_gate() -> None:
    assert first_write_before_gate(SNEAKY, writers(), set()) == "SELECT public.drop_task_leases(1)"
    direct = SNEAKY.replace("perform coord.drop_task_leases(1);", "delete from coord.locks where id = 1;")
    assert first_write_before_gate(direct, writers(), set()) is not None
    # the audit record of a refusal written by hand before the gate is a write too
    audited = SNEAKY.replace("perform coord.drop_task_leases(1);",
                             "perform audit.record('lock.acquire', 'denied', 'path', p_path);")
    assert first_write_before_gate(audited, writers(), set()) is not None
    # authz.decide is not the gate: deciding, then writing, then never passing the gate fails
    write, gate = "perform coord.drop_task_leases(1);", "v_decision := authz.gate('lock.acquire', 'path', p_path);"
    undecided = SNEAKY.replace(write, "v_decision := authz.decide('lock.acquire', p_path);\n  " + write)
    assert first_write_before_gate(undecided, writers(), set()) == "SELECT public.drop_task_leases(1)"
    fixed = SNEAKY.replace(f"{write}\n  {gate}", f"{gate}\n  {write}")
    assert first_write_before_gate(fixed, writers(), set()) is None
    # ... though writing before a refusal is returned is wrong too
    assert refusal_not_returned(fixed) is not None


def test_the_gate_check_catches_a_refusal_that_is_not_returned() -> None:
    assert refusal_not_returned(SNEAKY) is None
    ignored = SNEAKY.replace("""  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
""", "")
    assert refusal_not_returned(ignored) is not None
    by_position = SNEAKY.replace("return coord.result(p_refusal => v_decision);",
                                 "return row(false, 'denied', v_decision.reason, '{}')::api.result;")
    assert refusal_not_returned(by_position) is not None
    later = SNEAKY.replace("""  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);""", """  perform coord.drop_task_leases(1);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);""")
    assert refusal_not_returned(later) is not None
    assert refusal_not_returned(SNEAKY.replace("authz.gate(", "authz.decide(")) is not None


BATCH = """
create or replace function api.sneaky_batch(p_paths text[])
returns setof api.result language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_decision authz.decision;
  v_results api.result[] := '{}';
begin
  for i in 1 .. cardinality(p_paths) loop
    v_decision := authz.gate('lock.acquire', 'path', p_paths[i]);
    if not v_decision.allowed then
      v_results[i] := coord.result(p_refusal => v_decision);
    end if;
  end loop;
  return query select * from unnest(v_results);
end;
$$;"""


def test_a_batch_keeps_each_refusal_and_nothing_else_passes() -> None:
    assert refusal_not_returned(BATCH) is None
    # outside a loop the refusal must be returned at once
    single = BATCH.replace("for i in 1 .. cardinality(p_paths) loop", "").replace(
        "  end loop;\n  return query", "  return query")
    assert refusal_not_returned(single) is not None
    # a batch must still keep the refusal through the constructor
    assert refusal_not_returned(BATCH.replace("coord.result(p_refusal => v_decision)", "null")) is not None


def test_the_writer_set_is_derived_not_listed() -> None:
    found = writers()
    assert {"record", "try_acquire_lock", "cleanup_session", "claim_tasks_as", "submit_task_specs",
            "session_refusal", "check_live_claim", "release_claim"} <= found
    assert not {"decide", "gate", "normalize_path", "check_kind", "now", "principal", "result"} & found
    # ... and the gate's writes are the rate counter, the refusal's audit event and, for a tenant
    # on both engines, the audit event of their disagreement, nothing else.
    decide = (ROOT / "plpgsql" / "authz" / "gate" / "0202_decide.sql").read_text()
    assert {c for c in CALL.findall(decide) if c in found | {"count_call"}} == {"count_call", "cedar_decide"}
    cedar = (ROOT / "plpgsql" / "authz" / "gate" / "0229_cedar_decide.sql").read_text()
    assert {c for c in CALL.findall(cedar) if c in found} - {"cedar_decide"} == {"record"}
    gate = (ROOT / "plpgsql" / "authz" / "gate" / "0204_gate.sql").read_text()
    assert {c for c in CALL.findall(gate) if c in found | {"count_call"}} == {"record"}
    count_call = (ROOT / "plpgsql" / "coord" / "profiles" / "0132_count_call.sql").read_text()
    assert re.findall(r"insert\s+into\s+([\w.]+)", count_call) == ["coord.call_counts"]


def test_only_authz_makes_decisions() -> None:
    """No policy outside authz: api, coord and audit functions take decisions from the gate and
    never build one (a deny decision assembled inline is a policy rule the gate does not know)."""
    builds = re.compile(r"row\s*\(\s*(true|false)\s*,\s*'(allow|deny)'|::\s*authz\.decision\b", re.I)
    offenders = [str(p.relative_to(ROOT / "plpgsql")) for p in API_FILES + INTERNAL_FILES
                 if p.relative_to(ROOT / "plpgsql").parts[0] != "authz" and builds.search(p.read_text())]
    assert offenders == []
    assert builds.search("v_decision := row(false, 'deny', 'native', 'task.not_submitter', 'x');")
