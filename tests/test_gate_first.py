"""Every mutating api function passes the policy gate (authz.decide) before anything that can
write: found statically from the PL/pgSQL sources with pglast, in execution order (declaration
defaults first, then the body depth-first). A function that writes, directly or through any
coord/audit function that (transitively) writes, before its first authz.decide fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pglast
import pytest

ROOT = Path(__file__).parent.parent
API_FILES = sorted((ROOT / "plpgsql" / "api").glob("*.sql"))
INTERNAL_FILES = sorted(p for schema in ("coord", "audit", "authz") for p in (ROOT / "plpgsql" / schema).glob("*.sql"))
# Identity plumbing: they set transaction-local settings, never rows.
IDENTITY = {"authenticate", "pre_request", "login"}
# The gate itself: its one write counts an allowed call against the agent's hourly budget
# (coord.count_call), after the decision; it is the gate, not a write before it.
GATE = {"decide"}
WRITE_SQL = re.compile(r"\b(insert\s+into|update\s+[\w.]+\s+(as\s+\w+\s+)?set|delete\s+from)\b", re.I)
CALL = re.compile(r"\b(?:api|coord|audit|authz|public)\.(\w+)\s*\(", re.I)


def _name_and_body(text: str) -> tuple[str, str]:
    name = re.search(r"create or replace function \w+\.(\w+)\s*\(", text, re.I)
    assert name, "no function in file"
    return name.group(1), text


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
    return pglast.parse_plpgsql(re.sub(r"\b(api|coord|authz|audit)\.", "public.", text))[0]["PLpgSQL_function"]


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
    """The first writing expression that runs before authz.decide, or None."""
    function = _plpgsql(text)
    ordered = _declared_defaults(text) + list(_expressions(function.get("action", {})))
    for expression in ordered:
        calls = [c.lower() for c in CALL.findall(expression)]
        if "decide" in calls or any(c in gated for c in calls):
            return None
        if WRITE_SQL.search(expression) or any(c in writer_functions for c in calls):
            return expression.strip()[:120]
    return None


def _api_sources() -> dict[str, str]:
    return dict(_name_and_body(p.read_text()) for p in API_FILES)


def _mutating(text: str) -> bool:
    return bool(re.search(r"^\s*volatile\s*$", text, re.M | re.I)) and "language plpgsql" in text.lower()


@pytest.mark.parametrize("path", API_FILES, ids=lambda p: p.name)
def test_mutating_api_functions_decide_before_they_write(path: Path) -> None:
    name, text = _name_and_body(path.read_text())
    if name in IDENTITY or not _mutating(text):
        # Reads pass authz.require_read instead (a refused read is PT403, not a result).
        assert name in IDENTITY or "require_read(" in text, f"api.{name} reads without the read gate"
        return
    sources = _api_sources()
    # An api function may delegate to another one that passes the gate (claim_task -> claim_tasks).
    gated = {n for n, t in sources.items() if n != name and _mutating(t) and n not in IDENTITY
             and first_write_before_gate(t, writers(), set()) is None and "decide(" in t}
    offending = first_write_before_gate(text, writers(), gated)
    assert offending is None, f"api.{name} can write before authz.decide: {offending}"
    assert "decide(" in text or any(re.search(rf"\b{g}\s*\(", text) for g in gated), \
        f"api.{name} never calls authz.decide"


def test_the_gate_check_catches_a_write_before_the_decision() -> None:
    broken = """
create or replace function api.sneaky(p_path text)
returns void language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_decision authz.decision;
begin
  perform coord.drop_task_leases(1);
  v_decision := authz.decide('lock.acquire', p_path);
end;
$$;"""
    assert first_write_before_gate(broken, writers(), set()) == "SELECT public.drop_task_leases(1)"
    direct = broken.replace("perform coord.drop_task_leases(1);", "delete from coord.locks where id = 1;")
    assert first_write_before_gate(direct, writers(), set()) is not None
    fixed = broken.replace("perform coord.drop_task_leases(1);\n  v_decision := authz.decide('lock.acquire', p_path);",
                           "v_decision := authz.decide('lock.acquire', p_path);\n  perform coord.drop_task_leases(1);")
    assert first_write_before_gate(fixed, writers(), set()) is None


def test_the_writer_set_is_derived_not_listed() -> None:
    found = writers()
    assert {"record", "try_acquire_lock", "cleanup_session", "claim_tasks_as", "submit_task_specs",
            "session_refusal", "check_live_claim", "release_claim"} <= found
    assert not {"decide", "normalize_path", "check_kind", "now", "principal"} & found
    # ... and the gate's one write is the rate counter, nothing else.
    gate = (ROOT / "plpgsql" / "authz" / "0202_decide.sql").read_text()
    assert {c for c in CALL.findall(gate) if c in found | {"count_call"}} == {"count_call"}
    assert re.findall(r"insert\s+into\s+([\w.]+)", (ROOT / "plpgsql" / "coord" / "0132_count_call.sql").read_text()) \
        == ["coord.call_counts"]
