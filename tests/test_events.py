"""The typed event stream: api.events_since under the sealer's visibility rule (a follower never
skips an event whose transaction commits late, proved with transactions held open on real
connections), who may read which types, the follower registration that makes writers announce,
Client.follow woken by NOTIFY, and coord audit tail's stream (api.audit_since)."""

from __future__ import annotations

import json
import queue
import uuid

import psycopg
import pytest

from coordinator import errors
from coordinator.client import Client
from tests.conftest import Database, in_thread, make_principal, wait_for_backend


def _tenant() -> str:
    return f"ev-{uuid.uuid4().hex[:8]}"


def _client(database: Database, token: str, *, autocommit: bool = True) -> Client:
    conn = psycopg.connect(database.client_dsn, autocommit=autocommit)
    return Client(connection=conn, token=token)


def _setup(database: Database, tenant: str) -> tuple[str, str, str]:
    """Tokens of an agent, an operator and an auditor of a new tenant, committed."""
    with database.connect() as admin:
        agent = make_principal(admin, tenant=tenant).token
        operator = make_principal(admin, tenant=tenant, role="operator").token
        auditor = make_principal(admin, tenant=tenant, role="auditor").token
    return agent, operator, auditor


def _paths(rows: list) -> list[tuple[str, str]]:
    return [(r.event_type, r.target_id) for r in rows]


def test_a_late_commit_is_not_skipped(committed_db: Database) -> None:
    """Event A is written in a transaction held open; B, written later (a higher id), commits
    first. The follower gets neither while A is open (B is past A's position), then A and B in
    stream order once A commits, and nothing twice. A cursor on ids alone would have handed out
    B, resumed after B's id and never seen A."""
    agent, operator, _ = _setup(committed_db, _tenant())
    follower = _client(committed_db, operator)
    writer_a = _client(committed_db, agent, autocommit=False)
    writer_b = _client(committed_db, agent)
    try:
        assert writer_b.acquire_lock("c.py").ok  # committed before A begins
        first = follower.events_since(0, ["lease.*"])
        assert _paths(first) == [("lease.taken", "c.py")]

        assert writer_a.acquire_lock("a.py").ok  # A: in a transaction left open
        assert writer_b.acquire_lock("b.py").ok  # B: committed
        after_c = first[-1].id
        assert follower.events_since(after_c, ["lease.*"]) == []  # B waits behind the open A
        assert follower.events_head()[0].held >= 1
        assert follower.events_head()[0].id >= after_c

        writer_a.connection.commit()
        rows = follower.events_since(after_c, ["lease.*"])
        assert _paths(rows) == [("lease.taken", "a.py"), ("lease.taken", "b.py")]
        assert rows[0].id < rows[1].id  # A's id came first although it committed last
        assert follower.events_since(rows[-1].id, ["lease.*"]) == []
        everything = follower.events_since(0, ["lease.*"])
        assert _paths(everything) == [("lease.taken", "c.py"), ("lease.taken", "a.py"), ("lease.taken", "b.py")]
        assert len({r.id for r in everything}) == 3
        assert follower.events_head()[0].held == 0
    finally:
        for c in (follower, writer_a, writer_b):
            c.connection.close()


def test_the_stream_is_typed_and_each_type_needs_its_read(committed_db: Database) -> None:
    tenant = _tenant()
    agent, operator, auditor = _setup(committed_db, tenant)
    a, ops, aud = _client(committed_db, agent), _client(committed_db, operator), _client(committed_db, auditor)
    try:
        granted = a.acquire_lock("src/x.py")
        assert a.release_lock("src/x.py", granted.fence).ok
        assert a.submit_task("build", payload={}).ok
        claimed = a.claim_task(["build"])
        assert a.complete_task(claimed.task_id, claimed.claim).ok
        assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
        with committed_db.connect() as admin:
            admin.execute("select audit.record('network.check', 'denied', 'host', 'evil.example', null, '{}', "
                          "null, 'warning', true, (select id from coord.tenants where name = %s))", (tenant,))
        types = [r.event_type for r in ops.events_since(0)]
        assert types == ["lease.taken", "lease.released", "task.queued", "task.claimed", "task.completed",
                         "alert.raised"]
        assert [r.event_type for r in aud.events_since(0, ["alert.*"])] == ["alert.raised"]
        # Agents read leases and tasks; alerts are for operators and auditors: left out, not refused.
        assert [r.event_type for r in a.events_since(0)] == types[:-1]
        assert a.events_since(0, ["alert.raised"]) == []
        assert [r.event_type for r in a.events_since(0, ["task.completed", "lease.released"])] == [
            "lease.released", "task.completed"]
        # Paging: resuming after each row returns the rest, once.
        seen, after = [], 0
        while page := ops.events_since(after, None, 2):
            seen += [r.id for r in page]
            after = page[-1].id
        assert seen == [r.id for r in ops.events_since(0)]
        for bad in (["lease.takn"], ["nope.*"], ["Lease.taken"], []):
            with pytest.raises(errors.CoordError) as caught:
                ops.events_since(0, bad)
            assert caught.value.code == "CO650"
        with pytest.raises(errors.CoordError) as caught:
            ops.events_since(10**15)
        assert caught.value.code == "CO651"
    finally:
        for c in (a, ops, aud):
            c.connection.close()


def test_another_tenants_event_id_is_no_cursor(committed_db: Database) -> None:
    mine, _, _ = _setup(committed_db, _tenant())
    theirs, _, _ = _setup(committed_db, _tenant())
    me, them = _client(committed_db, mine), _client(committed_db, theirs)
    try:
        assert them.acquire_lock("secret.py").ok
        their_id = them.events_since(0)[0].id
        with pytest.raises(errors.CoordError) as caught:
            me.events_since(their_id)
        assert caught.value.code == "CO651"
        assert me.events_since(0) == []
    finally:
        me.connection.close()
        them.connection.close()


def test_scopeless_tokens_may_not_read_the_stream(db: psycopg.Connection) -> None:
    narrow = Client(connection=db, token=make_principal(db, tenant=_tenant(), scopes=["locks:write"]).token)
    for call in (narrow.events_since, narrow.events_head):
        with pytest.raises(errors.Forbidden):
            call()
    assert narrow.follow_events().code == "denied"


def test_writers_announce_only_once_someone_follows(committed_db: Database) -> None:
    """Unfollowed, a write sends no NOTIFY; after api.follow_events the next one does, with the
    writing transaction's id as its only content."""
    tenant = _tenant()
    agent, operator, _ = _setup(committed_db, tenant)
    writer, follower = _client(committed_db, agent), _client(committed_db, operator)
    with committed_db.connect() as listener:
        channel = listener.execute("select coord.events_channel(id) from coord.tenants where name = %s",
                                   (tenant,)).fetchone()[0]
        listener.execute(f'listen "{channel}"')
        try:
            assert writer.acquire_lock("quiet.py").ok  # nobody follows: not announced
            followed = follower.follow_events()
            assert followed.code == "following" and followed.details["channel"] == channel
            assert writer.acquire_lock("loud.py").ok
            txids = dict(listener.execute("select target_id, txid::text from audit.events "
                                          "where target_id in ('quiet.py', 'loud.py')").fetchall())
            # follow_events' own audit event is announced too (the follower is registered by then).
            payloads = [n.payload for n in listener.notifies(timeout=30, stop_after=2)]
            assert txids["loud.py"] in payloads and txids["quiet.py"] not in payloads
        finally:
            writer.connection.close()
            follower.connection.close()


def test_registering_waits_for_writers_that_did_not_announce(committed_db: Database) -> None:
    """A writer that found no follower holds the tenant's follow lock shared until it commits;
    registration waits for it, so the follower's first read sees what it wrote."""
    agent, operator, _ = _setup(committed_db, _tenant())
    writer = _client(committed_db, agent, autocommit=False)
    follower = _client(committed_db, operator)
    try:
        assert writer.acquire_lock("inflight.py").ok  # open: unannounced, lock held shared
        pid = follower.connection.info.backend_pid
        thread, out = in_thread(follower.follow_events)
        wait_for_backend(committed_db, pid, "wait_event_type = 'Lock'")
        writer.connection.commit()
        thread.join()
        assert out["result"].code == "following", out
        assert out["result"].details["settled"] is True
        assert _paths(follower.events_since(0, ["lease.*"])) == [("lease.taken", "inflight.py")]
    finally:
        writer.connection.close()
        follower.connection.close()


def test_follow_is_woken_by_notify_and_resumes_without_gaps(committed_db: Database) -> None:
    """Client.follow with a backstop far longer than the test waits: each event arrives because
    the write announced it. A second follower resuming from the first one's last id gets the
    rest, late commit included, and nothing twice."""
    agent, operator, _ = _setup(committed_db, _tenant())
    writer = _client(committed_db, agent)
    follower = _client(committed_db, operator)
    got: queue.Queue = queue.Queue()

    def follow() -> None:
        for row in follower.follow(after=0, types=["lease.*"], recheck=300):
            got.put(row)
            if row.target_id == "stop.py":
                return

    thread, out = in_thread(follow)
    try:
        assert writer.acquire_lock("one.py").ok
        assert got.get(timeout=60).target_id == "one.py"
        assert writer.acquire_lock("two.py").ok
        assert got.get(timeout=60).target_id == "two.py"
        assert writer.acquire_lock("stop.py").ok
        last = got.get(timeout=60)
        assert last.target_id == "stop.py"
        thread.join()
        assert "error" not in out, out

        # Offline now; meanwhile a late commit (opened first, committed last) and a quick one.
        late = _client(committed_db, agent, autocommit=False)
        assert late.acquire_lock("late.py").ok
        assert writer.acquire_lock("quick.py").ok
        resumed = _client(committed_db, operator)
        rows: list = []
        thread, out = in_thread(lambda: rows.extend(
            r for _, r in zip(range(2), resumed.follow(after=last.id, types=["lease.*"], recheck=300), strict=False)))
        # Registering waits for the writer that did not announce (it holds the follow lock shared).
        wait_for_backend(committed_db, resumed.connection.info.backend_pid, "wait_event_type = 'Lock'")
        late.connection.commit()
        thread.join()
        assert "error" not in out, out
        assert [r.target_id for r in rows] == ["late.py", "quick.py"]
        late.connection.close()
        resumed.connection.close()
    finally:
        writer.connection.close()
        follower.connection.close()


def test_audit_since_streams_every_action_in_the_same_order(committed_db: Database) -> None:
    agent, _, auditor = _setup(committed_db, _tenant())
    a, aud = _client(committed_db, agent), _client(committed_db, auditor)
    try:
        open_writer = _client(committed_db, agent, autocommit=False)
        assert open_writer.check_operation("command", "ls").ok is not None  # guardrail.check: no event type
        assert a.acquire_lock("x.py").ok
        before = [r.action for r in aud.audit_since(0)]
        assert "guardrail.check" not in before
        open_writer.connection.commit()
        after = [r.action for r in aud.audit_since(0)]
        assert after.index("guardrail.check") < after.index("lock.acquire")
        with pytest.raises(errors.PermissionDenied):
            a.audit_since(0)
        open_writer.connection.close()
    finally:
        a.connection.close()
        aud.connection.close()


def test_the_mcp_http_server_streams_events_as_sse(committed_db: Database) -> None:
    """GET /events with a bearer token: Server-Sent Events, each with its id and type; 401
    without a token; a reconnect with Last-Event-ID resumes after that event, late commit
    included, nothing twice."""
    import httpx2

    from tests.test_mcp import http_server

    agent, operator, _ = _setup(committed_db, _tenant())
    writer = _client(committed_db, agent)

    def read_events(url: str, headers: dict[str, str], count: int) -> list[dict[str, str]]:
        got: list[dict[str, str]] = []
        with httpx2.stream("GET", url, headers=headers, timeout=60) as response:
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
            event: dict[str, str] = {}
            for line in response.iter_lines():
                if not line:
                    if "id" in event:
                        got.append(event)
                        if len(got) == count:
                            return got
                    event = {}
                    continue
                field, _, value = line.partition(": ")
                event[field] = value
        return got

    try:
        with http_server(committed_db) as mcp_url:
            url = mcp_url.removesuffix("/mcp") + "/events"
            assert httpx2.get(url, timeout=60).status_code == 401
            assert httpx2.get(url, headers={"Authorization": "Bearer coord_" + "0" * 40}, timeout=60).status_code == 401
            assert writer.acquire_lock("one.py").ok
            assert writer.acquire_lock("two.py").ok
            bearer = {"Authorization": f"Bearer {operator}"}
            first = read_events(url + "?after=0&types=lease.*", bearer, 1)
            assert [(e["event"], json.loads(e["data"])["target_id"]) for e in first] == [("lease.taken", "one.py")]
            late = _client(committed_db, agent, autocommit=False)
            assert late.acquire_lock("late.py").ok
            assert writer.acquire_lock("three.py").ok
            thread, out = in_thread(lambda: read_events(url + "?types=lease.*",
                                                        {**bearer, "Last-Event-ID": first[0]["id"]}, 3))
            assert writer.acquire_lock("four.py").ok  # not yet: late.py holds everything after it back
            late.connection.commit()
            late.connection.close()
            thread.join()
            assert "error" not in out, out
            resumed = out["result"]
            assert [json.loads(e["data"])["target_id"] for e in resumed] == ["two.py", "late.py", "three.py"]
    finally:
        writer.connection.close()


def test_a_forgotten_prepared_transaction_holds_every_stream_and_is_named_with_its_fix(committed_db: Database) -> None:
    """A prepared transaction (PREPARE TRANSACTION; the test server allows a few) stays in
    progress until COMMIT/ROLLBACK PREPARED, and the horizon never passes one: another tenant's
    prepared transaction holds back my stream, where its open one would not. coord maintain and
    coord status name it once it is older than 5 minutes, with the statement that resolves it."""
    from coordinator import admin as coord_admin
    from tests.conftest import advance_clock
    from tests.event_streams import stream_cast

    gid = f"forgotten-{uuid.uuid4().hex[:8]}"
    with stream_cast(committed_db) as cast:
        other, writer, reader = cast.other, cast.writer, cast.reader
        assert other.acquire_lock("theirs.py").ok  # another tenant's transaction ...
        other.connection.execute(f"prepare transaction '{gid}'")  # ... handed to a transaction manager
        try:
            assert writer.acquire_lock("mine.py").ok
            assert reader.events_since(0, ["lease.*"]) == []  # held back by another tenant's prepared one
            assert coord_admin.stream_holding_prepared(committed_db.admin_dsn) == []  # not 5 minutes old yet
            with committed_db.connect() as conn:
                advance_clock(conn, "6 minutes")
            held = [p for p in coord_admin.stream_holding_prepared(committed_db.admin_dsn) if p["gid"] == gid]
            assert len(held) == 1 and held[0]["holds_stream"] and held[0]["database"] == committed_db.name
            assert f"ROLLBACK PREPARED '{gid}'" in held[0]["resolve"]
            assert f"COMMIT PREPARED '{gid}'" in held[0]["resolve"]
            status = coord_admin.database_status(committed_db.admin_dsn)
            assert gid in [p["gid"] for p in status["prepared_transactions"]]
        finally:
            with committed_db.connect() as conn:
                conn.execute(f"rollback prepared '{gid}'")
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == ["mine.py"]
        with committed_db.connect() as conn:
            assert conn.execute("select count(*) from coord.stream_holding_prepared('0 seconds') where gid = %s",
                                (gid,)).fetchone() == (0,)


def _channel(conn: psycopg.Connection, tenant: str) -> str:
    return conn.execute("select coord.events_channel(id) from coord.tenants where name = %s", (tenant,)).fetchone()[0]


def _payloads_until(listener: psycopg.Connection, sentinel: str) -> list[str]:
    """The payloads heard on the listener up to and including sentinel's."""
    payloads: list[str] = []
    for note in listener.notifies(timeout=60):
        payloads.append(note.payload)
        if note.payload == sentinel:
            break
    return payloads


def test_a_transaction_announces_once_and_again_after_a_rolled_back_savepoint(committed_db: Database) -> None:
    """A writer announces once per transaction and tenant (audit.wake_followers keeps the answer
    for the transaction). The answer is undone with a savepoint rolled back, as the NOTIFY it
    sent: an event written after that announces again, so the commit is still heard, once."""
    tenant = _tenant()
    agent, operator, _ = _setup(committed_db, tenant)
    follower = _client(committed_db, operator)
    writer = _client(committed_db, agent, autocommit=False)
    sentinel = _client(committed_db, agent)
    with committed_db.connect() as listener:
        listener.execute(f'listen "{_channel(listener, tenant)}"')
        try:
            assert follower.follow_events().code == "following"
            writer.connection.execute("savepoint before_any_event")
            assert writer.acquire_lock("undone.py").ok  # announces; the savepoint takes it back
            writer.connection.execute("rollback to savepoint before_any_event")
            assert writer.acquire_lock("kept-1.py").ok  # must announce again
            assert writer.acquire_lock("kept-2.py").ok  # the transaction's answer: no second look
            txid = writer.connection.execute("select pg_current_xact_id()::text").fetchone()[0]
            writer.connection.commit()
            assert sentinel.acquire_lock("sentinel.py").ok
            sentinel_txid = listener.execute("select txid::text from audit.events where target_id = 'sentinel.py'"
                                             ).fetchone()[0]
            payloads = _payloads_until(listener, sentinel_txid)
            assert payloads.count(txid) == 1, payloads
            rows = follower.events_since(0, ["lease.*"])
            assert _paths(rows) == [("lease.taken", "kept-1.py"), ("lease.taken", "kept-2.py"),
                                    ("lease.taken", "sentinel.py")]
        finally:
            for client in (follower, writer, sentinel):
                client.connection.close()


def test_a_later_event_of_a_transaction_that_found_no_follower_is_not_lost(committed_db: Database) -> None:
    """A transaction whose first event found no follower writes its next ones without looking
    again: it still holds the tenant's follow lock, so a follower registering in between waits
    for its commit and then reads every event it wrote."""
    agent, operator, _ = _setup(committed_db, _tenant())
    writer = _client(committed_db, agent, autocommit=False)
    follower = _client(committed_db, operator)
    try:
        assert writer.acquire_lock("first.py").ok  # no follower: unannounced, lock held shared
        pid = follower.connection.info.backend_pid
        thread, out = in_thread(follower.follow_events)
        wait_for_backend(committed_db, pid, "wait_event_type = 'Lock'")
        assert writer.acquire_lock("second.py").ok  # the transaction's answer, not a second look
        writer.connection.commit()
        thread.join()
        assert out["result"].code == "following", out
        assert _paths(follower.events_since(0, ["lease.*"])) == [("lease.taken", "first.py"),
                                                                  ("lease.taken", "second.py")]
    finally:
        writer.connection.close()
        follower.connection.close()


def test_the_follower_probe_sees_the_tenant_it_is_given(committed_db: Database) -> None:
    """coord.has_event_followers (BYPASSRLS) answers for the tenant named, whatever tenant the
    caller's RLS context is, and only for that tenant."""
    followed, other = _tenant(), _tenant()
    _, operator, _ = _setup(committed_db, followed)
    _setup(committed_db, other)
    follower = _client(committed_db, operator)
    try:
        assert follower.follow_events().code == "following"
        with committed_db.connect() as admin:
            answers = dict(admin.execute(
                "select n.name, coord.has_event_followers(n.id) from coord.tenants as n where n.name = any(%s)",
                ([followed, other],)).fetchall())
        assert answers == {followed: True, other: False}
    finally:
        follower.connection.close()
