"""Attacks on the fast path and the newest code: the per-call caches, the batch endpoints, the
task events written per statement, the event horizon. Each test is a fault found (its fix is in
the database) or a rule that held (kept so that it keeps holding)."""

from __future__ import annotations

import contextlib
import re
import socket
import uuid
from typing import Any

import psycopg
import pytest

from coordinator.errors import CoordError
from tests.audit_here import WRITTEN_HERE
from tests.conftest import Database, make_principal, requires_plpython
from tests.event_streams import stream_cast


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_another_tenants_open_transaction_outside_read_committed_does_not_hold_my_stream(
        committed_db: Database, isolation: str) -> None:
    """Tenant A's agent opens a REPEATABLE READ (or SERIALIZABLE) transaction, makes one audited
    call (remember: allowed at those levels) and leaves the transaction open. Its events are its
    own tenant's; my tenant's stream must not wait for it (the common writer key, which every
    tenant's horizon waits for, is for a superuser's maintenance, not for a client's call)."""
    with stream_cast(committed_db) as cast:
        cast.other.connection.execute(f"set transaction isolation level {isolation}")
        assert cast.other.call("remember", {"p_tier": "semantic", "p_content": "kept open"})[0]["code"] == "remembered"
        assert cast.writer.acquire_lock("mine.py").ok
        assert [r.target_id for r in cast.reader.events_since(0, ["lease.*"])] == ["mine.py"]
        # and turning to my tenant in the same transaction is refused, so it can never need that key
        with pytest.raises(CoordError) as caught:
            cast.turned.call("remember", {"p_tier": "semantic", "p_content": "turned"})
        assert caught.value.code == "CO213"
        cast.other.connection.rollback()


DEPLOY_LOCKED = """@id("deploy.locked")
forbid (principal, action == Action::"task.submit", resource)
when { context has target && context.target == "deploy" };
"""


@requires_plpython
def test_a_batch_submission_passes_the_policy_of_every_kind_it_submits(db: psycopg.Connection,
                                                                       agent_factory: Any) -> None:
    """A Cedar policy forbids submitting tasks of kind deploy: submit_task is refused, and so is a
    submit_tasks batch that carries one deploy among allowed kinds (it took one decision for the
    batch, with no kind in it, and queued the deploy). Nothing of the refused batch is queued, the
    refusal is audited on the kind, and a batch without the kind is queued."""
    _, operator = agent_factory(tenant="fp-submit", role="operator")
    me, agent = agent_factory(tenant="fp-submit")
    baseline = db.execute("select authz.cedar_baseline()").fetchone()[0]  # type: ignore[index]
    operator.call("set_cedar_policy", {"p_policy": baseline + DEPLOY_LOCKED, "p_reason": "no deploys"})
    operator.call("set_policy_engine", {"p_engine": "cedar", "p_reason": "adopt"})
    single = agent.call("submit_task", {"p_kind": "deploy"})[0]
    assert (single["code"], single["details"]["rule"]) == ("denied", "deploy.locked")
    batch = agent.call("submit_tasks", {"p_tasks": [{"kind": "build"}, {"kind": "deploy"}, {"kind": "build"}]})
    assert [(r["code"], (r["details"] or {}).get("rule")) for r in batch] == [("denied", "deploy.locked")]
    assert db.execute("select count(*) from coord.tasks where tenant_id = %s", (me.tenant_id,)).fetchone() == (0,)
    assert db.execute("select target_type, target_id from audit.events where action = 'task.submit' "
                      "and decision = 'denied' and " + WRITTEN_HERE + " order by id").fetchall() == \
        [("kind", "deploy"), ("kind", "deploy")]
    ok = agent.call("submit_tasks", {"p_tasks": [{"kind": "build"}, {"kind": "test"}]})
    assert [r["code"] for r in ok] == ["submitted", "submitted"]



def test_an_mcp_call_runs_with_the_token_its_request_presented(committed_db: Database) -> None:
    """Two tokens of one principal on one MCP connection: a read-only one (scope locks:read) and a
    full one. The session is shared per (connection, principal) and remembers the latest token;
    Coordinator.call presents that one, so a request that presented the read-only token, answered
    after another request presented the full one, took a lease it may not take. Each HTTP request
    now sees the session with its own token (Coordinator.request_session); the shared session
    keeps the latest for its heartbeats."""
    from coordinator import mcp_server

    with committed_db.connect() as admin:
        me = make_principal(admin, tenant=f"fp-mcp-{uuid.uuid4().hex[:6]}")
        narrow = admin.execute("select (coord.issue_token(%s, %s, array['locks:read'])).token",
                               (me.tenant_id, me.principal_id)).fetchone()[0]  # type: ignore[index]
    connections = mcp_server.Connections(committed_db.client_dsn)
    coordinator = mcp_server.Coordinator(connections)
    try:
        reader = coordinator.request_session("one-connection", narrow)
        assert reader is not None
        full = coordinator.request_session("one-connection", me.token)  # a request in between, on another thread
        assert full is not None and full.session_id == reader.session_id  # one coord session
        answer = coordinator.call(reader, "acquire_lock", {"p_path": "src/narrow.py"})[0]
        assert (answer["code"], answer["details"].get("rule")) == ("denied", "scope.missing")
        again = coordinator.request_session("one-connection", narrow, known_only=True)  # the loop's path
        assert again is not None and again.token == narrow
        assert coordinator.call(full, "acquire_lock", {"p_path": "src/full.py"})[0]["code"] == "granted"
    finally:
        coordinator.end_all()
        connections.close()


def _post(url: str, token: str, head_only_length: int | None = None, chunks: int = 0) -> bytes:
    """A raw POST to the MCP endpoint: either headers announcing ``head_only_length`` bytes and
    none of them, or ``chunks`` chunks of 1 MiB (chunked); the server's answer, read to its end."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:  # a hang fails, not waits forever
        head = (f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n")
        if head_only_length is not None:
            sock.sendall((head + f"Content-Length: {head_only_length}\r\n\r\n").encode())
        else:
            sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            chunk = b"%x\r\n" % (1 << 20) + b"[" * (1 << 20) + b"\r\n"
            with contextlib.suppress(OSError):  # the server may answer and close before the last chunk
                for _ in range(chunks):
                    sock.sendall(chunk)
                sock.sendall(b"0\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            while (part := sock.recv(65536)):
                answer += part
                head, _, body = answer.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                if length and len(body) >= int(length.group(1)):
                    break
        return answer


def test_an_mcp_request_body_is_bounded(committed_db: Database) -> None:
    """Holds: a token holder's POST that announces (or streams) more than the SDK's limit (4 MiB,
    mcp.server.transport_security) is answered 413 before the body is held whole, on the path
    the tools/call fast path takes too; a request without a valid token is answered 401 before
    any of its body is read. The server then goes on answering."""
    from tests.test_mcp import http_server

    with committed_db.connect() as admin:
        me = make_principal(admin, tenant=f"fp-body-{uuid.uuid4().hex[:6]}")
    with http_server(committed_db) as url:
        assert _post(url, me.token, head_only_length=1 << 30).startswith(b"HTTP/1.1 413")
        assert _post(url, me.token, chunks=5).startswith(b"HTTP/1.1 413")
        assert _post(url, "not-a-token", head_only_length=1 << 30).startswith(b"HTTP/1.1 401")
        ordinary = _post(url, me.token, head_only_length=0)  # an empty body: the SDK's own answer
        assert ordinary.startswith(b"HTTP/1.1 400"), ordinary[:200]


# --- what held: kept as tests -----------------------------------------------------------------

def _events_here(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute("select action, decision, target_id, actor_type, actor_name, tenant_id, severity "
                      "from audit.events where " + WRITTEN_HERE + " order by id").fetchall()


def test_batches_with_malformed_or_foreign_entries_write_nothing(db: psycopg.Connection, agent_factory: Any) -> None:
    """A null among paths or fences, a path twice (after normalizing), another tenant's task in a
    completion batch: each an error that writes nothing (no event, no lease, no task changed),
    however far the batch got (its decisions were taken)."""
    me, mine = agent_factory(tenant="fp-batch-a")
    _, theirs = agent_factory(tenant="fp-batch-b")
    their_task = theirs.call("submit_task", {"p_kind": "fp"})[0]["task_id"]
    their_claim = theirs.call("claim_tasks", {"p_kinds": ["fp"]})[0]["claim"]
    mine.call("submit_tasks", {"p_tasks": [{"kind": "fp"}, {"kind": "fp"}]})
    claims = [{"task_id": r["task_id"], "claim": r["claim"]} for r in mine.call("claim_tasks", {"p_kinds": ["fp"]})]
    assert len(claims) == 2
    before = (_events_here(db), db.execute("select count(*) from coord.locks").fetchone(),
              db.execute("select array_agg((id, state, claim) order by id) from coord.tasks").fetchone())
    for function, arguments, code in [
            ("acquire_locks", {"p_paths": ["a.py", None]}, "CO241"),
            ("acquire_locks", {"p_paths": ["src/./a.py", "src/a.py"]}, "CO218"),
            ("acquire_locks", {"p_paths": ["src", "src/"]}, "CO218"),
            ("release_locks", {"p_paths": ["a.py", "b.py"], "p_fences": [1, None]}, "CO241"),
            ("release_locks", {"p_paths": ["a.py", "b.py"], "p_fences": [1]}, "CO218"),
            ("complete_tasks", {"p_tasks": [*claims, {"task_id": their_task, "claim": their_claim}]}, "CO410"),
            ("complete_tasks", {"p_tasks": [claims[0], {**claims[0], "claim": claims[0]["claim"] + 1}]}, "CO421"),
            ("complete_tasks", {"p_tasks": [{**claims[0], "claim": None}]}, "CO421"),
            ("submit_tasks", {"p_tasks": [{"kind": "fp"}, None]}, "CO415"),
            ("submit_tasks", {"p_tasks": [{"kind": "fp", "depends_on": [their_task]}]}, "CO407")]:
        with pytest.raises(CoordError) as caught:
            mine.call(function, arguments)
        assert caught.value.code == code, (function, arguments, caught.value)
        assert caught.value.hint
    after = (_events_here(db), db.execute("select count(*) from coord.locks").fetchone(),
             db.execute("select array_agg((id, state, claim) order by id) from coord.tasks").fetchone())
    assert after == before
    # The other tenant's task is untouched and still theirs to complete.
    assert theirs.call("complete_task", {"p_task_id": their_task, "p_claim": their_claim})[0]["code"] == "completed"
    assert me.tenant_id is not None


def test_a_refused_lease_batch_keeps_every_lease_and_audits_each(db: psycopg.Connection, agent_factory: Any) -> None:
    """release_locks with one fence not of the lease: nothing released, one event per lease (the refused
    one's reason, the others batch_refused), in the caller's tenant and name."""
    me, mine = agent_factory(tenant="fp-rel")
    granted = mine.call("acquire_locks", {"p_paths": ["r/a.py", "r/b.py", "r/c.py"]})
    fences = [r["fence"] for r in granted]
    mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
    rows = mine.call("release_locks", {"p_paths": ["r/a.py", "r/b.py", "r/c.py"],
                                       "p_fences": [fences[0], fences[1] + 1000, fences[2]]})
    assert [r["code"] for r in rows] == ["batch_refused", "not_held", "batch_refused"]
    assert db.execute("select count(*) from coord.locks where path like 'r/%%' and tenant_id = %s",
                      (me.tenant_id,)).fetchone() == (3,)
    events = db.execute("select decision, target_id, actor_name, tenant_id from audit.events "
                        "where id > %s and action = 'lock.release' order by id", (mark,)).fetchall()
    assert events == [(code, path, me.name, me.tenant_id) for code, path in
                      (("batch_refused", "r/a.py"), ("not_held", "r/b.py"), ("batch_refused", "r/c.py"))]


def test_task_changes_are_audited_in_id_order_by_their_author(db: psycopg.Connection, agent_factory: Any) -> None:
    """A batch claim writes one event per task in id order, as the claimant, in its tenant; a
    superuser's direct change is a task.direct_change warning as the system; a changed id is
    refused, so no change can escape the pairing of old and new rows."""
    me, mine = agent_factory(tenant="fp-events")
    mine.call("submit_tasks", {"p_tasks": [{"kind": "fe", "priority": p} for p in (1, 3, 2)]})
    mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
    claimed = mine.call("claim_tasks", {"p_kinds": ["fe"], "p_limit": 3})
    ids = sorted(r["task_id"] for r in claimed)
    events = db.execute("select action, target_id, actor_type, actor_name, tenant_id from audit.events "
                        "where id > %s and target_type = 'task' order by id", (mark,)).fetchall()
    assert events == [("task.claimed", str(i), "agent", me.name, me.tenant_id) for i in ids]
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("update coord.tasks set id = id + 100000 where id = %s", (ids[0],))
    # an identity column (and coord.tg_tasks__transition's CO411 behind it)
    assert caught.value.sqlstate == "428C9"
    mark = db.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]  # type: ignore[index]
    db.execute("update coord.tasks set state = 'cancelled', finished_at = now(), lease_expires_at = null "
               "where id = any(%s)", (ids[1:],))
    events = db.execute("select action, target_id, actor_type, severity from audit.events "
                        "where id > %s and target_type = 'task' order by id", (mark,)).fetchall()
    assert events == [("task.direct_change", str(i), "system", "warning") for i in ids[1:]]
