"""Every registered error code is raised by a real call, maps to its class and exit code, and
the failed call leaves nothing behind."""

from __future__ import annotations

import ast
import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from coordinator import errors, eval_scenarios
from coordinator.client import Client
from coordinator.config import Settings
from coordinator.docs import render_errors
from coordinator.server import EmbeddedServer, ServerState, free_port
from coordinator.workspace import repository_root, resolve_path
from tests.conftest import bypass_audit_guard, make_principal
from tests.interfaces import RawBody, RawBodyDumper

Setup = Callable[[psycopg.Connection], Any]
Act = Callable[[psycopg.Connection, Any], object]


def _agent(db: psycopg.Connection, **kwargs: object) -> Client:
    return Client(connection=db, token=make_principal(db, **kwargs).token)  # type: ignore[arg-type]


def _without_cedar(db: psycopg.Connection) -> None:
    """A server without PL/Python: where the Cedar functions exist, they are renamed (rolled back)."""
    if db.execute("select to_regprocedure('authz.cedar_version()') is not null").fetchone()[0]:  # type: ignore[index]
        db.execute("alter function authz.cedar_version() rename to gone_cedar_version")


def _operator(db: psycopg.Connection) -> Client:
    return Client(connection=db, token=make_principal(db, role="operator").token)


def _auditor(db: psycopg.Connection) -> Client:
    return Client(connection=db, token=make_principal(db, role="auditor").token)


def _skill(db: psycopg.Connection) -> Client:
    operator = _operator(db)
    assert operator.register_skill("deploy", "1.0.0", {"network": ["pypi.org"]}).ok
    return operator


def _retired_skill(db: psycopg.Connection) -> Client:
    operator = _skill(db)
    assert operator.retire_skill("deploy").ok
    return operator


def _twin(db: psycopg.Connection) -> Client:
    operator = _operator(db)
    operator.create_agent("twin")
    return operator


def _wait_in_repeatable_read(db: psycopg.Connection, _ctx: object) -> None:
    with psycopg.connect(db.info.dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            Client(connection=conn, token=make_principal(conn, tenant="rr").token).acquire_lock("a.py")
        finally:
            conn.rollback()


def _spill_past_temp_file_limit(db: psycopg.Connection) -> None:
    """A sort larger than work_mem spills to a temporary file, which temp_file_limit caps: 53400,
    one of PostgreSQL's insufficient-resources codes (class 53) the client reports as such."""
    db.execute("set local work_mem = '64kB'")
    db.execute("set local temp_file_limit = '64kB'")
    db.execute("select g from generate_series(1, 100000) as g order by g desc").fetchone()


def _none(_db: psycopg.Connection) -> None:
    return None


def _mcp_call_that_fails(_db: psycopg.Connection) -> None:
    """What the MCP server answers for a tool call that fails in the server itself (a tool call
    provoking it for real is in tests/test_mcp.py)."""
    from coordinator import mcp_server

    raise mcp_server.call_failed("acquire_lock", RuntimeError("a bug in the server"))


def _corrupt_state(_db: psycopg.Connection) -> Path:
    state = Path(tempfile.mkdtemp(prefix="coord-state-")) / "coord.json"
    state.write_text('{"port": 55432, "authenticator_password": ')
    return state


def _cluster_dir(db: psycopg.Connection) -> Path:
    """The data directory of the test cluster (its server runs, on the port in its coord.json)."""
    return Path(db.execute("show data_directory").fetchone()[0]).parent  # type: ignore[index]


def _completed_task(db: psycopg.Connection) -> tuple[Client, int, int]:
    agent = _agent(db)
    task_id = agent.submit_task("k").task_id
    claim = agent.claim_task(["k"])
    agent.complete_task(task_id, claim.claim)
    return agent, task_id, claim.claim


def _claimed_task(db: psycopg.Connection) -> tuple[Client, int, int]:
    agent = _agent(db)
    task_id = agent.submit_task("k").task_id
    return agent, task_id, agent.claim_task(["k"]).claim


def _cancelled_task(db: psycopg.Connection) -> tuple[Client, int]:
    agent = _agent(db)
    task_id = agent.submit_task("k").task_id
    agent.cancel_task(task_id)
    return agent, task_id


def _denied_approval(db: psycopg.Connection) -> int:
    asked = _agent(db).check_operation("command", "npm publish")
    assert asked.code == "needs_approval" and asked.approval_id is not None
    assert _operator(db).deny_request(asked.approval_id, "no").ok
    return asked.approval_id


def _rejected_action(db: psycopg.Connection) -> int:
    proposer = _agent(db)
    assert proposer.add_device("err-lamp", ["actions:claim"]).ok
    proposed = proposer.propose_action("lamp.on", {}, ["lamp:write"], "err-lamp")
    assert _operator(db).deny_request(proposed.approval_id, "no").ok
    return proposed.action_id


def _approval_policy(db: psycopg.Connection) -> Client:
    operator = _operator(db)
    assert operator.add_approval_policy("twin", ["guardrail:git"]).ok
    return operator


def _agent_in_session(db: psycopg.Connection) -> Client:
    agent = _agent(db)
    agent.start_session()
    return agent


def _resolved_alert(db: psycopg.Connection) -> int:
    """An alert raised by a revoked-token event (threshold 1) and resolved by an operator."""
    agent = make_principal(db)
    db.execute("insert into audit.events (tenant_id, occurred_at, actor_type, actor_id, actor_name, action, decision) "
               "values (%s, coord.now(), 'agent', %s, %s, 'auth.revoked_token', 'refused')",
               (agent.tenant_id, agent.principal_id, agent.name))
    [(alert_id,)] = db.execute("select id from coord.alerts where actor_id = %s", (agent.principal_id,)).fetchall()
    assert _operator(db).resolve_alert(alert_id, "rotated").ok
    return int(alert_id)


# --- audit chain and retention: a tenant with sealed events in old months ----------------------

def _old_month(db: psycopg.Connection, txids: tuple[int, ...] = (100,), *, seal: bool = True,
               months_back: tuple[int, ...] = ()) -> tuple[Any, Any]:
    """Tenant 'old' with events in the month 150 days ago (one per txid; an old explicit txid
    is below every snapshot's xmin, so the test's own transaction can seal them)."""
    db.execute("update coord.clock set offset_by = '-150 days'")
    db.execute("select audit.ensure_partitions()")
    db.execute("update coord.clock set offset_by = '0'")
    tenant = db.execute("select coord.ensure_tenant('old')").fetchone()[0]  # type: ignore[index]
    month = db.execute("select date_trunc('month', now() - interval '150 days')::date").fetchone()[0]  # type: ignore[index]
    for i, txid in enumerate(txids):
        back = months_back[i] if i < len(months_back) else 0
        db.execute("insert into audit.events (tenant_id, occurred_at, actor_type, action, decision, txid) "
                   "values (%s, %s::date - make_interval(months => %s, days => -1), 'system', 'test.old', 'ok', "
                   "%s::text::xid8)",
                   (tenant, month, back, txid))
    if seal:
        db.execute("select audit.seal(%s, true)", (tenant,))
    return tenant, month


def _slipped_in(db: psycopg.Connection) -> tuple[Any, Any]:
    """Sealed events, then one of them changed by the superuser: the chain does not verify."""
    context = _old_month(db, (100, 200))
    partition = f"audit.events_{context[1]:%Y_%m}"
    bypass_audit_guard(db)
    db.execute(f"alter table {partition} disable trigger all")
    db.execute(f"update {partition} set reason = 'rewritten' where txid = '100'")
    return context


def _manifest(db: psycopg.Connection, month: Any, **changes: Any) -> str:
    summary = db.execute("select audit.archive_summary(%s)", (month,)).fetchone()[0]  # type: ignore[index]
    return json.dumps({**summary, "file": "x.jsonl.gz", "file_sha256": "0" * 64, **changes})


def _archive(db: psycopg.Connection, ctx: Any, **changes: Any) -> object:
    return db.execute("select audit.archive_month(%s)", (_manifest(db, ctx[1], **changes),))


def _restored_once(db: psycopg.Connection) -> str:
    tenant = db.execute("select coord.ensure_tenant('restored')").fetchone()[0]  # type: ignore[index]
    db.execute("insert into audit.archives (tenant_id, partition_name, month, archived_at, file_name, file_sha256, "
               "content_sha256, partition_rows, tenant_rows) values (%s, 'events_1990_01', '1990-01-01', now(), "
               "'f', repeat('a', 64), repeat('b', 64), 0, 0)", (tenant,))
    db.execute("insert into audit.restored_events (tenant_id, partition_name, chain_seq, event_id, occurred_at, "
               "action, event, prev_hash, hash, restored_at) values (%s, 'events_1990_01', 1, 1, now(), 'a.b', '{}', "
               "sha256(''), sha256(''), now())", (tenant,))
    return json.dumps({"partition": "events_1990_01", "content_sha256": "b" * 64, "file_sha256": "a" * 64})


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _raw_body(db: psycopg.Connection, body: bytes) -> object:
    """A request body as PostgREST passes it on: bytes, not necessarily UTF-8 or parseable."""
    with db.cursor() as cur:
        cur.adapters.register_dumper(RawBody, RawBodyDumper)
        return cur.execute('select * from json_to_record(%s::json) as _("p_path" text)', [RawBody(body)])


# code -> (setup, the failing call). Only the failing call is checked for writing nothing.
SCENARIOS: dict[str, tuple[Setup, Act]] = {
    "PT401": (_none, lambda db, _: Client(connection=db, token="coord_" + "0" * 64).acquire_lock("a.py")),
    "PT403": (lambda db: _agent(db, scopes=["locks:write"]), lambda _db, c: c.my_locks()),
    "CO201": (_agent, lambda _db, c: c.acquire_lock("")),
    "CO202": (_agent, lambda _db, c: c.acquire_lock("a" * 4097)),
    "CO203": (_agent, lambda _db, c: c.acquire_lock("a\x01b")),
    "CO204": (_agent, lambda _db, c: c.acquire_lock("../a")),
    "CO205": (_agent, lambda _db, c: c.acquire_lock("a/..")),
    "CO206": (_agent, lambda _db, c: c.acquire_lock("/home/me/repo/a.py")),
    "CO207": (_agent, lambda _db, c: c.start_session(repository="Not A Repo")),
    "CO208": (_agent, lambda _db, c: c.acquire_lock('["src/app.py"]')),
    "CO211": (_agent, lambda _db, c: c.acquire_lock("a.py", ttl="0 seconds")),
    "CO212": (_agent, lambda _db, c: c.acquire_lock("a.py", wait="61 seconds")),
    "CO213": (_none, _wait_in_repeatable_read),
    "CO214": (_agent, lambda _db, c: c.acquire_lock("a.py", mode="weird")),
    "CO215": (_agent, lambda _db, c: c.acquire_lock("a.py", reason="x" * 1001)),
    "CO216": (_agent, lambda _db, c: c.release_lock("a.py", 0)),
    "CO217": (_agent, lambda _db, c: c.check_locks([])),
    "CO218": (_agent, lambda _db, c: c.acquire_locks(["a.py", "./a.py"])),
    "CO221": (_operator, lambda _db, c: c.create_agent("bad name!")),
    "CO222": (_operator, lambda _db, c: c.create_agent("x1", scopes=["locks:everything"])),
    "CO223": (_operator, lambda _db, c: c.create_agent("x2", expires_in="-1 hour")),
    "CO224": (_operator, lambda _db, c: c.query_audit(limit=0)),
    "CO226": (_agent, lambda _db, c: c.submit_task("k", run_after="infinity")),
    "CO227": (_agent, lambda _db, c: c.rotate_token(c.authenticate().name, "-1 second")),  # type: ignore[union-attr]
    "CO241": (_agent, lambda _db, c: c.call("check_locks", {"p_paths": [["a.py"], ["b.py"]]})),
    "CO242": (_agent, lambda _db, c: c.submit_task("k", _nested(33))),
    "CO225": (_none, lambda db, _: (db.execute("select set_config('request.headers', 'not json', true)"),
                                    db.execute("select api.authenticate()"))),
    "CO401": (_agent, lambda _db, c: c.submit_task("bad kind!")),
    "CO402": (_agent, lambda _db, c: c.claim_task([])),
    "CO403": (_agent, lambda _db, c: c.submit_task("k", priority=1001)),
    "CO404": (_agent, lambda _db, c: c.submit_task("k", {"blob": "x" * 70000})),
    "CO405": (_agent, lambda _db, c: c.submit_task("k", max_attempts=0)),
    "CO406": (_agent, lambda _db, c: c.claim_task(["k"], lease="0 seconds")),
    "CO407": (_agent, lambda _db, c: c.submit_task("k", depends_on=[2**40])),
    "CO408": (_agent, lambda _db, c: c.submit_tasks([{"kind": "k", "ref": "a", "depends_on": ["a"]}])),
    "CO409": (_agent, lambda _db, c: c.submit_task("k", required_trust=5)),
    "CO410": (_agent, lambda _db, c: c.get_task(2**40)),
    "CO411": (_completed_task, lambda db, ctx: db.execute(
        "update coord.tasks set state = 'cancelled' where id = %s", (ctx[1],))),
    "CO412": (_completed_task, lambda _db, ctx: ctx[0].complete_task(ctx[1], ctx[2])),
    "CO413": (_agent, lambda _db, c: c.complete_task(1, 0)),
    "CO414": (_agent, lambda _db, c: c.submit_task("k", unique_key="")),
    "CO415": (_agent, lambda _db, c: c.submit_tasks([{"kind": "k", "colour": "red"}])),
    "CO421": (_agent, lambda _db, c: c.complete_tasks([{"task_id": 1, "claim": 1, "colour": "red"}])),
    "CO422": (_agent, lambda _db, c: c.submit_task("k", verify=["lint"])),
    "CO423": (_agent, lambda _db, c: c.record_verification(1, "unit", "ci", "passed")),
    "CO416": (_completed_task, lambda _db, ctx: ctx[0].fail_task(ctx[1], ctx[2], "e" * 4001)),
    "CO417": (_agent, lambda _db, c: c.submit_task("k", locks=[f"f{i}.py" for i in range(65)])),
    "CO418": (_agent, lambda _db, c: c.list_tasks(state="sleeping")),
    "CO419": (_cancelled_task, lambda _db, ctx: ctx[0].submit_task("k", depends_on=[ctx[1]])),
    "CO420": (_operator, lambda _db, c: c.prune_tasks("-1 day")),
    "CO431": (_agent, lambda _db, c: c.heartbeat()),
    "CO432": (_agent, lambda _db, c: c.start_session(ttl="2 hours")),
    "CO433": (_agent, lambda _db, c: c.start_session(capabilities=["has space"])),
    "CO434": (_agent_in_session, lambda _db, c: c.heartbeat(status="Not A Word")),
    "CO435": (lambda db: make_principal(db).token,
              lambda db, token: Client(connection=db, token=token, headers={"x-coord-session": "nope"}).my_locks()),
    "CO436": (_agent, lambda _db, c: c.start_session(agent_type="-bad")),
    "CO441": (_agent, lambda _db, c: c.write_handoff("")),
    # agents' memory
    "CO439": (_agent, lambda _db, c: c.recall("x" * 1001)),
    "CO440": (_agent, lambda _db, c: c.remember("semantic", "x", metadata=["not", "an", "object"])),
    "CO442": (_agent, lambda _db, c: c.remember("long-term", "x")),
    "CO443": (_agent, lambda _db, c: c.remember("semantic", "")),
    "CO444": (_agent, lambda _db, c: c.remember("semantic", "x", importance=1.5)),
    "CO445": (_agent, lambda _db, c: c.remember("working", "x", ttl="8 days")),
    "CO446": (_agent, lambda _db, c: c.remember("semantic", "x", tags=["two words"])),
    "CO447": (_agent, lambda _db, c: c.remember("semantic", "x", embedding=[0.5] * 10)),
    "CO448": (_agent, lambda _db, c: c.forget(2**62)),
    "CO449": (_agent, lambda _db, c: c.remember("semantic", "x", visibility="world")),
    "CO710": (_agent, lambda _db, c: c.send_message("no such agent", "x")),
    "CO711": (_agent, lambda _db, c: c.send_message("*", "x" * 10001)),
    "CO712": (_agent, lambda _db, c: c.send_message("*", "x", reply_to=2**62)),
    "CO713": (_agent, lambda _db, c: c.send_message("*", "x", subject="line\nbreak")),
    "CO714": (_operator, lambda _db, c: c.allow_messages("*", "*", side="sideways")),
    "CO715": (_operator, lambda _db, c: c.remove_message_rule(2**62)),
    "CO716": (_agent, lambda _db, c: c.ack_messages([])),
    "CO231": (_operator, lambda _db, c: c.apply_team({"version": 1, "agents": [], "profiles": []})),
    "CO232": (_operator, lambda _db, c: c.apply_team({"version": 1, "agents": [{"name": "a"}, {"name": "a"}]})),
    "CO233": (_twin, lambda _db, c: c.apply_team({"version": 1, "agents": [{"name": "twin", "role": "auditor"}]})),
    "CO234": (_operator, lambda _db, c: c.apply_team({"version": 1, "agents": [
        {"name": c.authenticate().name, "role": "operator", "scopes": ["locks:read"]}]})),
    "CO451": (_agent, lambda _db, c: c.check_network("example.com/x")),
    "CO452": (_operator, lambda _db, c: c.add_network_rule("example.com", "maybe")),
    "CO453": (_operator, lambda _db, c: c.remove_network_rule(2**40)),
    "CO454": (_operator, lambda _db, c: c.add_network_rule("10.1.2.3/8", "deny")),
    "CO461": (_operator, lambda _db, c: c.create_profile("Bad Name", 2)),
    "CO462": (_operator, lambda _db, c: c.delete_profile("no-such-profile")),
    "CO463": (_operator, lambda _db, c: c.create_profile("p", 2, {"max_lock_ttl": "3 days"})),

    # alerts and audit queries
    "CO491": (_operator, lambda _db, c: c.query_audit(action="Lock!")),
    "CO492": (_operator, lambda _db, c: c.add_alert_rule("r1", "*", ["granted"], 1, "1 minute")),
    "CO493": (_operator, lambda _db, c: c.set_alert_rule("no-such-rule", enabled=False)),
    "CO494": (_operator, lambda _db, c: c.resolve_alert(2**40, "gone")),
    "CO495": (_resolved_alert, lambda db, alert_id: db.execute(
        "update coord.alerts set resolution = 'rewritten' where id = %s", (alert_id,))),
    "CO496": (_operator, lambda _db, c: c.list_alerts(state="sleeping")),
    "CO497": (_operator, lambda _db, c: c.resolve_alert(1, "")),
    # the event stream and webhooks
    "CO650": (_operator, lambda _db, c: c.events_since(0, ["lease.takn"])),
    "CO651": (_operator, lambda _db, c: c.events_since(2**60)),
    "CO652": (_operator, lambda _db, c: c.add_webhook("hook", "ftp://example.com/in")),
    "CO653": (_operator, lambda _db, c: c.remove_webhook("no-such-hook")),
    "CO654": (_operator, lambda _db, c: c.report_webhook_delivery(1, "00000000-0000-0000-0000-000000000000", False,
                                                                  99)),
    # approvals
    "CO456": (_operator, lambda _db, c: c.list_approvals("maybe")),
    "CO464": (_operator, lambda _db, c: c.approve_request(2**60, "ok")),
    "CO465": (_denied_approval, lambda db, approval: db.execute(
        "update coord.approval_requests set state = 'approved' where id = %s", (approval,))),
    "CO466": (_operator, lambda _db, c: c.deny_request(1, "")),
    "CO467": (_operator, lambda _db, c: c.wait_for_approval(1, "2 hours")),
    "CO468": (_operator, lambda _db, c: c.add_approval_policy("Bad Name", [])),
    "CO469": (_operator, lambda _db, c: c.remove_approval_policy("no-such-policy")),
    "CO470": (_approval_policy, lambda _db, c: c.add_approval_policy("twin", ["guardrail:git"])),
    # actions
    "CO457": (_operator, lambda _db, c: c.get_action(2**40)),
    "CO458": (_agent, lambda _db, c: c.propose_action("Lamp On", {}, ["lamp:write"], "x")),
    "CO459": (_agent, lambda _db, c: c.propose_action("lamp.on", {}, ["lamp:write"], "no-such-device")),
    "CO460": (_rejected_action, lambda db, action: db.execute(
        "update coord.actions set state = 'approved', approved_at = now() where id = %s", (action,))),
    "CO478": (_operator, lambda _db, c: c.list_actions("maybe")),
    "CO471": (_agent, lambda _db, c: c.check_operation("url", "https://example.com")),
    "CO472": (_agent, lambda _db, c: c.check_operation("command", "   ")),
    "CO473": (_operator, lambda _db, c: c.add_guardrail("bad-regex", "git", "command", "low", pattern="(unclosed")),
    "CO474": (_operator, lambda _db, c: c.add_guardrail("bad-severity", "git", "command", "urgent", pattern="^x$")),
    "CO475": (_operator, lambda _db, c: c.set_guardrail_enabled("no-such-rule", False)),
    "CO476": (_operator, lambda _db, c: c.add_guardrail("git-force-push", "git", "command", "low", pattern="^x$")),
    "CO477": (_claimed_task, lambda _db, ctx: ctx[0].complete_task(ctx[1], ctx[2], {"operations": "git push -f"})),
    # skills
    "CO760": (_operator, lambda _db, c: c.register_skill("deploy", "1.0", {})),
    "CO761": (_operator, lambda _db, c: c.register_skill("deploy", "1.0.0", {"network": [], "shell": []})),
    "CO762": (_operator, lambda _db, c: c.register_skill("deploy", "1.0.0",
                                                         {"files": [{"path": "**", "access": "read"}]})),
    "CO763": (_operator, lambda _db, c: c.register_skill("deploy", "1.0.0", {"network": ["*.com"]})),
    "CO764": (_operator, lambda _db, c: c.register_skill("deploy", "1.0.0", {"env": ["*"]})),
    "CO765": (_agent, lambda _db, c: c.start_session(skill="no-such-skill@1.0.0")),
    "CO766": (_skill, lambda _db, c: c.register_skill("deploy", "0.9.0", {})),
    "CO767": (_skill, lambda _db, c: c.register_skill("deploy", "1.0.0", {"env": ["CI"]})),
    "CO768": (_retired_skill, lambda _db, c: c.start_session(skill="deploy@1.0.0")),
    "CO769": (_skill, lambda _db, c: c.validate_skill("deploy@1.0.0", [{"kind": "shell", "text": "ls"}])),
    "CO770": (_agent, lambda _db, c: c.check_operation("env", "NOT-A-NAME")),
    "CO301": (_none, lambda db, _: db.execute("select coord.register_principal(gen_random_uuid(), 'agent', 'x')")),
    "CO302": (_none, lambda db, _: db.execute(
        "select coord.issue_token(coord.ensure_tenant('t1'), gen_random_uuid())")),
    "CO303": (_operator, lambda _db, c: c.revoke_token("00000000-0000-0000-0000-000000000000")),
    "CO304": (_twin, lambda _db, c: c.create_agent("twin")),
    "CO305": (_none, lambda db, _: db.execute(
        "update coord.principals set tenant_id = coord.ensure_tenant('elsewhere') "
        "where tenant_id = coord.ensure_tenant('t1')")),
    "CO501": (_none, lambda db, _: db.execute("select coord.fail('CO999')")),
    # a result code nobody registered (a typo in a function) is refused where the result is built
    "CO502": (_none, lambda db, _: db.execute("select coord.task_result('stale_clam', 1)")),
    "CO601": (_none, lambda db, _: db.execute("update audit.events set reason = 'rewritten'")),
    "CO602": (_none, lambda db, _: db.execute("alter table audit.events disable trigger all")),
    "CO603": (_auditor, lambda _db, c: c.verify_audit(head="coord-audit-head:1:not-a-head")),
    "CO604": (_auditor, lambda _db, c: c.verify_audit(
        head=f"coord-audit-head:1:{'0' * 8}-{'0' * 4}-{'0' * 4}-{'0' * 4}-{'0' * 12}:1:{'a' * 64}")),
    "22P02": (_agent, lambda _db, c: c.call("release_lock", {"p_path": "a.py", "p_fence": "abc"})),
    "22007": (_agent, lambda _db, c: c.call("acquire_lock", {"p_path": "a.py", "p_ttl": "soon"})),
    "22015": (_agent, lambda _db, c: c.call("acquire_lock", {"p_path": "a.py", "p_ttl": "99999999999 years"})),
    "22008": (_operator, lambda _db, c: c.call("query_audit", {"p_since": "294277-01-01"})),
    "22021": (_none, lambda db, _: _raw_body(db, b'{"p_path": "a\xff.py"}')),
    "53400": (_none, lambda db, _: _spill_past_temp_file_limit(db)),
    "54000": (_agent, lambda _db, c: c.call("check_locks", {"p_paths": _nested(7)})),
    "54001": (_none, lambda db, _: _raw_body(db, b'{"p_path": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")),
    "22003": (_agent, lambda _db, c: c.call("release_lock", {"p_path": "a.py", "p_fence": 2**70})),
    "22P05": (_agent, lambda _db, c: c.acquire_lock("a\x00b")),
    "42501": (_none, lambda db, _: Client(connection=db).acquire_lock("a.py")),
    "42883": (_none, lambda db, _: db.execute("select api.no_such_function()")),
    # audit chain and retention
    "CO481": (_none, lambda db, _: db.execute("select * from audit.archive_plan(current_date)")),
    "CO482": (lambda db: _old_month(db, seal=False), _archive),
    "CO483": (lambda db: _old_month(db, (100, 200), months_back=(1, 0)), _archive),
    "CO484": (_none, lambda db, _: db.execute("select * from audit.archive_lines('1990-01-01')")),
    "CO485": (_slipped_in, _archive),
    "CO486": (lambda db: _old_month(db), lambda db, ctx: _archive(db, ctx, content_sha256="f" * 64)),
    "CO487": (_none, lambda db, _: db.execute(
        """select audit.restore_archive('{"partition": "events_1990_01"}')""")),
    "CO488": (_restored_once, lambda db, manifest: db.execute("select audit.restore_archive(%s)", (manifest,))),
    # client logins bound to one tenant (admin path)
    "CO521": (_none, lambda db, _: db.execute("select coord.remove_login(coord.ensure_tenant('t1'), 'nobody')")),
    "CO522": (lambda db: db.execute("select coord.add_login(coord.ensure_tenant('t1'), 'twin')"),
              lambda db, _: db.execute("select coord.add_login(coord.ensure_tenant('t1'), 'twin')")),
    "CO523": (_none, lambda db, _: db.execute("select coord.add_login(coord.ensure_tenant('t1'), 'Bad Name')")),
    "CO524": (lambda db: db.execute("update coord.login_policy set settings = '{no_such_setting=1}'"),
              lambda db, _: db.execute("select * from coord.repair_logins()")),
    "CO511": (_none, lambda db, _: db.execute("select coord.retire_jwt_key('nosuchkey')")),
    "CO512": (_none, lambda db, _: db.execute(
        "select coord.retire_jwt_key(kid) from coord.jwt_signing_key()")),
    # connection settings of the CLI: raised before any database is reached
    "CO530": (_none, lambda _db, _: Settings(dsn="postgresql://u@db.example.com/coord",
                                             environ={"COORD_DATA_DIR": "/nonexistent"}).client_dsn()),
    "CO531": (_none, lambda _db, _: Settings(environ={"COORD_PORT": "fivefive"}).port_setting()),
    # the embedded server's data directory: raised by coordinator.server before any database is reached
    "CO532": (_none, lambda _db, _: Settings(data_dir=Path("/dev/null")).server()),
    "CO533": (_corrupt_state, lambda _db, path: ServerState.load(path)),
    "CO534": (_none, lambda db, _: EmbeddedServer(_cluster_dir(db)).planned_state(free_port())),
    # the repository a path belongs to: raised by coordinator.workspace before any database is reached
    "CO541": (_none, lambda _db, _: resolve_path("/etc/passwd", tempfile.gettempdir())),
    "CO542": (_none, lambda _db, _: repository_root(explicit="/nonexistent/repository")),
    # coord mcp: a tool call that fails in the server itself
    "CO551": (_none, lambda db, _: _mcp_call_that_fails(db)),
    # the Cedar engine (on 15 the server runs Cedar: its functions are renamed away first)
    "CO561": (_operator, lambda db, c: (_without_cedar(db), c.set_policy_engine("cedar", "try"))),
    "CO562": (_operator, lambda _db, c: c.set_cedar_policy("", "empty")),
    "CO563": (_operator, lambda _db, c: c.rollback_cedar_policy(99, "no such version")),
    "CO564": (_operator, lambda _db, c: c.set_policy_engine("opa", "not an engine")),
    # coord eval: a scenario file that does not follow the format
    "CO590": (_none, lambda _db, _: eval_scenarios.parse("kind: lock_fight\n", "bad.yaml")),
}

# Raised by PostgreSQL under contention; provoked for real in the tests below.
CONTENTION = {"40001", "40P01", "55P03"}
# Raised by PostgreSQL when the data directory's file system is full; provoked for real on a
# full tmpfs in tests/test_faults.py (mounting one needs root).
DISK_FULL = {"53100"}
INTERNAL = {"CO900"}  # never escapes a function (the wait loop catches it); see test_locks_wait


def _counts(db: psycopg.Connection) -> tuple[int, ...]:
    row = db.execute("select (select count(*) from audit.events), (select count(*) from coord.locks), "
                     "(select count(*) from coord.principals), (select count(*) from coord.tokens), "
                     "(select count(*) from coord.tasks), (select count(*) from coord.task_dependencies), "
                     "(select count(*) from coord.sessions), (select count(*) from coord.handoffs)").fetchone()
    assert row is not None
    return row  # type: ignore[return-value]


def test_every_registered_code_has_a_scenario(db: psycopg.Connection) -> None:
    registered = {row[0] for row in db.execute("select code from coord.error_registry")}
    assert registered == set(SCENARIOS) | CONTENTION | DISK_FULL | INTERNAL


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_code_is_raised_mapped_and_writes_nothing(code: str, db: psycopg.Connection) -> None:
    make_principal(db, "bystander")
    setup, act = SCENARIOS[code]
    context = setup(db)
    db.execute("savepoint before_scenario")
    before = _counts(db)
    with pytest.raises((errors.CoordError, psycopg.Error)) as caught:
        try:
            act(db, context)
        except psycopg.Error as exc:
            db.execute("rollback to savepoint before_scenario")
            raise errors.from_psycopg(exc) from None
    err = caught.value
    assert isinstance(err, errors.CoordError)
    assert err.code == code, f"{err.code} {err}"
    entry = errors.REGISTRY[code]
    assert isinstance(err, entry.exception)
    assert err.exit_code == entry.exit_code and err.http_status == entry.http_status
    assert err.message
    assert _counts(db) == before, "a failed call must write nothing"


def test_coord_errors_carry_detail_and_hint(db: psycopg.Connection) -> None:
    with pytest.raises(errors.InvalidArgument) as caught:
        _agent(db).acquire_lock("../etc/passwd")
    assert caught.value.detail and "climbs above the repository root" in caught.value.detail
    assert caught.value.hint


def _contend(dsn: str, first: str, second: str, isolation: str) -> errors.CoordError:
    """Two transactions that must conflict; returns the error the loser got."""
    failures: list[errors.CoordError] = []
    barrier = threading.Barrier(2)

    def worker(statements: tuple[str, str]) -> None:
        with psycopg.connect(dsn) as conn:
            conn.execute(f"set transaction isolation level {isolation}")
            try:
                conn.execute(statements[0])
                barrier.wait()
                conn.execute(statements[1])
                conn.commit()
            except psycopg.Error as exc:
                failures.append(errors.from_psycopg(exc))
                conn.rollback()

    threads = [threading.Thread(target=worker, args=((first, second),)),
               threading.Thread(target=worker, args=((second, first),))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures, "expected one transaction to fail"
    return failures[0]


def test_retryable_codes(committed_db) -> None:
    with committed_db.connect() as conn:
        conn.execute("create table contended (id int primary key, n int)")
        conn.execute("insert into contended values (1, 0), (2, 0)")
    deadlock = _contend(committed_db.admin_dsn, "update contended set n = n + 1 where id = 1",
                        "update contended set n = n + 1 where id = 2", "read committed")
    assert deadlock.code == "40P01" and isinstance(deadlock, errors.Retryable)
    serialization = _contend(committed_db.admin_dsn, "select sum(n) from contended where id = 1",
                             "update contended set n = n + 1 where id = 2", "serializable")
    assert serialization.code in ("40001", "40P01") and isinstance(serialization, errors.Retryable)
    assert serialization.exit_code == errors.EXIT_TEMPFAIL


def test_python_registry_matches_database(db: psycopg.Connection) -> None:
    with db.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("select code, name, origin, http_status, exit_code from coord.error_registry").fetchall()
    database = {r["code"]: (r["name"], r["origin"], r["http_status"], r["exit_code"]) for r in rows}
    python = {c: (e.name, e.origin, e.http_status, e.exit_code) for c, e in errors.REGISTRY.items()}
    assert python == database


def test_python_raises_registered_codes_through_the_registry() -> None:
    """A registered code raised in Python (before the database is reached, or instead of it) is
    built by errors.registered, so it has the registry's name, class and exit code; an exception
    constructed by hand with code= kept the exit code of its class (70 for a bare CoordError)."""
    root = Path(__file__).parent.parent
    by_hand = []
    for path in sorted([*(root / "coordinator").glob("*.py"), *(root / "cli").glob("*.py")]):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and any(
                    keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
                    and keyword.value.value in errors.REGISTRY for keyword in node.keywords):
                by_hand.append(f"{path.relative_to(root)}:{node.lineno}")
    assert by_hand == []


def test_every_code_has_a_hint(db: psycopg.Connection) -> None:
    """PostgreSQL raises its own codes without our hints: the client adds the registry's."""
    rows = db.execute("select code, origin, hint from coord.error_registry").fetchall()
    assert [code for code, _, hint in rows if not hint] == []
    assert {code: hint for code, origin, hint in rows if origin == "postgresql"} == errors.POSTGRESQL_HINTS


def test_client_side_json_too_deep_reads_as_the_database_error(db: psycopg.Connection) -> None:
    message, hint = db.execute("select message, hint from coord.error_registry where code = 'CO242'").fetchone()
    err = errors.json_too_deep("x")
    assert (err.code, err.message, err.hint, err.exit_code) == ("CO242", message, hint, errors.EXIT_DATAERR)


def test_client_adds_the_registry_hint_to_postgresql_errors(db: psycopg.Connection) -> None:
    with pytest.raises(errors.InvalidArgument) as caught:
        _agent(db).call("release_lock", {"p_path": "a.py", "p_fence": "abc"})
    assert caught.value.code == "22P02" and caught.value.hint == errors.POSTGRESQL_HINTS["22P02"]


def test_errors_doc_is_generated_from_the_registry(db: psycopg.Connection) -> None:
    committed = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    assert committed == render_errors(db), "docs/errors.md is stale: run coord docs"


def test_an_uncommitted_overlapping_request_times_out_with_55p03(committed_db) -> None:
    with committed_db.connect() as admin:
        holder, waiter = make_principal(admin, "slow"), make_principal(admin, "next")
    with psycopg.connect(committed_db.client_dsn) as slow:
        slow.execute("select api.login(%s)", (holder.token,))
        assert slow.execute("select code from api.acquire_lock('busy/dir/')").fetchone() == ("granted",)
        # slow stays open without committing: its decision (and advisory locks) are still pending
        with Client(committed_db.client_dsn, waiter.token) as client, pytest.raises(errors.Retryable) as caught:
            client.acquire_lock("busy/dir/file.py")
        assert caught.value.code == "55P03" and caught.value.exit_code == errors.EXIT_TEMPFAIL
        slow.rollback()
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)
        assert admin.execute("select count(*) from audit.events where action = 'lock.acquire'").fetchone() == (0,)
