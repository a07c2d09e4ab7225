"""Attacks on the shared world: memory (visibility, reinforcing, size limits), messages (teams
that change under them), the event stream over SSE (a token revoked mid-stream) and the webhook
deliverer (a receiver that answers a byte at a time). Real PostgreSQL, real sockets; each test
states the promise it tries to break."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from coordinator.webhooks import deliver_due
from tests.conftest import Database, make_principal
from tests.event_streams import client as _client
from tests.event_streams import tenant_name as _tenant


def _agent(db: psycopg.Connection, tenant: str, role: str = "agent") -> tuple[Any, Client]:
    principal = make_principal(db, tenant=tenant, role=role)
    return principal, Client(connection=db, token=principal.token)


def _remember(client: Client, content: str, **kw: Any) -> dict[str, Any]:
    return client.call("remember", {"p_tier": "semantic", "p_content": content,
                                    **{f"p_{k}": v for k, v in kw.items()}})[0]


def _registered(db: psycopg.Connection) -> set[str]:
    return {r[0] for r in db.execute("select code from coord.error_registry").fetchall()}


# --- memory -------------------------------------------------------------------------------------

def test_reinforcing_cannot_grow_metadata_past_its_limit(db: psycopg.Connection) -> None:
    """Each call's metadata is held to 16 KiB, but reinforcing merged it into the memory's: two
    calls of 15 KB with different keys made a 30 KB document, and the table's check answered
    with an unregistered 23514 and no hint. Now: CO404 with a hint, nothing written."""
    _, agent = _agent(db, "wa-meta")
    first = _remember(agent, "the fence is monotonic", metadata={"a": "x" * 15000})
    assert first["code"] == "remembered"
    memory_id = first["details"]["memory_id"]
    snapshot = "select seen_count, metadata::text from coord.memories where id = %s"
    before = db.execute(snapshot, (memory_id,)).fetchone()
    events = db.execute("select count(*) from audit.events").fetchone()
    db.execute("savepoint grow")
    with pytest.raises(CoordError) as caught:
        _remember(agent, "the fence is monotonic", metadata={"b": "y" * 15000})
    db.execute("rollback to savepoint grow")
    assert caught.value.code == "CO404" and caught.value.code in _registered(db) and caught.value.hint
    assert db.execute(snapshot, (memory_id,)).fetchone() == before
    assert db.execute("select count(*) from audit.events").fetchone() == events
    # Metadata that fits once merged still reinforces.
    again = _remember(agent, "the fence is monotonic", metadata={"a": "z"})
    assert again["code"] == "reinforced" and again["details"]["seen_count"] == 2


def test_the_same_content_from_another_author_is_not_their_memory(db: psycopg.Connection) -> None:
    """Held: dedup is per author. Remembering someone's private content word for word makes a
    memory of one's own; theirs is neither reinforced nor shown nor changed."""
    _, author = _agent(db, "wa-dedup")
    _, other = _agent(db, "wa-dedup")
    theirs = _remember(author, "the deploy key is in vault path ops/deploy", importance=0.2)
    mine = _remember(other, "the deploy key is in vault path ops/deploy", importance=0.9, visibility="tenant",
                     metadata={"x": 1})
    assert mine["code"] == "remembered" and mine["details"]["memory_id"] != theirs["details"]["memory_id"]
    row = db.execute("select seen_count, importance, visibility, metadata from coord.memories where id = %s",
                     (theirs["details"]["memory_id"],)).fetchone()
    assert row == (1, pytest.approx(0.2), "private", {})
    assert [r["memory_id"] for r in other.call("recall", {"p_query": "deploy key vault"})] == \
        [mine["details"]["memory_id"]]


def test_an_agent_moved_to_another_team_loses_the_old_teams_memories_and_messages(db: psycopg.Connection) -> None:
    """Held: a team is the profile an agent acts under now, not when the memory or message was
    written. Moved from red to blue, an agent no longer recalls, lists or forgets red's team
    memories, is not addressed by team:red, and red's mates no longer see blue's."""
    tenant = "wa-move"
    _, op = _agent(db, tenant, "operator")
    stay_p, stay = _agent(db, tenant)
    move_p, move = _agent(db, tenant)
    for team in ("red", "blue"):
        assert op.call("create_profile", {"p_name": team, "p_trust_level": 2})[0]["ok"]
    for p in (stay_p, move_p):
        assert op.call("assign_profile", {"p_agent": p.name, "p_profile": "red"})[0]["ok"]
    assert op.call("set_message_default", {"p_action": "allow"})[0]["ok"]
    red = _remember(stay, "red zebra plan", visibility="team")["details"]["memory_id"]
    assert [r["memory_id"] for r in move.call("recall", {"p_query": "zebra"})] == [red]

    assert op.call("assign_profile", {"p_agent": move_p.name, "p_profile": "blue"})[0]["ok"]
    assert move.call("recall", {"p_query": "zebra"}) == []
    assert move.call("list_memories", {}) == []
    db.execute("savepoint forget")
    with pytest.raises(CoordError) as caught:
        move.call("forget", {"p_memory_id": red})
    db.execute("rollback to savepoint forget")
    assert caught.value.code == "CO448"
    blue = _remember(move, "blue zebra plan", visibility="team")["details"]["memory_id"]
    assert [r["memory_id"] for r in stay.call("recall", {"p_query": "zebra"})] == [red]
    assert [r["memory_id"] for r in move.call("recall", {"p_query": "zebra"})] == [blue]

    sent = stay.call("send_message", {"p_to": "team:red", "p_body": "red only"})[0]
    assert sent["code"] == "no_recipients"  # the only other red agent moved
    assert [m["body"] for m in move.call("inbox", {})] == []


@pytest.mark.parametrize(("function", "arguments"), [
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_tags": [None]}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_tags": [["a"]]}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_metadata": None}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_ttl": "-1 day"}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_ttl": "infinity"}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_ttl": "0"}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_visibility": None}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_importance": "NaN"}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_embedding": []}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_embedding": [[1.0]]}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_embedding": [None] * 384}),
    ("remember", {"p_tier": "semantic", "p_content": "x", "p_embedding": ["NaN"] * 384}),
    ("recall", {"p_tiers": [None]}),
    ("recall", {"p_tags": [None]}),
    ("recall", {"p_limit": None}),
    ("recall", {"p_embedding": []}),
    ("list_memories", {"p_limit": None}),
    ("forget", {"p_memory_id": None}),
    ("inbox", {"p_since": "infinity"}),
    ("inbox", {"p_unread": None, "p_limit": None}),
    ("ack_messages", {"p_message_ids": []}),
    ("get_thread", {"p_thread_id": None}),
    ("list_threads", {"p_limit": -1}),
    ("send_message", {"p_to": "*", "p_body": "x", "p_subject": ""}),
    ("send_message", {"p_to": "*", "p_body": None}),
    ("send_message", {"p_to": None, "p_body": "x"}),
    ("send_message", {"p_to": "team:nope", "p_body": "x"}),
    ("send_message", {"p_to": "nobody", "p_body": "x"}),
    ("events_since", {"p_types": [None]}),
    ("events_since", {"p_after": 2**63 - 1}),
])
def test_odd_world_input_is_a_registered_error_that_writes_nothing(db: psycopg.Connection, function: str,
                                                                   arguments: dict[str, object]) -> None:
    """Held: NULLs, empty and nested arrays, infinities and NaN on the memory, message and event
    functions are registered errors with a hint that write nothing."""
    _, agent = _agent(db, "wa-odd")
    counts = ("select (select count(*) from audit.events), (select count(*) from coord.memories), "
              "(select count(*) from coord.messages)")
    before = db.execute(counts).fetchone()
    db.execute("savepoint odd")
    with pytest.raises(CoordError) as caught:
        agent.call(function, arguments)
    db.execute("rollback to savepoint odd")
    assert caught.value.code in _registered(db) and caught.value.hint, (caught.value.code, str(caught.value))
    assert db.execute(counts).fetchone() == before


# --- the event stream over SSE ------------------------------------------------------------------

def _sse(response: Any) -> Iterator[dict[str, str]]:
    event: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if event:
                yield event
            event = {}
            continue
        field, _, value = line.partition(": ")
        event[field] = value


def test_a_token_revoked_mid_stream_ends_the_stream_before_the_next_event(committed_db: Database) -> None:
    """Held: /events checks the bearer token when the stream opens; every read of the stream
    after it presents the token to the database again, so an event written after the token was
    revoked is never sent on a stream opened before: the stream ends with a PT401 error."""
    import httpx2

    from tests.test_mcp import http_server

    tenant = _tenant("wa-sse")
    with committed_db.connect() as admin:
        reader = make_principal(admin, tenant=tenant)
        writer_token = make_principal(admin, tenant=tenant).token
    writer = _client(committed_db, writer_token)
    try:
        with http_server(committed_db) as mcp_url:
            url = mcp_url.removesuffix("/mcp") + "/events?after=0&types=lease.*"
            assert writer.acquire_lock("before.py").ok
            with httpx2.stream("GET", url, headers={"Authorization": f"Bearer {reader.token}"},
                               timeout=60) as response:
                assert response.status_code == 200
                events = _sse(response)
                first = next(e for e in events if "id" in e or e.get("event") == "error")
                assert json.loads(first["data"])["target_id"] == "before.py"
                with committed_db.connect() as admin:
                    admin.execute("update coord.tokens set revoked_at = now() where id = %s", (reader.token_id,))
                assert writer.acquire_lock("after.py").ok  # announced: the stream reads again
                rest = list(events)
            assert [e.get("event") for e in rest] == ["error"], rest
            assert json.loads(rest[0]["data"])["code"] == "PT401"
            assert "after.py" not in json.dumps(rest)
    finally:
        writer.connection.close()


# --- webhooks -----------------------------------------------------------------------------------

class _Trickler:
    """A receiver that reads the request and then answers one byte at a time, a byte every 50 ms,
    forever (until released): each read of the deliverer gets something well within any socket
    timeout, so only a deadline on the whole attempt ends it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.release.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.requests += 1
            answer = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100000
            for i in range(len(answer)):
                if self.release.wait(0.05):
                    return
                try:
                    conn.sendall(answer[i:i + 1])
                except OSError:
                    return  # the deliverer gave up

    def __enter__(self) -> _Trickler:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.listener.close()


def test_a_receiver_that_answers_a_byte_at_a_time_does_not_hold_the_deliverer(committed_db: Database) -> None:
    """The deliverer's timeout bounded each socket read, not the attempt: a receiver that sends
    its status line a byte every 50 ms held ``deliver_due`` (and ``coord maintain``, which
    delivers for every tenant one after the other) for as long as it liked. Now the attempt has
    a deadline: it fails as timed out and is retried with backoff."""
    name = _tenant("wa-slow")
    with committed_db.connect() as admin:
        token = make_principal(admin, tenant=name, role="operator").token
        admin.execute("update coord.tenants set webhook_private_targets = true where name = %s", (name,))
    ops = _client(committed_db, token)
    outcome: dict[str, Any] = {}
    try:
        with _Trickler() as receiver:
            assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
            assert ops.add_webhook("slow", receiver.url, ["alert.*"], "trickle-secret-0123456789", 3).code == "added"
            with committed_db.connect() as admin:
                admin.execute("select audit.record('network.check', 'denied', 'host', 'x.example', null, '{}', null, "
                              "'warning', true, (select id from coord.tenants where name = %s))", (name,))

            def deliver() -> None:
                try:
                    outcome["attempts"] = deliver_due(ops, timeout=0.5)
                except Exception as exc:  # reported below
                    outcome["error"] = exc

            worker = threading.Thread(target=deliver, daemon=True)
            worker.start()
            worker.join(60)  # a liveness bound, not a timing: the old deliverer never returned
            held = worker.is_alive()
        worker.join(60)  # released: the old deliverer gets its answer now
        assert not held, "the deliverer was still reading the trickled answer after 60 s"
        assert "error" not in outcome, outcome
        attempts = outcome["attempts"]
        assert [(a.status, a.code) for a in attempts] == [(None, "retry_scheduled")]
        assert "timed out" in (attempts[0].error or "")
        assert receiver.requests == 1
    finally:
        ops.connection.close()


# --- what agents and receivers write, on an operator's terminal ---------------------------------

_HOSTILE = "ok\x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b[1A\u202eevil\x9b31m"


def _coord(*args: str) -> Any:
    from click.testing import CliRunner
    from coord_cli.main import main

    env = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COLUMNS": "200"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _no_controls(text: str) -> bool:
    return not any((ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in text)


def test_an_agents_text_reaches_the_terminal_as_text(committed_db: Database) -> None:
    """Rich's markup escape let control characters through: a message body or a memory carrying
    ESC sequences cleared the operator's screen, moved the cursor over lines already printed or
    (OSC 52) wrote the clipboard when the inbox or memory table was shown. Now they print as
    escapes; --json was and is safe (JSON escapes them)."""
    tenant = _tenant("wa-term")
    with committed_db.connect() as admin:
        op = make_principal(admin, "op", tenant=tenant, role="operator").token
        sender = make_principal(admin, "sender", tenant=tenant).token
        reader = make_principal(admin, "reader", tenant=tenant).token
    dsn = ["--dsn", committed_db.client_dsn]
    assert _coord("messages", "default", "allow", "--token", op, *dsn).exit_code == 0
    assert _coord("messages", "send", "reader", _HOSTILE, "--token", sender, *dsn).exit_code == 0
    assert _coord("memory", "remember", _HOSTILE, "--visibility", "tenant", "--token", sender, *dsn).exit_code == 0
    for shown in (_coord("messages", "inbox", "--token", reader, *dsn),
                  _coord("memory", "list", "--token", reader, *dsn)):
        assert shown.exit_code == 0, shown.output
        assert "\\x1b[2J" in shown.stdout and "\\u202e" in shown.stdout
        assert _no_controls(shown.stdout), repr(shown.stdout)


class _Answering:
    """A receiver that answers every request with the given bytes and closes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                conn.sendall(self.answer)

    def __enter__(self) -> _Answering:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.listener.close()


def test_a_receivers_answer_does_not_break_coord_notify(committed_db: Database) -> None:
    """coord notify printed each attempt's error as console markup: a receiver answering the
    status line "HTTP/1.1 [/x] ..." made the error text a closing tag, and the deliverer loop died
    with a MarkupError (ESC sequences in it went to the terminal). Now the error is text."""
    name = _tenant("wa-notify")
    with committed_db.connect() as admin:
        token = make_principal(admin, tenant=name, role="operator").token
        admin.execute("update coord.tenants set webhook_private_targets = true where name = %s", (name,))
    ops = _client(committed_db, token)
    try:
        with _Answering(b"HTTP/1.1 [/x]" + _HOSTILE.encode() + b" OK\r\n\r\n") as receiver:
            assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
            assert ops.add_webhook("odd", receiver.url, ["alert.*"], "odd-receiver-secret-0123", 3).code == "added"
            with committed_db.connect() as admin:
                admin.execute("select audit.record('network.check', 'denied', 'host', 'x.example', null, '{}', null, "
                              "'warning', true, (select id from coord.tenants where name = %s))", (name,))
            ran = _coord("notify", "--timeout", "5", "--token", token, "--dsn", committed_db.client_dsn)
        assert ran.exit_code == 0, ran.output
        assert "retry_scheduled" in ran.stdout and "[/x]" in ran.stdout and _no_controls(ran.stdout), repr(ran.stdout)
    finally:
        ops.connection.close()


# --- the outbox under a late commit -------------------------------------------------------------

def test_the_outbox_fans_out_an_event_that_commits_late_once(committed_db: Database) -> None:
    """Held: the webhook fan-out reads the stream under the same horizon as followers. An event of
    a transaction left open while a later one commits and is fanned out is neither skipped (its
    id is below the cursor by then) nor fanned out twice: the claim after the commit has it, and
    no claim after that."""
    name = _tenant("wa-outbox")
    with committed_db.connect() as admin:
        ops = _client(committed_db, make_principal(admin, tenant=name, role="operator").token)
        agent_token = make_principal(admin, tenant=name).token
    agent = _client(committed_db, agent_token)
    late = _client(committed_db, agent_token, autocommit=False)
    try:
        assert ops.add_webhook("late", "https://hooks.example/late", ["lease.taken"], "late-outbox-secret-0123").ok
        assert late.acquire_lock("late.py").ok  # its event id is taken now, committed below
        assert agent.acquire_lock("after.py").ok
        first = ops.claim_webhook_deliveries().details["deliveries"]
        assert first == []  # held back by the open transaction, not passed by
        late.connection.commit()
        second = ops.claim_webhook_deliveries().details["deliveries"]
        assert [json.loads(d["body"])["target_id"] for d in second] == ["late.py", "after.py"]
        assert agent.acquire_lock("last.py").ok
        third = ops.claim_webhook_deliveries().details["deliveries"]
        assert [json.loads(d["body"])["target_id"] for d in third] == ["last.py"]
        with committed_db.connect() as admin:
            rows = admin.execute("select count(*), count(distinct event_id) from coord.webhook_deliveries as d "
                                 "join coord.tenants as t on t.id = d.tenant_id where t.name = %s", (name,)).fetchone()
        assert rows == (3, 3)
    finally:
        for c in (ops, agent, late):
            c.connection.close()


# --- the event stream: what another tenant's open transaction may hold back ----------------------

def test_another_tenants_rolled_back_call_does_not_hold_my_stream(committed_db: Database) -> None:
    """The horizon passed a running transaction only when it held another tenant's writer key: a
    transaction with an id and no key at all held every tenant's stream. Any agent made one by
    rolling back a savepoint around a call (what Client does when a call fails inside the
    caller's transaction) and leaving the transaction open: every tenant's events_since, follow,
    SSE and webhook alerts stopped until it ended. Now it is passed, and if it later writes my
    tenant's event, that lands after what I was handed."""
    with committed_db.connect() as admin:
        stranger = make_principal(admin, tenant=_tenant("wa-hold-a")).token
        mine = _tenant("wa-hold-b")
        writer_token = make_principal(admin, tenant=mine).token
        reader_token = make_principal(admin, tenant=mine, role="operator").token
    other = _client(committed_db, stranger, autocommit=False)
    turned = Client(connection=other.connection, token=writer_token)  # the same transaction, my tenant
    writer, reader = _client(committed_db, writer_token), _client(committed_db, reader_token)
    try:
        other.connection.execute("savepoint s")
        assert other.acquire_lock("theirs.py").ok
        other.connection.execute("rollback to savepoint s")  # the key is released, the id stays
        assert other.connection.execute("select pg_current_xact_id_if_assigned()").fetchone()[0] is not None
        assert writer.acquire_lock("first.py").ok
        first = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in first] == ["first.py"]
        assert reader.events_head()[0].held == 0
        assert turned.acquire_lock("turned.py").ok  # the passed transaction writes my tenant's event
        assert writer.acquire_lock("second.py").ok
        assert reader.events_since(first[-1].id, ["lease.*"]) == []  # now it holds my stream
        other.connection.commit()
        rest = reader.events_since(first[-1].id, ["lease.*"])
        assert sorted(r.target_id for r in rest) == ["second.py", "turned.py"]
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == \
            ["first.py"] + [r.target_id for r in rest]
    finally:
        for c in (other, writer, reader):
            c.connection.close()


def test_an_open_transaction_that_wrote_no_event_does_not_hold_any_stream(committed_db: Database) -> None:
    """The same with a plain open transaction that has an id and never called coord (a write of
    its own, in the database's terms): it is nobody's writer."""
    with committed_db.connect() as admin:
        mine = _tenant("wa-idle")
        writer_token = make_principal(admin, tenant=mine).token
        reader_token = make_principal(admin, tenant=mine, role="operator").token
    idle = psycopg.connect(committed_db.client_dsn)
    writer, reader = _client(committed_db, writer_token), _client(committed_db, reader_token)
    try:
        idle.execute("select pg_current_xact_id()")
        assert writer.acquire_lock("mine.py").ok
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == ["mine.py"]
    finally:
        idle.close()
        writer.connection.close()
        reader.connection.close()


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_outside_read_committed_a_passed_transaction_cannot_write_an_event(committed_db: Database,
                                                                           isolation: str) -> None:
    """The other side of passing transactions without a key: one that had an id before its first
    audited call would position its event from its own snapshot, which under REPEATABLE READ or
    SERIALIZABLE predates horizons already handed out. It is refused (CO213), nothing written;
    a transaction whose first write is the audited call works as before."""
    with committed_db.connect() as admin:
        mine = _tenant("wa-rr")
        writer_token = make_principal(admin, tenant=mine).token
    late = _client(committed_db, writer_token, autocommit=False)
    try:
        late.connection.execute(f"set transaction isolation level {isolation}")
        late.connection.execute("select pg_current_xact_id()")
        remember = {"p_tier": "semantic", "p_content": "written in an old snapshot"}
        with pytest.raises(CoordError) as caught:
            late.call("remember", remember)  # leases and tasks refuse these levels anyway
        assert caught.value.code == "CO213" and caught.value.hint
        assert "wrote before its first audited call" in str(caught.value.detail)
        late.connection.rollback()
        late.connection.execute(f"set transaction isolation level {isolation}")
        assert late.call("remember", remember)[0]["code"] == "remembered"
        late.connection.commit()
    finally:
        late.connection.close()
