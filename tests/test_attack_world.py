"""Attacks on today's messages, event stream and webhooks (real PostgreSQL, real sockets).

Each test states a promise of docs/messages.md or docs/events.md and tries to break it. Holes
that are not fixed here are marked xfail(strict=True) with the reason; the others pass."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from coordinator.webhooks import deliver_due, verify_signature
from tests.conftest import Database, make_principal
from tests.event_streams import client as _client
from tests.event_streams import stream_cast
from tests.event_streams import tenant_name as _tenant

SECRET = "attack-webhook-secret-0123456789"


def _raise_alert(database: Database, tenant: str, host: str) -> None:
    with database.connect() as admin:
        admin.execute("select audit.record('network.check', 'denied', 'host', %s, null, '{}', null, 'warning', true, "
                      "(select id from coord.tenants where name = %s))", (host, tenant))


# --- the event stream ---------------------------------------------------------------------------

def test_another_tenants_open_transaction_does_not_hold_back_my_stream(committed_db: Database) -> None:
    with stream_cast(committed_db) as cast:
        other, writer, reader = cast.other, cast.writer, cast.reader
        assert other.acquire_lock("theirs.py").ok  # tenant A: left open
        assert writer.acquire_lock("mine.py").ok  # tenant B: committed
        rows = reader.events_since(0, ["lease.*"])
        assert [(r.event_type, r.target_id) for r in rows] == [("lease.taken", "mine.py")]


def test_my_tenants_open_writer_still_holds_my_stream(committed_db: Database) -> None:
    """The other direction: a transaction of my own tenant left open still holds back what was
    committed after it (it may commit an event before them), while another tenant's does not."""
    with stream_cast(committed_db) as cast:
        late = cast.open_writer()
        other, writer, reader = cast.other, cast.writer, cast.reader
        assert other.acquire_lock("theirs.py").ok
        assert late.acquire_lock("late.py").ok  # my tenant: left open
        assert writer.acquire_lock("after.py").ok
        assert reader.events_since(0, ["lease.*"]) == []
        late.connection.commit()
        rows = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in rows] == ["late.py", "after.py"]


def test_a_transaction_that_turns_to_my_tenant_late_is_not_skipped(committed_db: Database) -> None:
    """A transaction that wrote another tenant's events is passed by my horizon; when it then
    writes an event of mine (a second token on one connection, or a sweep over tenants), that
    event must still come after everything I was already handed."""
    with stream_cast(committed_db) as cast:
        other, turned, writer, reader = cast.other, cast.turned, cast.writer, cast.reader
        assert other.acquire_lock("theirs.py").ok  # tenant A, left open
        assert writer.acquire_lock("first.py").ok
        first = reader.events_since(0, ["lease.*"])
        assert [r.target_id for r in first] == ["first.py"]  # A's open transaction did not hold it
        assert turned.acquire_lock("turned.py").ok  # the same open transaction, now my tenant
        assert writer.acquire_lock("second.py").ok
        assert reader.events_since(first[-1].id, ["lease.*"]) == []  # now it holds my stream
        other.connection.commit()
        rest = reader.events_since(first[-1].id, ["lease.*"])
        assert sorted(r.target_id for r in rest) == ["second.py", "turned.py"]
        assert [r.target_id for r in reader.events_since(0, ["lease.*"])] == \
            ["first.py"] + [r.target_id for r in rest]


def test_a_cursor_from_another_tenant_or_the_future_is_refused(committed_db: Database) -> None:
    """Last-Event-ID tricks: another tenant's id, a negative id and one past the end are CO651."""
    with committed_db.connect() as admin:
        theirs = make_principal(admin, tenant=_tenant("ev-c")).token
        mine = make_principal(admin, tenant=_tenant("ev-d"), role="operator").token
    them, me = _client(committed_db, theirs), _client(committed_db, mine)
    try:
        assert them.acquire_lock("x.py").ok
        their_id = them.events_since(0, ["lease.*"])[-1].id
        for after in (their_id, -1, 2**62):
            with pytest.raises(CoordError) as caught:
                me.events_since(after, ["lease.*"])
            assert caught.value.code == "CO651"
        with pytest.raises(CoordError) as caught:
            me.audit_since(their_id)
        assert caught.value.code == "CO651"
    finally:
        them.connection.close()
        me.connection.close()


# --- webhooks -----------------------------------------------------------------------------------

class _Redirecting:
    """A receiver whose POST answers 302 to another path that answers any GET with 200: the body
    is never accepted by anyone."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, location: str | None = None) -> None:
                outer.requests.append((self.command, self.path))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(302, "/elsewhere")

            def do_GET(self) -> None:
                self._answer(200)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Redirecting:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def operator(committed_db: Database) -> Iterator[tuple[Database, Client, str]]:
    name = _tenant("wh")
    with committed_db.connect() as admin:
        token = make_principal(admin, tenant=name, role="operator").token
        # The receivers here listen on 127.0.0.1: the owner's opt-in (off by default).
        admin.execute("update coord.tenants set webhook_private_targets = true where name = %s", (name,))
    client = _client(committed_db, token)
    try:
        yield committed_db, client, name
    finally:
        client.connection.close()


def test_a_redirect_is_not_a_delivery(operator) -> None:
    """urllib follows a 302 to a POST with a GET to wherever Location says (any host: the deliverer
    then fetches internal URLs with the delivery's headers), and a 200 there was reported as
    delivered although no one accepted the body."""
    database, ops, name = operator
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    with _Redirecting() as receiver:
        assert ops.add_webhook("hop", receiver.url, ["alert.raised"], SECRET).ok
        _raise_alert(database, name, "r.example")
        attempts = deliver_due(ops, timeout=2)
    assert [a.code for a in attempts] == ["retry_scheduled"]
    assert attempts[0].status == 302
    assert receiver.requests == [("POST", "/hook")]  # nothing followed the redirect


@pytest.mark.parametrize(("ok", "status"), [(True, 500), (True, 302), (True, None), (False, 200)])
def test_a_report_that_contradicts_itself_is_refused(operator, ok: bool, status: int | None) -> None:
    """2xx delivers, anything else does not (the function's own promise): a deliverer may not
    report ok with a failing status (or none), nor a failure with a 2xx."""
    database, ops, name = operator
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    assert ops.add_webhook("h", "http://127.0.0.1:9/none", ["alert.raised"], SECRET).ok
    _raise_alert(database, name, "c.example")
    [claimed] = ops.claim_webhook_deliveries().details["deliveries"]
    with pytest.raises(CoordError) as caught:
        ops.report_webhook_delivery(claimed["delivery_id"], claimed["claim"], ok, status)
    assert caught.value.code == "CO654"
    [delivery] = ops.list_webhook_deliveries()
    assert (delivery.state, delivery.last_status) == ("pending", None)  # the error wrote nothing
    assert ops.report_webhook_delivery(claimed["delivery_id"], claimed["claim"], True, 204).code == "delivered"


def test_the_secret_is_in_no_list_no_result_and_no_audit_event(operator) -> None:
    database, ops, name = operator
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    generated = ops.add_webhook("gen", "http://127.0.0.1:9/a", ["alert.raised"])
    secret = generated.details["secret"]
    assert ops.add_webhook("given", "http://127.0.0.1:9/b", ["alert.raised"], SECRET).ok
    _raise_alert(database, name, "s.example")
    claimed = ops.claim_webhook_deliveries().details["deliveries"]
    assert len(claimed) == 2
    for d in claimed:
        assert ops.report_webhook_delivery(d["delivery_id"], d["claim"], False, 500, "boom").code == "retry_scheduled"
    assert ops.remove_webhook("gen").code == "removed"
    seen = repr([ops.list_webhooks(), ops.list_webhook_deliveries(), claimed, ops.audit_since(0, 1000)])
    assert secret not in seen and SECRET not in seen
    with database.connect() as admin:
        dumped = admin.execute(
            "select string_agg(e::text, ' ') from audit.events as e "
            "where tenant_id = (select id from coord.tenants where name = %s)", (name,)).fetchone()[0]
    assert secret not in dumped and SECRET not in dumped


# --- malformed input: registered errors that write nothing ----------------------------------------

_COUNTS = ("select (select count(*) from audit.events), (select count(*) from coord.messages), "
           "(select count(*) from coord.message_rules), (select count(*) from coord.webhooks)")


def _registered(db: psycopg.Connection) -> set[str]:
    return {r[0] for r in db.execute("select code from coord.error_registry").fetchall()}


@pytest.mark.parametrize(("function", "arguments"), [
    ("send_message", {"p_to": "team:", "p_body": "x"}),
    ("send_message", {"p_to": "team:*", "p_body": "x"}),
    ("send_message", {"p_to": "agent:*", "p_body": "x"}),
    ("send_message", {"p_to": "agent:agent:b", "p_body": "x"}),
    ("send_message", {"p_to": "**", "p_body": "x"}),
    ("send_message", {"p_to": "team:" + "x" * 200, "p_body": "x"}),
    ("send_message", {"p_to": "b", "p_body": "x", "p_thread": -1}),
    ("send_message", {"p_to": "b", "p_body": "x", "p_reply_to": 0}),
    ("send_message", {"p_to": "b", "p_body": "x", "p_subject": "\u2028line"}),
    ("events_since", {"p_types": ["lease."]}),
    ("events_since", {"p_types": [".*"]}),
    ("events_since", {"p_types": [""]}),
    ("events_since", {"p_types": ["*.*"]}),
    ("events_since", {"p_types": [["lease.*"]]}),
    ("events_since", {"p_limit": 0}),
    ("events_since", {"p_after": None, "p_limit": None}),
    ("audit_since", {"p_after": -5}),
    ("allow_messages", {"p_from": "team:", "p_to": "b"}),
    ("allow_messages", {"p_from": "b", "p_to": "b", "p_side": "sideways"}),
    ("check_message_route", {"p_sender": "*", "p_recipient": "b"}),
    ("check_message_route", {"p_sender": "team:nobody", "p_recipient": "*"}),
    ("add_webhook", {"p_name": "w", "p_url": "http://x", "p_event_types": []}),
    ("add_webhook", {"p_name": "w", "p_url": "http://x", "p_event_types": [None]}),
    ("add_webhook", {"p_name": "w", "p_url": "http://x", "p_event_types": [["alert.*"]]}),
    ("add_webhook", {"p_name": "w", "p_url": "javascript:alert(1)"}),
    ("add_webhook", {"p_name": "w", "p_url": "http://x", "p_max_attempts": 0}),
    ("remove_webhook", {"p_name": None}),
    ("list_webhook_deliveries", {"p_state": "x" * 100}),
    ("claim_webhook_deliveries", {"p_lease": "-1 second"}),
    ("claim_webhook_deliveries", {"p_lease": None, "p_limit": None}),
    ("report_webhook_delivery", {"p_delivery_id": 1, "p_claim": str(uuid.uuid4()), "p_ok": False, "p_status": 99}),
    ("report_webhook_delivery", {"p_delivery_id": -1, "p_claim": str(uuid.uuid4()), "p_ok": False}),
])
def test_odd_input_is_a_registered_error_or_a_result(db: psycopg.Connection, function: str,
                                                     arguments: dict[str, object]) -> None:
    tenant = _tenant("odd")
    op = Client(connection=db, token=make_principal(db, "op", tenant=tenant, role="operator").token)  # type: ignore[arg-type]
    make_principal(db, "b", tenant=tenant)
    assert op.set_message_default("allow").ok
    before = db.execute(_COUNTS).fetchone()
    db.execute("savepoint odd")
    try:
        result = op.call(function, arguments)
    except CoordError as exc:
        db.execute("rollback to savepoint odd")
        assert exc.code in _registered(db), (exc.code, str(exc))
        assert exc.hint
        assert db.execute(_COUNTS).fetchone() == before
    else:
        print(function, arguments, "->", result)


def test_one_token_cannot_open_unbounded_event_streams(committed_db: Database) -> None:
    import contextlib

    import httpx2

    from coordinator.mcp_server import STREAMS_PER_PRINCIPAL
    from tests.test_mcp import http_server

    with committed_db.connect() as admin:
        agent = make_principal(admin, tenant=_tenant("sse")).token
    streams = 12
    with http_server(committed_db) as mcp_url, contextlib.ExitStack() as stack:
        url = mcp_url.removesuffix("/mcp") + "/events"
        statuses = [stack.enter_context(httpx2.stream("GET", url, headers={"Authorization": f"Bearer {agent}"},
                                                      timeout=60)).status_code for _ in range(streams)]
        # Each accepted stream holds a backend and a thread of its own: the rest are refused.
        assert statuses == [200] * STREAMS_PER_PRINCIPAL + [429] * (streams - STREAMS_PER_PRINCIPAL)


def test_a_batch_is_claimed_for_as_long_as_posting_it_may_take(operator) -> None:
    """deliver_due claims a batch for 3 x timeout (at least 30 s) and POSTs it one by one, each POST
    allowed `timeout`: from the fourth slow receiver on, the claims it still holds have run out, a
    second deliverer (coord notify runs several, coord maintain too) takes them, both POST them, the
    first one's reports are stale and each attempt is counted twice."""
    database, ops, name = operator
    with database.connect() as admin:
        agent = _client(database, make_principal(admin, tenant=name).token)
        second = _client(database, make_principal(admin, tenant=name, role="operator").token)
    taken: list[int] = []
    lock = threading.Lock()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock, database.connect() as admin:
                admin.execute("update coord.clock set offset_by = offset_by + interval '10 seconds'")  # one timeout
                admin.commit()
                taken.extend(d["delivery_id"] for d in second.claim_webhook_deliveries().details["deliveries"])
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert ops.add_webhook("slow", f"http://127.0.0.1:{server.server_address[1]}/", ["lease.taken"], SECRET).ok
        for i in range(6):
            assert agent.acquire_lock(f"f{i}.py").ok
        attempts = deliver_due(ops, limit=20, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        agent.connection.close()
        second.connection.close()
    assert len(attempts) == 6
    # Nobody else took a delivery this deliverer was still working through: no report is stale.
    assert [a.code for a in attempts] == ["retry_scheduled"] * 6, (attempts, taken)


def test_each_event_of_a_fan_out_gets_its_own_delivery_and_key(operator) -> None:
    """Two new events fanned out in one claim: the idempotency key came from an uncorrelated
    lateral gen_random_uuid(), evaluated once per batch, so the second row violated the key's
    unique constraint (23505, unregistered) and every claim of the tenant failed from then on."""
    database, ops, name = operator
    with database.connect() as admin:
        agent = _client(database, make_principal(admin, tenant=name).token)
    try:
        assert ops.add_webhook("two", "http://127.0.0.1:9/none", ["lease.taken"], SECRET).ok
        assert agent.acquire_lock("one.py").ok
        assert agent.acquire_lock("two.py").ok
    finally:
        agent.connection.close()
    claimed = ops.claim_webhook_deliveries().details["deliveries"]
    assert len(claimed) == 2
    assert len({d["idempotency_key"] for d in claimed}) == 2
    for d in claimed:
        assert json.loads(d["body"])["idempotency_key"] == str(d["idempotency_key"])
        assert verify_signature(SECRET, d["body"].encode(), d["signature"])


PRIVATE_URLS = [
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
    "http://127.0.0.1:5432/", "https://[::1]/", "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
    "http://[fe80::1]/", "http://0.0.0.0/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/",
    "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://010.0.0.1/", "http://LOCALHOST./x",
    "http://a.localhost/", "http://hooks.example@10.0.0.1/", "http://[fe80::1%25eth0]/",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_webhook_may_not_target_a_private_address(db: psycopg.Connection, url: str) -> None:
    """The deliverer (coord maintain runs it on the database host, as the superuser) must not be
    pointed at the metadata service, loopback or the private network: a tenant's operator would
    read the outcome (status, refused, timeout) back from list_webhook_deliveries.last_error."""
    ops = Client(connection=db, token=make_principal(db, tenant=_tenant("ssrf"), role="operator").token)  # type: ignore[arg-type]
    with pytest.raises(CoordError) as caught:
        ops.add_webhook("meta", url, ["alert.raised"], SECRET)
    assert caught.value.code == "CO652"
    assert "private" in (caught.value.hint or "")
    assert ops.add_webhook("public", "https://93.184.216.34:8443/in", ["alert.raised"], SECRET).ok
    assert ops.add_webhook("named", "https://hooks.example/in", ["alert.raised"], SECRET).ok


def test_only_the_owner_lets_a_tenant_reach_private_receivers(db: psycopg.Connection) -> None:
    name = _tenant("ssrf")
    ops = Client(connection=db, token=make_principal(db, tenant=name, role="operator").token)  # type: ignore[arg-type]
    db.execute("savepoint refused")
    with pytest.raises(CoordError):
        ops.add_webhook("local", "http://127.0.0.1:9/", ["alert.raised"], SECRET)
    db.execute("rollback to savepoint refused")
    db.execute("update coord.tenants set webhook_private_targets = true where name = %s", (name,))
    assert ops.add_webhook("local", "http://127.0.0.1:9/", ["alert.raised"], SECRET).ok
    # A client cannot set it: no grant on the table, and no api function writes it.
    assert not db.execute("select has_column_privilege('coord_authenticator', 'coord.tenants', "
                          "'webhook_private_targets', 'update')").fetchone()[0]


def test_the_deliverer_refuses_to_connect_to_a_private_address(operator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Host names resolve after add_webhook checked them (and may resolve differently for each
    lookup): the deliverer checks every address the host resolves to against the networks the
    database refuses, connects only to the address it checked, and reports a refused target as a
    failed attempt."""
    import socket

    database, ops, name = operator
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    with _Redirecting() as receiver:
        port = receiver.server.server_address[1]
        assert ops.add_webhook("rebinding", f"http://rebind.example:{port}/hook", ["alert.raised"], SECRET).ok
        assert ops.add_webhook("stored", receiver.url, ["alert.raised"], SECRET).ok  # allowed at the time
        with database.connect() as admin:
            admin.execute("update coord.tenants set webhook_private_targets = false where name = %s", (name,))
        real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **kw: real(
            "127.0.0.1" if host == "rebind.example" else host, *a, **kw))
        _raise_alert(database, name, "p.example")
        attempts = deliver_due(ops, timeout=2)
    assert sorted((a.webhook, a.code, a.status) for a in attempts) == [
        ("rebinding", "retry_scheduled", None), ("stored", "retry_scheduled", None)]
    assert all(a.error and a.error.startswith("refused: ") and "127.0.0.1" in a.error for a in attempts)
    assert receiver.requests == []  # nothing was sent
    assert {d.last_error[:9] for d in ops.list_webhook_deliveries()} == {"refused: "}


def test_removing_a_webhook_mid_delivery_is_a_stale_claim_not_an_error(operator) -> None:
    database, ops, name = operator
    with database.connect() as admin:
        agent = _client(database, make_principal(admin, tenant=name).token)

    class Removing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ops.remove_webhook("gone")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Removing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deliverer = _client(database, ops.token)
    try:
        assert ops.add_webhook("gone", f"http://127.0.0.1:{server.server_address[1]}/", ["lease.taken"], SECRET).ok
        assert agent.acquire_lock("a.py").ok
        attempts = deliver_due(deliverer, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        agent.connection.close()
        deliverer.connection.close()
    assert [a.code for a in attempts] == ["stale_delivery_claim"]


def test_one_tenants_refused_report_does_not_stop_the_others(committed_db: Database,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """coord maintain delivers tenant after tenant on one connection: a report the database
    refuses (here a deliverer bug: ok with a 500) was raised out of deliver_all, and every later
    tenant's deliveries waited for the next pass, forever if the fault repeats."""
    import coordinator.webhooks as webhooks

    first, second = "wa-" + uuid.uuid4().hex[:8], "wb-" + uuid.uuid4().hex[:8]
    with committed_db.connect() as admin:
        ops = {n: _client(committed_db, make_principal(admin, tenant=n, role="operator").token)
               for n in (first, second)}
    try:
        for n, ops_client in ops.items():
            assert ops_client.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
            assert ops_client.add_webhook("h", f"https://{n}.example/hook", ["alert.raised"], SECRET).ok
            _raise_alert(committed_db, n, "d.example")
        contradicting = {"url": f"https://{first}.example/hook"}
        monkeypatch.setattr(webhooks, "post", lambda d, *_args: (True, 500, None) if d["url"] == contradicting["url"]
                            else (True, 204, None))
        done = webhooks.deliver_all(committed_db.admin_dsn, timeout=2)
        assert [a.code for a in done[first]] == ["CO654"]  # refused, reported as such
        assert [a.code for a in done[second]] == ["delivered"]  # and the next tenant was served
    finally:
        for c in ops.values():
            c.connection.close()
