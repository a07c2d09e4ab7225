"""Alert delivery to webhooks: the outbox written from the event stream, signed in the database
(checked against Python's hmac), claimed with SKIP LOCKED, retried with backoff on the test
clock, at least once with one idempotency key, dead after the subscription's attempts; against
a local HTTP receiver that fails, times out and recovers."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from coordinator import errors
from coordinator.client import Client
from coordinator.webhooks import deliver_due, verify_signature
from tests.conftest import Database, advance_clock, make_principal

SECRET = "s3cret-webhook-key-0123456789"


class Receiver:
    """A local HTTP endpoint answering from a script: an int is the status to answer, "hang"
    holds the request until released (the deliverer's short timeout gives up first)."""

    def __init__(self, script: list[object]) -> None:
        self.script = list(script)
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                step = receiver.script.pop(0) if receiver.script else 200
                if step == "hang":
                    receiver.release.wait(30)
                    return
                self.send_response(int(step))  # type: ignore[arg-type]
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tenant(committed_db: Database) -> Iterator[tuple[Database, Client, str]]:
    name = f"wh-{uuid.uuid4().hex[:8]}"
    with committed_db.connect() as admin:
        operator = make_principal(admin, tenant=name, role="operator").token
        # The receivers here listen on 127.0.0.1: the owner's opt-in (off by default).
        admin.execute("update coord.tenants set webhook_private_targets = true where name = %s", (name,))
    client = Client(connection=psycopg.connect(committed_db.client_dsn, autocommit=True), token=operator)
    try:
        yield committed_db, client, name
    finally:
        client.connection.close()


def _raise_alert(database: Database, tenant: str, host: str) -> None:
    """A critical alert: the rule every-denial (threshold 1) matches a denied network check."""
    with database.connect() as admin:
        admin.execute("select audit.record('network.check', 'denied', 'host', %s, null, '{}', null, 'warning', true, "
                      "(select id from coord.tenants where name = %s))", (host, tenant))


def _clock(database: Database, interval: str) -> None:
    with database.connect() as admin:
        advance_clock(admin, interval)


def test_an_alert_reaches_a_receiver_that_fails_times_out_and_recovers(tenant) -> None:
    database, ops, name = tenant
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    with Receiver([500, "hang", 200]) as receiver:
        added = ops.add_webhook("pager", receiver.url, ["alert.*"], SECRET, 5)
        assert added.code == "added" and "secret" not in added.details
        _raise_alert(database, name, "evil.example")

        first = deliver_due(ops, timeout=0.5)
        assert [(a.status, a.code) for a in first] == [(500, "retry_scheduled")]
        assert deliver_due(ops, timeout=0.5) == []  # backing off: nothing is due yet
        _clock(database, "11 seconds")
        second = deliver_due(ops, timeout=0.5)  # the receiver hangs: the deliverer times out
        assert [(a.status, a.code) for a in second] == [(None, "retry_scheduled")]
        assert "timed out" in (second[0].error or "")
        _clock(database, "15 seconds")
        assert deliver_due(ops, timeout=0.5) == []  # the second wait is 20 s
        _clock(database, "6 seconds")
        third = deliver_due(ops, timeout=0.5)
        assert [(a.status, a.code) for a in third] == [(200, "delivered")]
        _clock(database, "2 hours")
        assert deliver_due(ops, timeout=0.5) == []  # delivered: never sent again

    assert len(receiver.received) == 3
    keys = {headers["idempotency-key"] for headers, _ in receiver.received}
    assert len(keys) == 1  # every attempt of the delivery carries the same key
    bodies = {body for _, body in receiver.received}
    assert len(bodies) == 1
    headers, body = receiver.received[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-coord-signature"] == expected
    assert verify_signature(SECRET, body, headers["x-coord-signature"])
    assert not verify_signature("another-secret-entirely", body, headers["x-coord-signature"])
    event = json.loads(body)
    assert (event["type"], event["target_type"], event["severity"]) == ("alert.raised", "alert", "critical")
    assert event["idempotency_key"] == headers["idempotency-key"] and headers["x-coord-event-type"] == "alert.raised"
    listed = ops.list_webhooks()
    assert [(w.name, w.pending, w.delivered, w.dead) for w in listed] == [("pager", 0, 1, 0)]
    deliveries = ops.list_webhook_deliveries()
    assert [(d.state, d.attempts, d.last_status) for d in deliveries] == [("delivered", 3, 200)]


def test_a_permanently_failing_endpoint_goes_dead_after_its_attempts(tenant) -> None:
    database, ops, name = tenant
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    with Receiver([500] * 10) as receiver:
        assert ops.add_webhook("broken", receiver.url, ["alert.raised"], SECRET, 3).ok
        _raise_alert(database, name, "a.example")
        codes = []
        for _ in range(3):
            codes += [a.code for a in deliver_due(ops, timeout=0.5)]
            _clock(database, "2 hours")
        assert codes == ["retry_scheduled", "retry_scheduled", "delivery_dead"]
        assert deliver_due(ops, timeout=0.5) == []
    assert len(receiver.received) == 3
    dead = ops.list_webhook_deliveries(state="dead")
    assert [(d.webhook, d.attempts, d.last_status) for d in dead] == [("broken", 3, 500)]
    assert [(w.name, w.dead) for w in ops.list_webhooks()] == [("broken", 1)]


def test_subscriptions_take_types_start_now_and_fan_out_each_event_once(tenant) -> None:
    database, ops, name = tenant
    with database.connect() as admin:
        agent = Client(connection=psycopg.connect(database.client_dsn, autocommit=True),
                       token=make_principal(admin, tenant=name).token)
    try:
        assert agent.acquire_lock("before.py").ok  # before the subscription: not delivered
        with Receiver([]) as receiver:
            added = ops.add_webhook("leases", receiver.url, ["lease.taken"])
            assert added.code == "added" and len(added.details["secret"]) == 64  # generated, shown once
            assert ops.add_webhook("leases", receiver.url).code == "webhook_exists"
            assert agent.acquire_lock("after.py").ok
            sent = deliver_due(ops, timeout=5)
            assert [a.code for a in sent] == ["delivered"]
            assert json.loads(receiver.received[0][1])["target_id"] == "after.py"
            assert verify_signature(added.details["secret"], receiver.received[0][1],
                                    receiver.received[0][0]["x-coord-signature"])
            assert deliver_due(ops, timeout=5) == []
        for bad in ({"name": "Bad Name", "url": receiver.url}, {"name": "x", "url": "ftp://x"},
                    {"name": "x", "url": receiver.url, "event_types": ["nope"]},
                    {"name": "x", "url": receiver.url, "secret": "short"},
                    {"name": "x", "url": receiver.url, "max_attempts": 0}):
            with pytest.raises(errors.CoordError) as caught:
                ops.add_webhook(**bad)
            assert caught.value.code in ("CO652", "CO650")
        assert ops.remove_webhook("leases").code == "removed"
        with pytest.raises(errors.CoordError) as caught:
            ops.remove_webhook("leases")
        assert caught.value.code == "CO653"
        # Agents neither manage nor deliver webhooks.
        assert agent.call("events_head")  # they may read the stream, though
        for call in (lambda: agent.add_webhook("x", receiver.url), agent.claim_webhook_deliveries):
            with pytest.raises(errors.PermissionDenied):
                call()
    finally:
        agent.connection.close()


def test_a_stale_claim_cannot_report(tenant) -> None:
    database, ops, name = tenant
    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    assert ops.add_webhook("h", "http://127.0.0.1:9/none", ["alert.raised"], SECRET).ok
    _raise_alert(database, name, "b.example")
    claimed = ops.claim_webhook_deliveries(lease="5 seconds").details["deliveries"]
    assert len(claimed) == 1
    _clock(database, "6 seconds")  # the claim ran out: another deliverer takes it
    again = ops.claim_webhook_deliveries().details["deliveries"]
    assert [d["delivery_id"] for d in again] == [claimed[0]["delivery_id"]] and again[0]["attempt"] == 2
    stale = ops.report_webhook_delivery(claimed[0]["delivery_id"], claimed[0]["claim"], True, 200)
    assert stale.code == "stale_delivery_claim"
    assert ops.report_webhook_delivery(again[0]["delivery_id"], again[0]["claim"], True, 204).code == "delivered"


def test_the_database_signature_is_hmac_sha256(db: psycopg.Connection) -> None:
    cases = ((b"k", b""), (b"x" * 64, b"body"), (b"y" * 200, "é ünïcode".encode()), (SECRET.encode(), b"{}"))
    for key, message in cases:
        ours = db.execute("select encode(coord.hmac_sha256(%s, %s), 'hex')", (key, message)).fetchone()[0]
        assert ours == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_cli_events_webhooks_and_notify(tenant) -> None:
    """coord events (a page, --json lines, --list-types agreeing with coord.event_types), coord
    webhooks add/list/deliveries/remove, coord notify delivering to a local receiver."""
    from tests.test_audit_query import coord

    database, ops, name = tenant
    dsn = ["--dsn", database.client_dsn, "--token", ops.token]
    with database.connect() as admin:
        agent = Client(connection=psycopg.connect(database.client_dsn, autocommit=True),
                       token=make_principal(admin, tenant=name).token)
        known = sorted({r[0] for r in admin.execute("select event_type from coord.event_types")})
    try:
        listed_types = coord("events", "--list-types", *dsn)
        assert listed_types.stdout.split() == known
        with Receiver([]) as receiver:
            added = coord("webhooks", "add", "cli-hook", receiver.url, "--types", "lease.*", "--secret", SECRET,
                          *dsn, "--json")
            assert added.exit_code == 0 and json.loads(added.stdout)["code"] == "added", added.stdout
            assert agent.acquire_lock("cli.py").ok
            lines = coord("events", "--after", "0", "--types", "lease.taken", *dsn, "--json").stdout.splitlines()
            assert [json.loads(line)["target_id"] for line in lines] == ["cli.py"]
            table = coord("events", "--after", "0", *dsn)
            assert table.exit_code == 0 and "cli.py" in table.stdout  # a table (narrow in the test terminal)
            bad = coord("events", "--types", "nope", *dsn)
            assert bad.exit_code != 0 and "CO650" in bad.stderr
            sent = coord("notify", "--timeout", "5", *dsn, "--json")
            assert sent.exit_code == 0, sent.stderr
            assert [a["code"] for a in json.loads(sent.stdout)["attempts"]] == ["delivered"]
            assert json.loads(receiver.received[0][1])["target_id"] == "cli.py"
        hooks = json.loads(coord("webhooks", "list", *dsn, "--json").stdout)
        assert [(h["name"], h["delivered"]) for h in hooks] == [("cli-hook", 1)]
        deliveries = json.loads(coord("webhooks", "deliveries", "--state", "delivered", *dsn, "--json").stdout)
        assert [d["event_type"] for d in deliveries] == ["lease.taken"]
        assert coord("webhooks", "remove", "cli-hook", *dsn).exit_code == 0
    finally:
        agent.connection.close()


def test_coord_maintain_delivers_every_tenants_webhooks(tenant) -> None:
    database, ops, name = tenant
    from coordinator.webhooks import deliver_all

    assert ops.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
    with Receiver([503, 200]) as receiver:
        assert ops.add_webhook("sys", receiver.url, ["alert.raised"], SECRET).ok
        _raise_alert(database, name, "c.example")
        first = deliver_all(database.admin_dsn, timeout=5)
        assert [(a.status, a.code) for a in first[name]] == [(503, "retry_scheduled")]
        _clock(database, "11 seconds")
        assert [a.code for a in deliver_all(database.admin_dsn, timeout=5)[name]] == ["delivered"]
    assert len({h["idempotency-key"] for h, _ in receiver.received}) == 1
    with database.connect() as admin:
        actors = admin.execute("select actor_type::text, decision from audit.events where action = 'webhook.deliver' "
                               "order by id").fetchall()
    assert actors == [("system", "retry_scheduled"), ("system", "delivered")]


def test_one_tenants_hanging_receivers_do_not_hold_back_another_tenants_delivery(tenant) -> None:
    """coord maintain's run is shared in the database (coord.claim_webhook_round): tenant A's
    twelve deliveries to a receiver that hangs get at most per_tenant_per_run (10) of the run, and
    A's lane POSTs them one at a time while tenant B's one delivery goes out beside them. B's
    receiver releases A's: had B waited behind A (one tenant after the other), A's first POST
    would have run into its timeout instead, and all twelve would have been attempted."""
    database, ops, name = tenant
    from coordinator.webhooks import deliver_all

    other = f"zz-{uuid.uuid4().hex[:8]}"  # sorts after A: one tenant after the other served A first
    with database.connect() as admin:
        b_ops = Client(connection=psycopg.connect(database.client_dsn, autocommit=True),
                       token=make_principal(admin, tenant=other, role="operator").token)
        admin.execute("update coord.tenants set webhook_private_targets = true where name = %s", (other,))
        assert admin.execute("select per_tenant_per_run, parallel_tenants from coord.webhook_policy").fetchone() == (
            10, 8)
    try:
        with Receiver(["hang"] * 12) as slow, Receiver([200]) as fine:
            original = fine.server.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

            def release_a(handler: http.server.BaseHTTPRequestHandler) -> None:
                original(handler)
                slow.release.set()

            fine.server.RequestHandlerClass.do_POST = release_a  # type: ignore[attr-defined]
            for client, tenant_name, receiver, hooks in ((ops, name, slow, 12), (b_ops, other, fine, 1)):
                assert client.add_alert_rule("every-denial", "network.check", ["denied"], 1, "1 hour", "critical").ok
                for i in range(hooks):
                    assert client.add_webhook(f"h{i}", receiver.url, ["alert.raised"], SECRET, 5).ok
                _raise_alert(database, tenant_name, "e.example")
            done = deliver_all(database.admin_dsn, timeout=5)
        assert [a.code for a in done[other]] == ["delivered"]
        assert len(done[name]) == 10 and {a.code for a in done[name]} == {"retry_scheduled"}
        assert not any((a.error or "").startswith("timed out") for a in done[name]), done[name]
        assert len({a.webhook for a in done[name]}) == 10  # round-robin: ten webhooks, one each
        with database.connect() as admin:
            left = admin.execute("select count(*) from coord.webhook_deliveries as d join coord.tenants as n "
                                 "on n.id = d.tenant_id where n.name = %s and d.attempts = 0", (name,)).fetchone()
        assert left == (2,)  # the next run's share
    finally:
        b_ops.connection.close()


def test_a_claim_takes_the_tenants_webhooks_round_robin(tenant) -> None:
    """One subscription whose receiver fails piles up due retries older than anything else: a
    claim took the oldest due first, so those retries filled every batch and the tenant's other
    subscription waited. Now each webhook's oldest due one comes first, then each one's second."""
    database, ops, name = tenant
    assert ops.add_webhook("noisy", "https://noisy.example/hook", ["alert.raised"], SECRET).ok
    assert ops.add_webhook("quiet", "https://quiet.example/hook", ["alert.raised"], SECRET).ok
    with database.connect() as admin:
        admin.execute("""
            insert into coord.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, idempotency_key, body,
                                                  signature, next_attempt_at, attempts, created_at)
            select w.tenant_id, w.id, e, 'alert.raised', gen_random_uuid(), '{}', 'x',
                   coord.now() - case w.name when 'noisy' then interval '1 hour' - e * interval '1 second'
                                             else interval '0 seconds' end,
                   case w.name when 'noisy' then 1 else 0 end, coord.now()
            from coord.webhooks as w join coord.tenants as n on n.id = w.tenant_id,
                 generate_series(1, case w.name when 'noisy' then 5 else 1 end) as e
            where n.name = %s""", (name,))
        claimed = admin.execute("select (coord.claim_webhook_deliveries(n.id, 2, '1 minute')).details -> 'deliveries' "
                                "from coord.tenants as n where n.name = %s", (name,)).fetchone()[0]
    assert [(d["webhook"], d["event_id"]) for d in claimed] == [("noisy", 1), ("quiet", 1)]
