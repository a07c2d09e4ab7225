"""The persona matrix: two tenants x every persona x every api function (from the catalog) x
read/write, aimed at the other tenant's objects, with zero cross-tenant effects; and every
request role x every private table x every operation, refused.

Each call runs in a savepoint that is rolled back, so the calls are independent. After each
call tenant B's rows (hashed per table as a superuser sees them, tables enumerated from the
catalog) must be unchanged, and no tenant-B marker may appear in the result or the error.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator.client import Client, load_signatures
from coordinator.errors import CoordError
from tests.personas import (
    PERSONAS,
    PRIVATE_SCHEMAS,
    REQUEST_ROLES,
    World,
    build_world,
    leaked,
    private_tables,
    snapshot,
    snapshot_query,
)

Variants = Callable[[World], list[dict[str, Any]]]


def _typed(world: World) -> list[dict[str, Any]]:
    """Marker entry, never called: the variants come from the parameter types (typed_variants)."""
    raise AssertionError("TYPED entries are expanded by typed_variants")


TYPED: Variants = _typed

# Arguments per api function: each aims the call at tenant B's objects. A new api function needs
# an entry (TYPED is fine when its parameter types say enough): test_every_api_function_has_an_entry.
ARGUMENTS: dict[str, Variants] = {
    "authenticate": lambda w: [{}],
    "pre_request": lambda w: [{}],
    # With tenant B's live token the caller simply IS tenant B's agent (holding the credential is
    # the identity), so the matrix passes only tokens that must not work: revoked, forged.
    "login": lambda w: [{"p_token": w.objects["revoked_token"]}, {"p_token": "coord_" + "0" * 40}],
    "begin_request": lambda w: [
        {"p_function": "list_tasks", "p_headers": json.dumps({"x-coord-token": w.objects["revoked_token"]})},
        {"p_function": "list_tasks", "p_headers": json.dumps({"x-coord-token": "coord_" + "0" * 40}),
         "p_read_only": True}],
    "acquire_lock": lambda w: [{"p_path": w.objects["lock_path"]}, {"p_path": w.objects["dir_path"]},
                               {"p_path": w.objects["task_lock_path"], "p_mode": "shared"},
                               {"p_path": w.objects["expiring_path"]}],
    "release_lock": lambda w: [{"p_path": w.objects["lock_path"], "p_fence": w.objects["fence"]},
                               {"p_path": w.objects["dir_path"], "p_fence": w.objects["dir_fence"]},
                               {"p_path": w.objects["expiring_path"], "p_fence": 1}],
    "acquire_locks": lambda w: [{"p_paths": [w.objects["lock_path"], w.objects["dir_path"]]},
                                {"p_paths": [w.objects["task_lock_path"], w.objects["expiring_path"]],
                                 "p_mode": "shared"}],
    "release_locks": lambda w: [{"p_paths": [w.objects["lock_path"], w.objects["dir_path"]],
                                 "p_fences": [w.objects["fence"], w.objects["dir_fence"]]},
                                {"p_paths": [w.objects["expiring_path"]], "p_fences": [1]}],
    "renew_lock": lambda w: [{"p_path": w.objects["lock_path"], "p_fence": w.objects["fence"]},
                             {"p_path": w.objects["expiring_path"], "p_fence": 1}],
    "assert_lease": lambda w: [{"p_path": w.objects["lock_path"], "p_fence": w.objects["fence"]}],
    "check_locks": lambda w: [{"p_paths": [w.objects["lock_path"], w.objects["dir_path"],
                                           w.objects["task_lock_path"], w.objects["expiring_path"]]}],
    "my_locks": lambda w: [{}],
    "list_leases": lambda w: [{}, {"p_agent": w.b.agent.name}],
    "fleet_status": lambda w: [{}],
    "watch_fleet": lambda w: [{}],
    "create_agent": lambda w: [{"p_name": w.b.agent.name}],
    "revoke_token": lambda w: [{"p_token_id": w.b.agent.token_id}, {"p_token_id": w.objects["minted_token_id"]},
                               {"p_token_id": w.b.operator.token_id}],
    "list_principals": lambda w: [{}],
    "list_tokens": lambda w: [{}],
    "add_device": lambda w: [{"p_name": w.objects["device"], "p_scopes": ["sessions:write"]},
                             {"p_name": w.b.agent.name, "p_scopes": ["sessions:write"]}],
    "rotate_token": lambda w: [{"p_name": w.objects["device"]}, {"p_name": w.b.agent.name},
                               {"p_name": w.a.agent.name, "p_token_id": w.objects["device_token_id"]}],
    "revoke_device": lambda w: [{"p_name": w.objects["device"]}],
    "list_devices": lambda w: [{}, {"p_presence": "offline"}],
    "query_audit": lambda w: [{}, {"p_target_id": str(w.objects["claimed_task"])},
                              {"p_target_id": w.objects["lock_path"]}, {"p_action": "lock.acquire"},
                              {"p_before_id": 2**62}],
    "apply_team": lambda w: [{"p_team": {"version": 1, "prune": True,
                                         "agents": [{"name": w.b.agent.name, "role": "agent"},
                                                    {"name": w.a.operator.name, "role": "operator"}]},
                              "p_dry_run": dry} for dry in (True, False)],
    "submit_task": lambda w: [{"p_kind": w.objects["kind"], "p_unique_key": w.objects["unique_key"]},
                              {"p_kind": "a.kind", "p_depends_on": [w.objects["queued_task"]]},
                              {"p_kind": "a.kind", "p_locks": [w.objects["lock_path"]]}],
    "submit_tasks": lambda w: [{"p_tasks": [{"kind": w.objects["kind"], "unique_key": w.objects["unique_key"]}]},
                               {"p_tasks": [{"kind": "a.kind", "depends_on": [w.objects["queued_task"]]}]}],
    "claim_task": lambda w: [{"p_kinds": [w.objects["kind"], f"{w.tag}exp", f"{w.tag}dep"]}],
    "claim_tasks": lambda w: [{"p_kinds": [w.objects["kind"], f"{w.tag}exp"], "p_limit": 10}],
    "claim_or_wait": lambda w: [{"p_kinds": [w.objects["kind"], f"{w.tag}exp", f"{w.tag}dep"]},
                                {"p_kinds": [w.objects["kind"]], "p_waiting": False}],
    "claim_task_by_id": lambda w: [{"p_task_id": w.objects[k]} for k in ("queued_task", "claimed_task")],
    "renew_task": lambda w: [{"p_task_id": w.objects["claimed_task"], "p_claim": w.objects["claim"]}],
    "complete_task": lambda w: [{"p_task_id": w.objects["claimed_task"], "p_claim": w.objects["claim"],
                                 "p_result": {}},
                                {"p_task_id": w.objects["claimed_task"], "p_claim": w.objects["claim"],
                                 "p_result": {"operations": ["npm publish"]},
                                 "p_approval": w.objects["granted_approval"]}],
    "complete_tasks": lambda w: [{"p_tasks": [{"task_id": w.objects["claimed_task"], "claim": w.objects["claim"],
                                               "result": {}}]}],
    "record_verification": lambda w: [{"p_task_id": w.objects["claimed_task"], "p_tier": t, "p_executor": "ci",
                                       "p_status": "pass", "p_claim": w.objects["claim"]} for t in ("unit", "manual")],
    "list_verifications": lambda w: [{"p_task_id": w.objects["claimed_task"]}],
    "fail_task": lambda w: [{"p_task_id": w.objects["claimed_task"], "p_claim": w.objects["claim"],
                             "p_error": "x", "p_retryable": r} for r in (True, False)],
    "cancel_task": lambda w: [{"p_task_id": w.objects[k]} for k in ("queued_task", "claimed_task", "expiring_task")],
    "redrive_task": lambda w: [{"p_task_id": w.objects["failed_task"]}],
    "get_task": lambda w: [{"p_task_id": w.objects[k]} for k in ("queued_task", "claimed_task", "completed_task")],
    "list_tasks": lambda w: [{}, {"p_kind": w.objects["kind"]}, {"p_state": "claimed"}],
    "prune_tasks": lambda w: [{"p_finished_before": "0 seconds"}],
    "maintain": lambda w: [{}],
    "start_session": lambda w: [{}, {"p_skill": w.objects["skill"]}, {"p_skill": w.objects["skill"] + "@1.0.0"}],
    "heartbeat": lambda w: [{"p_status": "working", "p_current_task": w.objects["claimed_task"]}],
    "end_session": lambda w: [{}],
    "discover_agents": lambda w: [{}, {"p_capability": f"{w.tag}cap"}],
    "write_handoff": lambda w: [{"p_summary": "s", "p_task_id": w.objects["claimed_task"]},
                                {"p_summary": "s", "p_to_agent": w.b.agent.name}],
    "read_handoff": lambda w: [{"p_handoff_id": w.objects["handoff_id"]}, {"p_task_id": w.objects["claimed_task"]},
                               {"p_from_agent": w.b.agent.name}, {"p_for_me": True}],
    "check_network": lambda w: [{"p_domain": w.objects["rule_domain"]}],
    "add_network_rule": lambda w: [{"p_pattern": "*.example.org", "p_action": "allow", "p_for_agent": w.b.agent.name}],
    "remove_network_rule": lambda w: [{"p_rule_id": w.objects["rule_id"]}],
    "list_network_rules": lambda w: [{}],
    # profiles: B's profile by name, B's agent as assignee
    "create_profile": lambda w: [{"p_name": w.objects["profile"], "p_trust_level": 4}],
    "update_profile": lambda w: [{"p_name": w.objects["profile"], "p_settings": {"trust_level": 4}}],
    "assign_profile": lambda w: [{"p_agent": w.b.agent.name, "p_profile": w.objects["profile"]},
                                 {"p_agent": w.b.agent.name},
                                 {"p_agent": w.a.agent.name, "p_profile": w.objects["profile"]}],
    "set_default_profile": lambda w: [{"p_profile": w.objects["profile"]}],
    "delete_profile": lambda w: [{"p_name": w.objects["profile"]}],
    "list_profiles": lambda w: [{}],
    "my_profile": lambda w: [{}],
    # tenant B's head: refused as another tenant's (CO604), never compared with A's chain
    "verify_audit": lambda w: [{}, {"p_head": w.objects["audit_head"]}, {"p_head": w.objects["audit_head"],
                                                                         "p_seal": False}],
    "audit_head": lambda w: [{}, {"p_seal": False}],
    # guardrail reads: how an operation is seen, the words rules are written in
    "explain_operation": lambda w: [{"p_kind": "command", "p_text": "rm -rf /"}, {"p_kind": "path", "p_text": ".env"}],
    "list_guardrail_vocabulary": lambda w: [{}],
    # approvals: B's pending and approved requests, B's policy by name
    "approve_request": lambda w: [{"p_approval_id": w.objects[k], "p_reason": "x"}
                                  for k in ("approval_id", "granted_approval")],
    "deny_request": lambda w: [{"p_approval_id": w.objects["approval_id"], "p_reason": "x"}],
    "cancel_approval": lambda w: [{"p_approval_id": w.objects["approval_id"]}],
    "wait_for_approval": lambda w: [{"p_approval_id": w.objects[k]} for k in ("approval_id", "granted_approval")],
    "get_approval": lambda w: [{"p_approval_id": w.objects[k]} for k in ("approval_id", "granted_approval")],
    "list_approvals": lambda w: [{}, {"p_state": None}, {"p_state": "approved"}],
    "add_approval_policy": lambda w: [{"p_name": w.objects["approval_policy"], "p_scopes": ["guardrail:deployment"]}],
    "remove_approval_policy": lambda w: [{"p_name": w.objects["approval_policy"]}],
    "list_approval_policies": lambda w: [{}],
    # memory: B's content (remembering it in A must not reinforce B's), B's vector, B's ids
    "remember": lambda w: [{"p_tier": tier, "p_content": f"{w.objects['memory_content']} {tier}", "p_visibility": v,
                            "p_embedding": w.objects["memory_vector"]}
                           for tier, v in (("semantic", "private"), ("procedural", "tenant"))],
    "recall": lambda w: [{"p_query": w.objects["memory_content"]}, {"p_embedding": w.objects["memory_vector"]},
                         {"p_query": "deploy key", "p_embedding": w.objects["memory_vector"]}, {},
                         {"p_tags": [f"{w.tag}tag"]}],
    "forget": lambda w: [{"p_memory_id": i} for i in w.objects["memory_ids"]],
    "list_memories": lambda w: [{}, {"p_tags": [f"{w.tag}tag"]}, {"p_before_id": 2**62}],
    "session_context": lambda w: [{}],
    # skills: B's skill by name (registering it in A must not touch B's versions)
    "register_skill": lambda w: [{"p_name": w.objects["skill"], "p_version": v, "p_manifest": {}}
                                 for v in ("1.0.0", "2.0.0")],
    "retire_skill": lambda w: [{"p_name": w.objects["skill"]}, {"p_name": w.objects["skill"], "p_version": "1.0.0"}],
    "list_skills": lambda w: [{}, {"p_name": w.objects["skill"], "p_include_retired": True}],
    "get_skill": lambda w: [{"p_skill": w.objects["skill"]}],
    "validate_skill": lambda w: [{"p_skill": w.objects["skill"],
                                  "p_operations": [{"kind": "network", "domain": w.objects["rule_domain"]}]}],
    # messages: to B's agent and team, into B's thread, acking B's messages, B's rules
    "send_message": lambda w: [{"p_to": w.b.agent.name, "p_body": "x"},
                               {"p_to": f"team:{w.objects['profile']}", "p_body": "x"},
                               {"p_to": "*", "p_body": "x", "p_reply_to": w.objects["message_ids"][0]},
                               {"p_to": "*", "p_body": "x", "p_thread": w.objects["message_thread"]},
                               {"p_to": "*", "p_body": "x"}],
    "inbox": lambda w: [{}, {"p_unread": False}],
    "ack_messages": lambda w: [{"p_message_ids": w.objects["message_ids"]}],
    "get_thread": lambda w: [{"p_thread_id": w.objects["message_thread"]}],
    "list_threads": lambda w: [{}],
    "watch_inbox": lambda w: [{}],
    "allow_messages": lambda w: [{"p_sender": w.b.agent.name, "p_recipient": "*"},
                                 {"p_sender": "*", "p_recipient": f"team:{w.objects['profile']}", "p_side": "send"}],
    "deny_messages": lambda w: [{"p_sender": w.b.agent.name, "p_recipient": "*"}],
    "remove_message_rule": lambda w: [{"p_rule_id": w.objects["message_rule_id"]}],
    "set_message_default": lambda w: [{"p_action": "allow"}, {"p_action": "deny"}],
    "list_message_rules": lambda w: [{}],
    "check_message_route": lambda w: [{"p_sender": w.b.agent.name, "p_recipient": "*"}],
    # actions: B's proposed, approved and executing actions (claim 1), B's device as a target
    "propose_action": lambda w: [{"p_kind": "k", "p_payload": {}, "p_required_scopes": ["x:y"],
                                  "p_target": t} for t in (w.objects["action_device"], w.b.agent.name)],
    "claim_action": lambda w: [{}, *({"p_action_id": w.objects[k]}
                                     for k in ("action_id", "approved_action", "executing_action"))],
    "renew_action": lambda w: [{"p_action_id": w.objects[k], "p_claim": 1}
                               for k in ("approved_action", "executing_action")],
    "complete_action": lambda w: [{"p_action_id": w.objects["executing_action"], "p_claim": 1, "p_result": {}}],
    "fail_action": lambda w: [{"p_action_id": w.objects["executing_action"], "p_claim": 1, "p_error": "x"}],
    "get_action": lambda w: [{"p_action_id": w.objects[k]} for k in ("action_id", "executing_action")],
    "list_actions": lambda w: [{}, {"p_state": "executing"}, {"p_side": "target"}],
    "device_heartbeat": lambda w: [{}],
    "discover_devices": lambda w: [{}, {"p_scope": "actions:claim"}, {"p_presence": "online"}],
    # the event stream and webhooks: B's event ids as cursors, B's webhook by name
    "events_since": lambda w: [{}, {"p_types": ["*"]}, {"p_after": w.objects["rule_id"]}],
    "events_head": lambda w: [{}],
    "follow_events": lambda w: [{}],
    "audit_since": lambda w: [{}, {"p_after": w.objects["rule_id"]}],
    "add_webhook": lambda w: [{"p_name": w.objects["webhook"], "p_url": "https://hooks.example/a"}],
    "remove_webhook": lambda w: [{"p_name": w.objects["webhook"]}],
    "list_webhooks": lambda w: [{}],
    "list_webhook_deliveries": lambda w: [{}, {"p_webhook": w.objects["webhook"]}],
    "claim_webhook_deliveries": lambda w: [{}],
    "report_webhook_delivery": TYPED,
    # Cedar: B has version 1 (on servers that run Cedar); rolling back to it must find none in A
    "set_cedar_policy": lambda w: [{"p_policy": "permit (principal, action, resource);", "p_reason": "x"}],
    "rollback_cedar_policy": lambda w: [{"p_version": 1, "p_reason": "x"}],
    "set_policy_engine": lambda w: [{"p_engine": e, "p_reason": "x"} for e in ("native", "cedar", "both")],
    "cedar_policy": lambda w: [{}, {"p_version": 1}],
    "cedar_policy_history": lambda w: [{}],
}
# Functions of branches not merged yet (guardrails, audit chain, alerts): their parameter types
# say enough until someone writes arguments aimed at tenant B's guardrails, archives and alerts.
UPCOMING = {"check_operation", "add_guardrail", "set_guardrail_enabled", "list_guardrails",
            "list_guardrail_violations", "list_archives", "query_restored_audit", "list_alerts",
            "resolve_alert", "list_alert_rules", "add_alert_rule", "set_alert_rule"}
ARGUMENTS.update(dict.fromkeys(UPCOMING, TYPED))


# Tenant-B identifiers a call may name because the caller passed what they describe: the error
# for a revoked token names that token's id, which its holder may learn.
KNOWN: dict[str, Callable[[World], list[Any]]] = {
    "login": lambda w: [str(w.objects["revoked_token_id"])],
    "begin_request": lambda w: [str(w.objects["revoked_token_id"])],
}


def _b_values(world: World) -> dict[str, list[Any]]:
    """Tenant B's identifiers by PostgreSQL type, for functions whose entry is TYPED."""
    o, b = world.objects, world.b
    uuids = [b.agent.principal_id, b.agent.token_id, b.session_id, b.tenant_id, o["minted_token_id"]]
    ids = [o[k] for k in ("queued_task", "claimed_task", "failed_task", "completed_task", "rule_id", "handoff_id",
                          "approval_id", "granted_approval")]
    texts = [o["lock_path"], o["kind"], b.agent.name, o["rule_domain"], o["unique_key"], str(b.tenant_id)]
    return {"uuid": uuids, "bigint": ids, "integer": ids, "text": texts, "text[]": [[t] for t in texts],
            "bigint[]": [ids], "jsonb": [{"id": str(b.agent.principal_id), "tenant": str(b.tenant_id)}]}


DEFAULTS: dict[str, Any] = {"text": "x", "text[]": ["x"], "uuid": "00000000-0000-0000-0000-000000000000",
                            "bigint": 1, "integer": 1, "smallint": 1, "boolean": False, "jsonb": {}, "json": {},
                            "interval": "1 minute", "bigint[]": [1], "uuid[]": [],
                            "timestamp with time zone": dt.datetime(2030, 1, 1, tzinfo=dt.UTC).isoformat()}


def typed_variants(signature: Any, world: World) -> list[dict[str, Any]]:
    """Required parameters from typed defaults, then one variant per (parameter, tenant-B value
    of its type): e.g. every uuid parameter gets B's principal, token, session and tenant ids."""
    base = {name: DEFAULTS.get(typ) for name, typ in zip(signature.arg_names, signature.arg_types, strict=True)
            if name in signature.required}
    variants = [base]
    values = _b_values(world)
    for name, typ in zip(signature.arg_names, signature.arg_types, strict=True):
        for value in values.get(typ, []):
            variants.append({**base, name: value})
    return variants


def _registered(db: psycopg.Connection) -> set[str]:
    return {r[0] for r in db.execute("select code from coord.error_registry").fetchall()}


def _call(client: Client, function: str, arguments: dict[str, Any], registered: set[str]) -> tuple[Any, str | None]:
    """(output, error code); an unregistered error is a failure of its own."""
    try:
        return client.call(function, arguments), None
    except CoordError as exc:
        return [str(exc), exc.detail, exc.hint], exc.code


def test_every_api_function_has_an_entry(db: psycopg.Connection) -> None:
    functions = set(load_signatures(db))
    assert sorted(functions - set(ARGUMENTS)) == [], (
        "new api functions: add them to ARGUMENTS in tests/test_persona_matrix.py "
        "(arguments aimed at tenant B's objects, or TYPED)")
    assert sorted(set(ARGUMENTS) - functions - UPCOMING) == [], "ARGUMENTS names functions that no longer exist"


def run_matrix(db: psycopg.Connection, world: World, persona: str,
               only: set[str] | None = None, codes: dict[str, str | None] | None = None
               ) -> tuple[list[str], dict[str, int]]:
    """Every api function (or those in only) x its variants as tenant A's persona; the problems
    found, and counts. codes, when given, receives each call's outcome (error code, or the
    result's code)."""
    signatures = load_signatures(db)
    query = snapshot_query(db)
    before = snapshot(db, query, world.b.tenant_id)
    registered = _registered(db)
    client = world.client(persona)
    problems: list[str] = []
    outcomes: dict[str, int] = {"result": 0, "error": 0, "calls": 0}
    for function, signature in sorted(signatures.items()):
        if only is not None and function not in only:
            continue
        make = ARGUMENTS.get(function, TYPED)
        variants = typed_variants(signature, world) if make is TYPED else make(world)
        for arguments in variants:
            outcomes["calls"] += 1
            with db.transaction(force_rollback=True):
                output, code = _call(client, function, arguments, registered)
                after = snapshot(db, query, world.b.tenant_id)
            where = f"{persona} {function}({json.dumps(arguments, default=str)})"
            outcomes["error" if code else "result"] += 1
            if codes is not None:
                codes[where] = code or json.dumps([r.get("code") for r in output if isinstance(r, dict)])
            if code is not None and code not in registered:
                problems.append(f"{where}: unregistered error {code}: {output}")
            changed = sorted(t for t in before if before[t] != after.get(t))
            if changed:
                problems.append(f"{where}: changed tenant B's rows in {changed}")
            known = KNOWN.get(function, lambda w: [])(world)
            if leaks := leaked(world.markers, [arguments, known], output):
                problems.append(f"{where}: tenant B's {leaks} in {output}")
            if persona == "anon" and function not in ("authenticate", "pre_request", "login", "begin_request") \
                    and code not in ("42501", "PT401"):
                problems.append(f"{where}: anonymous call was not refused: {code} {output}")
    return problems, outcomes


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_persona_of_tenant_a_reaches_tenant_b(db: psycopg.Connection, persona: str) -> None:
    world = build_world(db)
    problems, outcomes = run_matrix(db, world, persona)
    assert problems == []
    assert outcomes["calls"] >= len(load_signatures(db)) + 25
    if persona != "anon":  # the matrix must exercise real results, not just refusals
        assert outcomes["result"] >= 10, outcomes


def test_the_matrix_fails_when_isolation_breaks(db: psycopg.Connection) -> None:
    """Sabotage both layers (the RLS policies of tasks and principals, and the explicit tenant
    filter of three functions; all rolled back with the test): the matrix must report the
    reads. (Writes are caught by the snapshot: test_the_matrix_notices_a_cross_tenant_write.)"""
    world = build_world(db)
    for policy, table in (("tasks_own_tenant", "coord.tasks"), ("principals_own_tenant", "coord.principals")):
        db.execute(f"alter policy {policy} on {table} using (true) with check (true)")
    for function in ("api.get_task(bigint)", "api.list_tasks(text, text, integer, bigint)"):
        source = db.execute("select pg_get_functiondef(%s::regprocedure)", (function,)).fetchone()[0]
        broken, count = re.subn(r"\w+\.tenant_id = v_me\.tenant_id\s+and ", "", source)
        assert count, f"update this self-test: {function} no longer filters on v_me.tenant_id"
        db.execute(broken)
    problems, _ = run_matrix(db, world, "operator", only={"list_tasks", "get_task"})
    assert any(p.startswith("operator list_tasks({})") and "tenant B's" in p for p in problems), problems
    assert any(p.startswith("operator get_task") and "tenant B's" in p for p in problems), problems


def test_the_matrix_notices_a_cross_tenant_write(db: psycopg.Connection) -> None:
    """The snapshot and the markers must see what they are meant to see."""
    world = build_world(db)
    query = snapshot_query(db)
    before = snapshot(db, query, world.b.tenant_id)
    with db.transaction(force_rollback=True):
        db.execute("update coord.tasks set priority = priority + 1 where id = %s", (world.objects["queued_task"],))
        assert snapshot(db, query, world.b.tenant_id)["coord.tasks"] != before["coord.tasks"]
    with db.transaction(force_rollback=True):
        db.execute("update authz.network_rules set priority = 1 where id = %s", (world.objects["rule_id"],))
        assert snapshot(db, query, world.b.tenant_id)["authz.network_rules"] != before["authz.network_rules"]
    assert snapshot(db, query, world.b.tenant_id) == before
    own = world.b.clients["operator"].call("list_tasks", {})
    assert leaked(world.markers, {}, own), "tenant B's own listing shows its markers"
    assert len(before) == len(private_tables(db))


def test_tenants_have_separate_namespaces(db: psycopg.Connection) -> None:
    """Positive evidence behind the matrix: tenant B's leases, tasks and rules do not exist for A."""
    world = build_world(db)
    o, agent = world.objects, world.client("agent")
    assert agent.acquire_lock(o["lock_path"]).code == "granted"  # B holds it exclusively
    assert [c.locked for c in agent.check_locks([o["dir_path"], o["task_lock_path"]])] == [False, False]
    assert agent.call("claim_task", {"p_kinds": [o["kind"]]})[0]["ok"] is False
    assert not agent.check_network(o["rule_domain"]).ok  # B's allow rule does not apply in A
    submitted = agent.submit_task(o["kind"], unique_key=o["unique_key"])
    assert submitted.ok and submitted.code == "submitted", submitted  # B's unique key does not dedupe A's


# --- direct table access, every role x every private relation x every operation --------------

def _relations(db: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    """(schema, name, relkind, first column) of every table, partition, view and sequence."""
    return db.execute(
        """select n.nspname, c.relname, c.relkind::text,
                  coalesce((select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                            and not a.attisdropped order by a.attnum limit 1), '')
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
           order by 1, 2""", (list(PRIVATE_SCHEMAS),)).fetchall()


@pytest.mark.parametrize("role", REQUEST_ROLES)
def test_request_roles_cannot_touch_private_relations(db: psycopg.Connection, role: str) -> None:
    relations = _relations(db)
    assert len(relations) >= 15
    refused = 0
    for schema, name, kind, column in relations:
        target = pgsql.Identifier(schema, name)
        if kind == "S":
            statements = [pgsql.SQL("select nextval({})").format(pgsql.Literal(f"{schema}.{name}")),
                          pgsql.SQL("select * from {}").format(target)]
        else:
            col = pgsql.Identifier(column)
            statements = [pgsql.SQL("select * from {}").format(target),
                          pgsql.SQL("insert into {} default values").format(target),
                          pgsql.SQL("update {} set {} = {}").format(target, col, col),
                          pgsql.SQL("delete from {}").format(target),
                          pgsql.SQL("truncate {}").format(target),
                          pgsql.SQL("copy {} to stdout").format(target)]
        for statement in statements:
            with pytest.raises(psycopg.Error) as caught, db.transaction():
                db.execute(pgsql.SQL("set local role {}").format(pgsql.Identifier(role)))
                db.execute(statement)
            assert caught.value.sqlstate == "42501", (role, statement.as_string(db), caught.value)
            refused += 1
    assert refused == sum(2 if kind == "S" else 6 for _, _, kind, _ in relations)  # every statement tried
