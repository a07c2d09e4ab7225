"""Two tenants with every persona, and a tenant-B world of objects for tenant A to attack.

Used by the persona matrix and the escalation tests. Everything is built through the api (as
tenant B's own principals) inside the caller's transaction, so the tests roll it back. Every
string of tenant B carries a random tag, so a leak shows up as a marker in a result.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql as pgsql

from coordinator.client import Client
from tests.conftest import Principal, advance_clock, make_principal

PRIVATE_SCHEMAS = ("coord", "authz", "audit")
REQUEST_ROLES = ("coord_anon", "coord_agent", "coord_operator", "coord_auditor", "coord_authenticator")
PERSONAS = ("agent", "operator", "auditor", "anon")


@dataclass
class Tenant:
    name: str
    tenant_id: uuid.UUID
    agent: Principal
    operator: Principal
    auditor: Principal
    session_id: uuid.UUID
    clients: dict[str, Client] = field(default_factory=dict)


@dataclass
class World:
    """Tenant A (the attacker) and tenant B (the victim) with B's objects."""

    a: Tenant
    b: Tenant
    tag: str
    objects: dict[str, Any]
    markers: list[str]

    def client(self, persona: str) -> Client:
        return self.a.clients[persona]


def _tenant(db: psycopg.Connection, name: str, prefix: str, capability: str, agent_type: str) -> Tenant:
    agent = make_principal(db, f"{prefix}-agent", tenant=name)
    operator = make_principal(db, f"{prefix}-operator", tenant=name, role="operator")
    auditor = make_principal(db, f"{prefix}-auditor", tenant=name, role="auditor")
    session = Client(connection=db, token=agent.token).start_session(agent_type, [capability], "1 hour")
    assert session.ok and session.session_id is not None
    tenant = Tenant(name, agent.tenant_id, agent, operator, auditor, session.session_id)
    tenant.clients = {
        "agent": Client(connection=db, token=agent.token, session_id=session.session_id),
        "operator": Client(connection=db, token=operator.token),
        "auditor": Client(connection=db, token=auditor.token),
        "anon": Client(connection=db),
    }
    return tenant


def _ok(rows: list[dict[str, Any]]) -> dict[str, Any]:
    assert rows and rows[0].get("ok", True), rows
    return rows[0]


def build_world(db: psycopg.Connection) -> World:
    """Tenants A and B; B holds live and expiring leases, tasks in every state, a session, a
    handoff, a network rule, live and revoked tokens, and the audit events of all that."""
    tag = uuid.uuid4().hex[:8]
    t = f"zb{tag}"  # every tenant-B string contains this
    a = _tenant(db, f"tenant-a-{tag}", f"za{tag}", f"za{tag}cap", f"za{tag}type")
    b = _tenant(db, f"tenant-b-{tag}", t, f"{t}cap", f"{t}type")
    bag, bop = b.clients["agent"], b.clients["operator"]
    o: dict[str, Any] = {}

    o["lock_path"] = f"{t}secret/file.py"
    o["fence"] = bag.acquire_lock(o["lock_path"], ttl="2 hours").fence
    o["dir_path"] = f"{t}shared/"
    o["dir_fence"] = bag.acquire_lock(o["dir_path"], ttl="2 hours", mode="shared").fence

    o["kind"] = f"{t}kind"
    o["task_lock_path"] = f"{t}tasklock/x.py"
    o["claimed_task"] = bop.submit_task(o["kind"], {"bmark": f"{t}payload1"}, locks=[o["task_lock_path"]]).task_id
    claim = _ok(bag.call("claim_task", {"p_kinds": [o["kind"]], "p_lease": "2 hours"}))
    assert claim["task_id"] == o["claimed_task"]
    o["claim"] = claim["claim"]
    o["unique_key"] = f"{t}unique"
    o["queued_task"] = bop.submit_task(o["kind"], {"bmark": f"{t}payload2", f"{t}key": 1},
                                       unique_key=o["unique_key"], priority=5).task_id
    o["dependent_task"] = bop.submit_task(f"{t}dep", {"bmark": f"{t}payload3"},
                                          depends_on=[o["queued_task"]]).task_id
    o["high_trust_task"] = bop.submit_task(f"{t}high", {"bmark": f"{t}payload4"}, required_trust=4).task_id

    fail_kind, done_kind = f"{t}fail", f"{t}done"
    o["failed_task"] = bop.submit_task(fail_kind, {"bmark": f"{t}payload5"}).task_id
    fail_claim = _ok(bag.call("claim_task", {"p_kinds": [fail_kind]}))
    _ok(bag.call("fail_task", {"p_task_id": o["failed_task"], "p_claim": fail_claim["claim"],
                               "p_error": f"{t}error", "p_retryable": False}))
    o["completed_task"] = bop.submit_task(done_kind, {"bmark": f"{t}payload6"}).task_id
    done_claim = _ok(bag.call("claim_task", {"p_kinds": [done_kind]}))
    _ok(bag.call("complete_task", {"p_task_id": o["completed_task"], "p_claim": done_claim["claim"],
                                   "p_result": {"bmark": f"{t}result"}}))

    handoff = _ok(bag.call("write_handoff", {"p_summary": f"{t}summary", "p_task_id": o["claimed_task"],
                                             "p_to_agent": b.agent.name, "p_relevant_files": [o["lock_path"]]}))
    o["handoff_id"] = handoff["details"]["handoff_id"]
    o["rule_pattern"] = f"*.{t}only.example"
    o["rule_domain"] = f"www.{t}only.example"
    rule = _ok(bop.call("add_network_rule", {"p_pattern": o["rule_pattern"], "p_action": "allow",
                                             "p_priority": 50, "p_for_agent": b.agent.name,
                                             "p_reason": f"{t}rulereason"}))
    o["rule_id"] = rule["details"]["rule_id"]
    minted = _ok(bop.call("create_agent", {"p_name": f"{t}minted"}))
    o["minted_principal"], o["minted_token_id"], o["minted_token"] = \
        minted["principal_id"], minted["token_id"], minted["token"]
    revoked = _ok(bop.call("create_agent", {"p_name": f"{t}revoked"}))
    _ok(bop.call("revoke_token", {"p_token_id": revoked["token_id"]}))
    o["revoked_token_id"], o["revoked_token"] = revoked["token_id"], revoked["token"]
    # A device of B's agent, seen by a heartbeat.
    o["device"] = f"{t}device"
    device = _ok(bag.call("add_device", {"p_name": o["device"], "p_scopes": ["sessions:write"]}))
    o["device_token_id"] = device["token_id"]

    # A profile of B's own, assigned to B's agent.
    o["profile"] = f"{t}prof"
    _ok(bop.call("create_profile", {"p_name": o["profile"], "p_trust_level": 3,
                                    "p_settings": {"description": f"{t}profdesc"}}))
    _ok(bop.call("assign_profile", {"p_agent": b.agent.name, "p_profile": o["profile"]}))

    # A skill of B's own.
    o["skill"] = f"{t}skill"
    _ok(bop.call("register_skill", {"p_name": o["skill"], "p_version": "1.0.0",
                                    "p_manifest": {"network": [f"{t}only.example"], "env": [f"{t.upper()}_KEY"]}}))

    # B's memories: private, shared with the tenant, with an embedding, and B's working scratch.
    o["memory_content"] = f"{t}memory about the deploy key"
    o["memory_vector"] = [((i * 7) % 11 - 5) / 5.0 for i in range(384)]
    o["memory_ids"] = [
        _ok(bag.call("remember", {"p_tier": tier, "p_content": f"{o['memory_content']} {tier}", "p_tags": [f"{t}tag"],
                                  "p_visibility": visibility, "p_embedding": o["memory_vector"],
                                  "p_metadata": {"bmark": f"{t}memmeta"}}))["details"]["memory_id"]
        for tier, visibility in (("semantic", "private"), ("procedural", "tenant"), ("working", "tenant"))]

    # B's messages: a thread between B's agent and its mortal agent (below), and a rule.
    _ok(bop.call("set_message_default", {"p_action": "allow"}))
    o["message_rule_id"] = _ok(bop.call("deny_messages", {"p_sender": f"{t}minted", "p_recipient": "*",
                                                          "p_side": "receive", "p_reason": f"{t}msgrule"}))[
        "details"]["rule_id"]

    # B's audit chain head, as B's auditor would keep it outside the database.
    o["audit_head"] = _ok(b.clients["auditor"].call("audit_head", {}))["details"]["head"]

    # Work that expires: a second agent with a short session, a short lease and a short claim,
    # so a sweep running in tenant A would find it if it could see it. A minute, not a second:
    # lease checks read the wall clock, and a loaded machine can spend a second between calls;
    # the test clock moves past it below.
    mortal = make_principal(db, f"{t}mortal", tenant=b.name)
    mortal_client = Client(connection=db, token=mortal.token)
    assert mortal_client.start_session(f"{t}type", [f"{t}cap"], "1 minute").ok
    o["expiring_path"] = f"{t}expiring/y.py"
    assert mortal_client.acquire_lock(o["expiring_path"], ttl="1 minute").ok
    o["expiring_task"] = bop.submit_task(f"{t}exp", {"bmark": f"{t}payload7"}).task_id
    _ok(mortal_client.call("claim_task", {"p_kinds": [f"{t}exp"], "p_lease": "1 minute"}))
    o["mortal"] = mortal
    o["mortal_session"] = mortal_client.session_id
    first = _ok(mortal_client.call("send_message", {"p_to": b.agent.name, "p_body": f"{t}msgbody",
                                                    "p_subject": f"{t}msgsubject"}))
    reply = _ok(bag.call("send_message", {"p_to": mortal.name, "p_body": f"{t}msgreply",
                                          "p_reply_to": first["details"]["message_id"]}))
    o["message_ids"] = [first["details"]["message_id"], reply["details"]["message_id"]]
    o["message_thread"] = first["details"]["thread_id"]

    # Approval requests of B (the mortal agent is at the default trust, so publishing asks): one
    # pending, one approved and unused; and an auto-approval policy added after them.
    asked = mortal_client.check_operation("command", f"npm publish {t}pkg")
    assert asked.code == "needs_approval", asked
    o["approval_id"] = asked.approval_id
    o["granted_approval"] = mortal_client.check_operation("command", f"npm publish {t}pkg2").approval_id
    _ok(bop.call("approve_request", {"p_approval_id": o["granted_approval"], "p_reason": f"{t}approvereason"}))
    o["approval_policy"] = f"{t}policy"
    _ok(bop.call("add_approval_policy", {"p_name": o["approval_policy"], "p_scopes": [f"guardrail:{t}scope"],
                                         "p_description": f"{t}policydesc"}))
    # B's actions for a device of its own: one proposed, one approved, one executing (claim 1).
    o["action_device"] = f"{t}actdev"
    act_device = _ok(bag.call("add_device", {"p_name": o["action_device"],
                                             "p_scopes": ["actions:claim", "actions:read", "presence:write"]}))
    device_client = Client(connection=db, token=act_device["token"])
    o["action_id"] = _ok(bag.call("propose_action", {"p_kind": f"{t}act", "p_payload": {"bmark": f"{t}payload8"},
                                                     "p_required_scopes": [f"{t}act:write"],
                                                     "p_target": o["action_device"]}))["action_id"]
    for key in ("approved_action", "executing_action"):
        proposed = _ok(bag.call("propose_action", {"p_kind": f"{t}act", "p_payload": {"bmark": key},
                                                   "p_required_scopes": [f"{t}act:write"],
                                                   "p_target": o["action_device"]}))
        o[key] = proposed["action_id"]
        _ok(bop.call("approve_request", {"p_approval_id": proposed["approval_id"], "p_reason": f"{t}approvereason"}))
    _ok(device_client.call("claim_action", {"p_action_id": o["executing_action"], "p_lease": "1 hour"}))
    _ok(device_client.call("device_heartbeat", {}))
    # B's webhook subscription, its secret (never to be shown) and a delivery of B's lease event.
    o["webhook"] = f"{t}hook"
    o["webhook_secret"] = f"{t}secret-0123456789"
    _ok(bop.call("add_webhook", {"p_name": o["webhook"], "p_url": f"http://{t}hook.example/in",
                                 "p_event_types": ["*"], "p_secret": o["webhook_secret"]}))
    # B's Cedar policy and engine where the server runs Cedar (PL/Python, on 15): a comment and a
    # reason as markers.
    if _ok(bop.call("cedar_policy", {}))["cedar_available"]:
        _ok(bop.call("set_cedar_policy", {"p_policy": f"// {t}cedarpolicy\npermit (principal, action, resource);",
                                          "p_reason": f"{t}cedarreason"}))
        _ok(bop.call("set_policy_engine", {"p_engine": "both", "p_reason": f"{t}enginereason"}))
    advance_clock(db, "5 minutes")

    markers = [str(b.tenant_id), b.name, *(str(p.principal_id) for p in (b.agent, b.operator, b.auditor, mortal)),
               *(p.name for p in (b.agent, b.operator, b.auditor, mortal)),
               *(str(p.token_id) for p in (b.agent, b.operator, b.auditor, mortal)),
               str(b.session_id), str(o["mortal_session"]), str(o["minted_principal"]), str(o["minted_token_id"]),
               str(o["revoked_token_id"]), o["lock_path"], o["dir_path"], o["task_lock_path"], o["kind"],
               o["unique_key"], o["rule_pattern"], o["expiring_path"], f"{t}minted", f"{t}revoked",
               *(f"{t}payload{i}" for i in range(1, 8)), f"{t}error", f"{t}result", f"{t}summary",
               f"{t}rulereason", o["profile"], f"{t}profdesc", f"{t}cap", f"{t}type", f"{t}key", f"{t}dep",
               f"{t}high", f"{t}exp", o["audit_head"].rsplit(":", 1)[1], f"{t}pkg", f"{t}approvereason",
               o["approval_policy"], f"{t}policydesc", f"{t}scope",
               o["memory_content"], f"{t}tag", f"{t}memmeta", o["device"], str(o["device_token_id"]),
               f"{t}msgbody", f"{t}msgsubject", f"{t}msgreply", f"{t}msgrule",
               o["action_device"], f"{t}act", f"{t}payload8", o["webhook"], o["webhook_secret"],
               f"{t}cedarpolicy", f"{t}cedarreason", f"{t}enginereason"]
    return World(a, b, t, o, markers)


# --- what tenant B owns, as a superuser sees it ------------------------------------------------

def private_tables(db: psycopg.Connection, *, partitions: bool = False) -> list[tuple[str, bool]]:
    """Every table of the private schemas (relation name, has tenant_id), from the catalog."""
    rows = db.execute(
        """select c.oid::regclass::text,
                  exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id'
                            and not a.attisdropped)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = any(%s) and c.relkind in ('r', 'p') and (%s or not c.relispartition)
           order by 1""", (list(PRIVATE_SCHEMAS), partitions)).fetchall()
    return [(r[0], r[1]) for r in rows]


def snapshot_query(db: psycopg.Connection) -> pgsql.Composed:
    """One statement hashing, per table, the rows of tenant %(tenant)s and the rows of no tenant
    (global rows of tenant tables, and whole tables without tenant_id; coord.tenants by id)."""
    parts = []
    for table, has_tenant in private_tables(db):
        schema, name = table.split(".")
        if table == "coord.tenants":
            where = pgsql.SQL("t.id = %(tenant)s")
        elif has_tenant:
            where = pgsql.SQL("t.tenant_id = %(tenant)s or t.tenant_id is null")
        else:
            where = pgsql.SQL("true")
        parts.append(pgsql.SQL(
            "select {label}::text, count(*)::text || ':' "
            "|| coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {table} t where {where}").format(
                label=pgsql.Literal(table), table=pgsql.Identifier(schema, name), where=where))
    return pgsql.SQL(" union all ").join(parts)


def snapshot(db: psycopg.Connection, query: pgsql.Composed, tenant_id: uuid.UUID) -> dict[str, str]:
    return dict(db.execute(query, {"tenant": tenant_id}).fetchall())  # type: ignore[arg-type]


def leaked(markers: list[str], arguments: Any, output: Any) -> list[str]:
    """Tenant-B markers in output that the caller did not pass in itself."""
    passed = json.dumps(arguments, default=str)
    text = json.dumps(output, default=str)
    return [m for m in markers if m not in passed and m in text]
