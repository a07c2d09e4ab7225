"""Hand-written tricky cases of the two-sided message allowlist, written before the
implementation and kept apart from the generated property test (tests/test_messages_property.py)
as a held-back set: each states the decision the rules in docs/messages.md imply.

Teams are profiles (as for shared memories): an agent is in exactly one team, its own profile
or the tenant's default one, so "a sender in two teams" is written as a sender matched by an
agent rule and a team rule at once, and by the default profile it never chose."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import make_principal


class Tenant:
    def __init__(self, db: psycopg.Connection, name: str) -> None:
        self.db = db
        self.name = name
        operator = make_principal(db, f"op-{name}", tenant=name, role="operator")
        self.operator = Client(connection=db, token=operator.token)
        self.agents: dict[str, Client] = {}

    def agent(self, name: str, team: str | None = None) -> Client:
        self.agents[name] = Client(connection=self.db, token=make_principal(self.db, name, tenant=self.name).token)
        if team is not None:
            self.team(name, team)
        return self.agents[name]

    def team(self, agent: str, team: str) -> None:
        if not self.db.execute("select 1 from coord.profiles p join coord.tenants t on t.id = p.tenant_id "
                               "where t.name = %s and p.name = %s", (self.name, team)).fetchone():
            assert self.operator.call("create_profile", {"p_name": team, "p_trust_level": 2})[0]["ok"]
        assert self.operator.call("assign_profile", {"p_agent": agent, "p_profile": team})[0]["ok"]

    def default(self, action: str) -> None:
        assert self.operator.call("set_message_default", {"p_action": action})[0]["ok"]

    def rule(self, action: str, source: str, target: str, side: str = "both") -> int:
        row = self.operator.call(f"{action}_messages", {"p_sender": source, "p_recipient": target, "p_side": side})[0]
        assert row["ok"], row
        return int(row["details"]["rule_id"])


def send(client: Client, to: str, body: str = "hello", **kw: Any) -> dict[str, Any]:
    return client.call("send_message", {"p_to": to, "p_body": body, **{f"p_{k}": v for k, v in kw.items()}})[0]


def skipped(row: dict[str, Any]) -> dict[str, str]:
    return {s["recipient"]: s["side"] for s in row["details"].get("skipped", [])}


def inbox(client: Client) -> list[str]:
    return [m["body"] for m in client.call("inbox", {"p_unread": True})]


@pytest.fixture
def t(db: psycopg.Connection) -> Tenant:
    return Tenant(db, "tricky")


def test_deny_on_recipient_team_beats_allow_for_sender_agent(t: Tenant) -> None:
    a, _b = t.agent("a"), t.agent("b", team="quiet")
    t.default("deny")
    t.rule("allow", "agent:a", "agent:b")
    t.rule("deny", "agent:a", "team:quiet", side="receive")
    row = send(a, "b")
    assert (row["ok"], row["code"]) == (False, "refused") and skipped(row) == {"b": "receive"}
    assert inbox(t.agents["b"]) == []


def test_allow_on_the_send_side_only_is_not_enough(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")
    t.default("deny")
    t.rule("allow", "a", "b", side="send")
    row = send(a, "b")
    assert row["code"] == "refused" and skipped(row) == {"b": "receive"}
    assert inbox(b) == []


def test_allow_on_the_receive_side_only_is_not_enough(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")
    t.default("deny")
    t.rule("allow", "a", "b", side="receive")
    row = send(a, "b")
    assert row["code"] == "refused" and skipped(row) == {"b": "send"}
    assert inbox(b) == []


def test_a_rule_has_a_direction(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")
    t.default("deny")
    t.rule("allow", "a", "b")
    assert send(a, "b", "ping")["code"] == "sent"
    assert inbox(b) == ["ping"]
    assert send(b, "a", "pong")["code"] == "refused"
    assert inbox(a) == []


def test_sender_matched_by_agent_rule_and_team_rule_deny_wins(t: Tenant) -> None:
    a, _b = t.agent("a", team="builders"), t.agent("b")
    t.default("allow")
    t.rule("allow", "agent:a", "agent:b")
    t.rule("deny", "team:builders", "*", side="send")
    row = send(a, "b")
    assert row["code"] == "refused" and skipped(row) == {"b": "send"}


def test_the_default_profile_is_a_team_for_agents_without_one(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")  # no profile of their own: the tenant default (standard)
    t.default("deny")
    t.rule("allow", "team:standard", "team:standard")
    assert send(a, "b")["code"] == "sent"
    t.team("b", "elsewhere")  # b leaves the default team: the rule no longer reaches it
    assert send(a, "b")["code"] == "refused"
    assert inbox(b) == ["hello"]


def test_broadcast_with_one_recipient_refusing(t: Tenant) -> None:
    a, b, c = t.agent("a"), t.agent("b"), t.agent("c")
    t.default("allow")
    t.rule("deny", "*", "agent:c", side="receive")
    row = send(a, "*", "all hands")
    assert (row["ok"], row["code"]) == (True, "sent")
    assert row["details"]["delivered"] == ["b"] and skipped(row) == {"c": "receive"}
    assert inbox(b) == ["all hands"] and inbox(c) == [] and inbox(a) == []  # never to oneself


def test_broadcast_nobody_accepts_is_a_refusal_that_stores_nothing(t: Tenant, db: psycopg.Connection) -> None:
    a, _b, _c = t.agent("a"), t.agent("b"), t.agent("c")
    t.default("deny")
    row = send(a, "*")
    assert (row["ok"], row["code"]) == (False, "refused") and skipped(row) == {"b": "send", "c": "send"}
    assert db.execute("select count(*) from coord.messages").fetchone()[0] == 0
    audit = db.execute("select decision from audit.events where action = 'message.send'").fetchall()
    assert [r[0] for r in audit] == ["refused"]


def test_tenant_wide_deny_beats_every_allow(t: Tenant) -> None:
    a, _b = t.agent("a"), t.agent("b")
    t.default("allow")
    t.rule("allow", "a", "b")
    t.rule("deny", "*", "*", side="send")
    assert skipped(send(a, "b")) == {"b": "send"}


def test_allow_anyone_to_one_agent_does_not_let_it_answer(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")
    t.default("deny")
    t.rule("allow", "*", "agent:b")
    first = send(a, "b", "question")
    assert first["code"] == "sent"
    answer = send(b, "a", "answer", reply_to=first["details"]["message_id"])
    assert answer["code"] == "refused" and skipped(answer) == {"a": "send"}


def test_team_address_skips_the_sender_and_reports_the_refusing_member(t: Tenant) -> None:
    a, b, c = t.agent("a", team="crew"), t.agent("b", team="crew"), t.agent("c", team="crew")
    t.default("allow")
    t.rule("deny", "agent:a", "agent:c", side="receive")
    row = send(a, "team:crew", "standup")
    assert row["code"] == "sent" and row["details"]["delivered"] == ["b"] and skipped(row) == {"c": "receive"}
    assert inbox(b) == ["standup"] and inbox(c) == [] and inbox(a) == []


def test_removing_the_deny_lets_the_next_message_through(t: Tenant) -> None:
    a, b = t.agent("a"), t.agent("b")
    t.default("allow")
    rule = t.rule("deny", "a", "b")
    assert send(a, "b")["code"] == "refused"
    assert t.operator.call("remove_message_rule", {"p_rule_id": rule})[0]["code"] == "removed"
    assert send(a, "b")["code"] == "sent" and inbox(b) == ["hello"]


def test_reply_to_a_message_the_sender_cannot_see_is_an_error_that_writes_nothing(
        t: Tenant, db: psycopg.Connection) -> None:
    a, b, c = t.agent("a"), t.agent("b"), t.agent("c")
    t.default("allow")
    private = send(a, "b", "between us")["details"]["message_id"]
    before = db.execute("select count(*) from coord.messages").fetchone()[0]
    with pytest.raises(CoordError) as caught:
        send(c, "a", "I read it", reply_to=private)
    assert caught.value.code == "CO712"
    assert db.execute("select count(*) from coord.messages").fetchone()[0] == before
    assert inbox(a) == [] and len(inbox(b)) == 1


def test_reply_to_a_message_of_another_tenant_is_unknown(t: Tenant, db: psycopg.Connection) -> None:
    other = Tenant(db, "tricky-other")
    x, _y = other.agent("x"), other.agent("y")
    other.default("allow")
    theirs = send(x, "y")["details"]["message_id"]
    a, _b = t.agent("a"), t.agent("b")
    t.default("allow")
    with pytest.raises(CoordError) as caught:
        send(a, "b", reply_to=theirs)
    assert caught.value.code == "CO712"
    with pytest.raises(CoordError) as caught:
        send(a, "x")  # a name of another tenant is no principal of this one
    assert caught.value.code == "CO302"


def test_operator_is_held_to_the_allowlist_too(t: Tenant) -> None:
    _a = t.agent("a")
    t.default("deny")
    row = send(t.operator, "a", "do this")
    assert row["code"] == "refused" and skipped(row) == {"a": "send"}
    t.rule("allow", "op-tricky", "a")
    assert send(t.operator, "a", "do this")["code"] == "sent"
