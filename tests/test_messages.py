"""Messages: send (agent, team, broadcast), inbox, ack, threads, size limits (errors that write
nothing), the gate (scope, role, trust), the operators' rules, the audit trail, the session
context, the CLI, and a waiting recipient woken by a send over real connections. The allowlist's
decisions themselves: tests/test_messages_tricky.py and tests/test_messages_property.py."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, in_thread, make_principal, wait_for_backend

TENANT = "msgs"


def _client(db: psycopg.Connection, name: str, role: str = "agent", **kw: object) -> Client:
    return Client(connection=db, token=make_principal(db, name, tenant=TENANT, role=role, **kw).token)  # type: ignore[arg-type]


@pytest.fixture
def op(db: psycopg.Connection) -> Client:
    operator = _client(db, "op", "operator")
    assert operator.set_message_default("allow").ok
    return operator


def _count(db: psycopg.Connection, table: str) -> int:
    return db.execute(f"select count(*) from coord.{table}").fetchone()[0]  # type: ignore[index]  # test-owned names


def test_send_inbox_ack_and_thread(db: psycopg.Connection, op: Client) -> None:
    a, b = _client(db, "a"), _client(db, "b")
    sent = a.send_message("b", "the build is green", subject="ci")
    assert (sent.ok, sent.code) == (True, "sent") and sent.details["delivered"] == ["b"]
    assert sent.details["skipped"] == [] and sent.details["thread_id"] == sent.details["message_id"]
    [message] = b.inbox()
    assert (message.sender, message.sent_to, message.subject, message.body, message.read_at) == (
        "a", "b", "ci", "the build is green", None)
    reply = b.send_message("a", "thanks", reply_to=message.message_id)
    assert reply.details["thread_id"] == message.thread_id
    follow = a.send_message("b", "one more", thread=message.thread_id)
    assert follow.details["thread_id"] == message.thread_id

    acked = b.ack_messages([message.message_id, message.message_id, 2**62])
    assert acked.code == "acked" and acked.details == {"acked": [message.message_id], "already_acked": [],
                                                       "unknown": [2**62]}
    assert b.ack_messages([message.message_id]).details["already_acked"] == [message.message_id]
    assert [m.body for m in b.inbox()] == ["one more"]
    assert [m.body for m in b.inbox(False)] == ["the build is green", "one more"]
    assert [m.body for m in b.get_thread(message.thread_id)] == ["the build is green", "thanks", "one more"]
    [thread] = b.list_threads()
    assert (thread.thread_id, thread.subject, thread.started_by, thread.messages, thread.unread) == (
        message.thread_id, "ci", "a", 3, 1)
    # Someone outside the thread sees none of it.
    c = _client(db, "c")
    with pytest.raises(CoordError) as caught:
        c.get_thread(message.thread_id)
    assert caught.value.code == "CO712"
    assert c.list_threads() == [] and c.inbox(False) == []


def test_reply_to_outside_the_given_thread_is_an_error(db: psycopg.Connection, op: Client) -> None:
    a, _b = _client(db, "a"), _client(db, "b")
    first = a.send_message("b", "one").details["message_id"]
    second = a.send_message("b", "two").details["message_id"]
    with pytest.raises(CoordError) as caught:
        a.send_message("b", "three", thread=first, reply_to=second)
    assert caught.value.code == "CO712"


@pytest.mark.parametrize(("arguments", "code"), [
    ({"p_to": "b", "p_body": ""}, "CO711"),
    ({"p_to": "b", "p_body": "   "}, "CO711"),
    ({"p_to": "b", "p_body": "x" * 10001}, "CO711"),
    ({"p_to": "b", "p_body": None}, "CO711"),
    ({"p_to": "b", "p_body": "x", "p_subject": ""}, "CO713"),
    ({"p_to": "b", "p_body": "x", "p_subject": "s" * 201}, "CO713"),
    ({"p_to": "b", "p_body": "x", "p_subject": "tab\there"}, "CO713"),
    ({"p_to": "", "p_body": "x"}, "CO710"),
    ({"p_to": None, "p_body": "x"}, "CO710"),
    ({"p_to": "agent:no such", "p_body": "x"}, "CO710"),
    ({"p_to": "nobody", "p_body": "x"}, "CO302"),
    ({"p_to": "team:nobody", "p_body": "x"}, "CO462"),
    ({"p_to": "b", "p_body": "x", "p_reply_to": 2**62}, "CO712"),
    ({"p_to": "b", "p_body": "x", "p_thread": 2**62}, "CO712"),
])
def test_malformed_sends_are_errors_that_write_nothing(db: psycopg.Connection, op: Client, arguments: dict[str, object],
                                                        code: str) -> None:
    a, _b = _client(db, "a"), _client(db, "b")
    before = (_count(db, "messages"), _count(db, "message_deliveries"),
              db.execute("select count(*) from audit.events").fetchone())
    with pytest.raises(CoordError) as caught:
        a.call("send_message", arguments)
    assert caught.value.code == code and caught.value.hint
    assert (_count(db, "messages"), _count(db, "message_deliveries"),
            db.execute("select count(*) from audit.events").fetchone()) == before


def test_size_limits_are_inclusive(db: psycopg.Connection, op: Client) -> None:
    a, b = _client(db, "a"), _client(db, "b")
    assert a.send_message("b", "x" * 10000, subject="s" * 200).code == "sent"
    assert len(b.inbox()[0].body) == 10000


@pytest.mark.parametrize(("ids", "code"), [([], "CO716"), ([1, None], "CO716"), (list(range(1, 1002)), "CO716")])
def test_malformed_acks_are_errors(db: psycopg.Connection, op: Client, ids: list[int | None], code: str) -> None:
    with pytest.raises(CoordError) as caught:
        _client(db, "a").call("ack_messages", {"p_message_ids": ids})
    assert caught.value.code == code


def test_send_is_audited_without_the_text(db: psycopg.Connection, op: Client) -> None:
    a, _b, c = _client(db, "a"), _client(db, "b"), _client(db, "c")
    assert op.deny_messages("*", "c", side="receive").ok
    sent = a.send_message("*", "secret plans", subject="hush")
    assert sent.details["delivered"] == ["b"] and [s["recipient"] for s in sent.details["skipped"]] == ["c"]
    [(decision, target, details)] = db.execute(
        "select decision, target_id, details from audit.events where action = 'message.send'").fetchall()
    assert (decision, target) == ("sent", str(sent.details["message_id"]))
    assert details["recipients"] == ["b"] and details["skipped"][0]["recipient"] == "c"
    assert details["skipped"][0]["side"] == "receive" and details["characters"] == len("secret plans")
    assert "secret plans" not in json.dumps(details) and "hush" not in json.dumps(details)
    c.ack_messages([1])
    assert db.execute("select decision from audit.events where action = 'message.ack'").fetchone() == ("acked",)


def test_the_gate_comes_first(db: psycopg.Connection, op: Client) -> None:
    _b = _client(db, "b")
    reader = _client(db, "reader", scopes=["messages:read"])
    refused = reader.send_message("b", "hi")
    assert (refused.code, refused.details["rule"]) == ("denied", "scope.missing")
    assert _count(db, "messages") == 0
    # Rules are operator actions: agents, whatever their trust, may not even call them; auditors
    # may not send.
    agent = _client(db, "boss")
    for call in (lambda: agent.allow_messages("*", "*"), agent.list_message_rules):
        with pytest.raises(CoordError) as caught:
            call()
        assert caught.value.code == "42501"  # not granted to agents
    with pytest.raises(CoordError) as caught:
        _client(db, "aud", "auditor").send_message("b", "hi")
    assert caught.value.code == "42501"  # not even granted
    # A suspended agent (trust 0) reads nothing but its own state.
    assert op.create_profile("frozen", 0).ok and op.assign_profile("boss", "frozen").ok
    assert agent.send_message("b", "hi").details["rule"] == "trust.suspended"


def test_rules_list_remove_and_default(db: psycopg.Connection, op: Client) -> None:
    _a, _b = _client(db, "a"), _client(db, "b")
    assert op.create_profile("crew", 2).ok
    added = op.allow_messages("a", "team:crew", side="send", reason="standups")
    assert added.code == "added"
    again = op.allow_messages("agent:a", "team:crew", side="send")
    assert (again.code, again.details["rule_id"]) == ("unchanged", added.details["rule_id"])
    denied = op.deny_messages("*", "b")
    rules = op.list_message_rules()
    assert [(r.rule_id, r.action, r.side, r.from_party, r.to_party) for r in rules] == [
        (denied.details["rule_id"], "deny", "both", "*", "b"),
        (added.details["rule_id"], "allow", "send", "a", "team:crew"),
        (None, "allow", "both", "*", "*")]
    assert op.set_message_default("allow").code == "unchanged"
    assert op.set_message_default("deny").details["previous"] == "allow"
    assert op.remove_message_rule(denied.details["rule_id"]).code == "removed"
    with pytest.raises(CoordError) as caught:
        op.remove_message_rule(denied.details["rule_id"])
    assert caught.value.code == "CO715"
    for bad in ({"p_sender": "*", "p_recipient": "*", "p_side": "up"}, {"p_sender": "a b", "p_recipient": "*"},
                {"p_sender": "*", "p_recipient": ""}):
        with pytest.raises(CoordError) as caught:
            op.call("allow_messages", bad)
        assert caught.value.code == "CO714"
    actions = [r[0] for r in db.execute("select action from audit.events where action like 'message.%' "
                                        "order by id").fetchall()]
    assert actions.count("message.rule_add") == 3 and "message.rule_remove" in actions
    assert "message.default" in actions


def test_check_message_route_is_the_send_decision(db: psycopg.Connection, op: Client) -> None:
    a, _b, _c = _client(db, "a"), _client(db, "b"), _client(db, "c")
    rule = op.deny_messages("a", "c", side="receive").details["rule_id"]
    route = {r.recipient: (r.allowed, r.side, r.rule_id, r.send_action, r.receive_action)
             for r in op.check_message_route("a", "*")}
    assert route == {"b": (True, None, None, "allow", "allow"), "c": (False, "receive", rule, "allow", "deny")}
    assert [s["rule_id"] for s in a.send_message("*", "x").details["skipped"]] == [rule]


def test_disabled_recipients_and_empty_teams(db: psycopg.Connection, op: Client) -> None:
    a, _b = _client(db, "a"), _client(db, "b")
    db.execute("update coord.principals set disabled_at = now() where name = 'b'")
    direct = a.send_message("b", "x")
    assert direct.code == "refused" and direct.details["skipped"] == [
        {"recipient": "b", "reason": "the recipient is disabled"}]
    assert a.send_message("*", "x").code == "no_recipients"
    assert op.create_profile("empty", 2).ok
    assert a.send_message("team:empty", "x").code == "no_recipients"


def test_session_context_has_the_unread_messages(db: psycopg.Connection, op: Client) -> None:
    a, b = _client(db, "a"), _client(db, "b")
    ids = [a.send_message("b", f"note {i}").details["message_id"] for i in range(3)]
    b.ack_messages([ids[0]])
    context = b.session_context(messages=1)
    assert context["messages"]["unread"] == 2
    assert [m["body"] for m in context["messages"]["latest"]] == ["note 2"]
    assert context["messages"]["latest"][0]["sender"] == "a"
    with pytest.raises(CoordError) as caught:
        b.session_context(messages=101)
    assert caught.value.code == "CO224"


def test_messages_never_cross_tenants(db: psycopg.Connection, op: Client) -> None:
    a, _b = _client(db, "a"), _client(db, "b")
    other = Client(connection=db, token=make_principal(db, "x", tenant="msgs-other").token)
    mine = a.send_message("b", "ours").details["message_id"]
    assert other.inbox(False) == [] and other.list_threads() == []
    for call in (lambda: other.get_thread(mine), lambda: other.send_message("b", "hi"),
                 lambda: other.send_message("x", "hi", reply_to=mine)):
        with pytest.raises(CoordError) as caught:
            call()
        assert caught.value.code in ("CO712", "CO302")
    assert other.ack_messages([mine]).details["unknown"] == [mine]


# --- a waiting recipient is woken by a send (real connections, committed) ------------------------

def test_a_waiting_recipient_is_woken_by_a_send(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        operator = make_principal(conn, "op", tenant=TENANT, role="operator")
        sender_p, waiter_p = make_principal(conn, "a", tenant=TENANT), make_principal(conn, "b", tenant=TENANT)
    with Client(committed_db.client_dsn, operator.token) as op:
        assert op.set_message_default("allow").ok
    waiter = Client(committed_db.client_dsn, waiter_p.token)
    sender = Client(committed_db.client_dsn, sender_p.token)
    try:
        pid = waiter.connection.info.backend_pid
        thread, out = in_thread(lambda: waiter.wait_for_messages(wait=60))
        # Idle and holding the watch key: it watches (and LISTENs, then waits for a notification).
        wait_for_backend(committed_db, pid, "state = 'idle' and exists (select from pg_locks as l "
                                            "where l.pid = pg_stat_activity.pid and l.locktype = 'advisory' "
                                            "and l.granted)")
        sent = sender.send_message("b", "wake up")
        assert sent.code == "sent"
        thread.join(timeout=60)
        assert not thread.is_alive() and "error" not in out, out
        assert [m.body for m in out["result"]] == ["wake up"]  # type: ignore[union-attr]
        # The notification carried the message id and nothing else.
        with committed_db.connect() as conn:
            assert conn.execute("select count(*) from audit.events where action = 'message.watch'").fetchone() == (1,)
    finally:
        waiter.close()
        sender.close()


def test_nobody_watching_costs_no_notify(committed_db: Database) -> None:
    """Without a watcher the send takes the tenant's watch key and sends nothing; a watcher
    arriving while it is open waits for its commit, so its next read sees the message."""
    with committed_db.connect() as conn:
        operator = make_principal(conn, "op", tenant=TENANT, role="operator")
        a, b = make_principal(conn, "a", tenant=TENANT), make_principal(conn, "b", tenant=TENANT)
        Client(connection=conn, token=operator.token).set_message_default("allow")
    listener = psycopg.connect(committed_db.admin_dsn, autocommit=True)
    sender_conn = psycopg.connect(committed_db.client_dsn, autocommit=False)
    watcher = Client(committed_db.client_dsn, b.token)
    try:
        channel = listener.execute("select coord.inbox_channel(p.tenant_id, p.id) from coord.principals p "
                                   "where p.name = 'b' and p.tenant_id = %s", (b.tenant_id,)).fetchone()[0]
        listener.execute(f'listen "{channel}"')  # test-owned channel name
        sender = Client(connection=sender_conn, token=a.token)
        assert sender.send_message("b", "unwatched").code == "sent"  # open transaction: holds the key
        woken = threading.Event()
        thread, out = in_thread(lambda: (watcher.watch_inbox(), woken.set(), watcher.inbox())[2])
        wait_for_backend(committed_db, watcher.connection.info.backend_pid, "wait_event_type = 'Lock'")
        assert not woken.is_set()
        sender_conn.commit()
        thread.join(timeout=60)
        assert [m.body for m in out["result"]] == ["unwatched"]  # type: ignore[union-attr]
        assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # nothing was announced
        # Now someone watches: the next send announces its id on the recipient's channel.
        sent = Client(committed_db.client_dsn, a.token)
        mid = sent.send_message("b", "watched").details["message_id"]
        sent.close()
        [notice] = list(listener.notifies(timeout=10, stop_after=1))
        assert (notice.channel, notice.payload) == (channel, str(mid))
    finally:
        watcher.close()
        sender_conn.close()
        listener.close()


# --- the CLI ---------------------------------------------------------------------------------------

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": ""}


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, "COLUMNS": "200"}, catch_exceptions=False)


def test_cli_send_inbox_ack_thread_and_rules(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        dsn = ["--dsn", committed_db.client_dsn]
        op = ["--token", make_principal(conn, "op", tenant=TENANT, role="operator").token, *dsn]
        a = ["--token", make_principal(conn, "a", tenant=TENANT).token, *dsn]
        b = ["--token", make_principal(conn, "b", tenant=TENANT).token, *dsn]
    refused = coord("messages", "send", "b", "hello", *a, "--json")
    assert refused.exit_code == 1 and json.loads(refused.stdout)["code"] == "refused"
    assert coord("messages", "allow", "a", "b", "--reason", "pairing", *op).exit_code == 0
    rules = json.loads(coord("messages", "rules", *op, "--json").stdout)
    assert [(r["action"], r["from_party"], r["to_party"]) for r in rules] == [("allow", "a", "b"), ("deny", "*", "*")]
    check = coord("messages", "check", "a", "b", *op)
    assert check.exit_code == 0 and "allow" in check.stdout
    sent = json.loads(coord("messages", "send", "b", "hello", "--subject", "hi", *a, "--json").stdout)
    assert sent["code"] == "sent"
    table = coord("messages", "inbox", *b)
    assert table.exit_code == 0 and "hello" in table.stdout
    waited = json.loads(coord("messages", "inbox", "--wait", "1", *b, "--json").stdout)
    assert [m["body"] for m in waited] == ["hello"]
    assert coord("messages", "ack", str(sent["details"]["message_id"]), *b).exit_code == 0
    assert json.loads(coord("messages", "inbox", *b, "--json").stdout) == []
    threads = json.loads(coord("messages", "thread", *b, "--json").stdout)
    assert [t["thread_id"] for t in threads] == [sent["details"]["thread_id"]]
    assert "hello" in coord("messages", "thread", str(sent["details"]["thread_id"]), *a).stdout
    bad = coord("messages", "send", "b", "", *a)
    assert bad.exit_code == 65
    assert coord("messages", "deny", "*", "b", "--side", "receive", *op).exit_code == 0
    assert coord("messages", "default", "allow", *op).exit_code == 0
    assert coord("messages", "remove", "1", *op).exit_code == 0
    assert coord("messages", "--help").exit_code == 0
