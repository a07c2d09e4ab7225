"""The message allowlist against a reference model: Hypothesis generates a tenant default, team
assignments and a set of allow/deny rules (agent, team or anyone on either end; side send,
receive or both), then every agent broadcasts, and the database's delivered and skipped
recipients (with the refusing side and rule) must equal what the model below decides.

The model is the rule as docs/messages.md states it: each side is decided alone by the rules
of that side (both counts for each); a matching deny wins, else a matching allow, else the
tenant default; a message passes when both sides allow; a refusal names the send side first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.client import Client
from tests.conftest import make_principal

TENANT = "msgprop"
AGENTS = ("a0", "a1", "a2", "a3", "a4")
TEAMS = ("standard", "t1", "t2")  # standard: the tenant default profile
PARTIES = ("*", *(f"agent:{a}" for a in AGENTS), *(f"team:{t}" for t in TEAMS))


@dataclass(frozen=True)
class Rule:
    action: str
    side: str
    source: str
    target: str


def _matches(party: str, agent: str, team: str) -> bool:
    return party == "*" or party == f"agent:{agent}" or party == f"team:{team}"


def model_side(rules: list[tuple[int, Rule]], default: str, side: str, sender: str, recipient: str,
               teams: dict[str, str]) -> tuple[bool, int | None]:
    """(allowed, the refusing rule id or None) of one side."""
    matching = [(rid, r) for rid, r in rules if r.side in (side, "both")
                and _matches(r.source, sender, teams[sender]) and _matches(r.target, recipient, teams[recipient])]
    denies = sorted(rid for rid, r in matching if r.action == "deny")
    if denies:
        return False, denies[0]
    if any(r.action == "allow" for _, r in matching):
        return True, None
    return default == "allow", None


def model(rules: list[tuple[int, Rule]], default: str, sender: str, teams: dict[str, str]) -> dict[str, Any]:
    """recipient -> None when delivered, else (side, rule_id)."""
    out: dict[str, Any] = {}
    for recipient in AGENTS:
        if recipient == sender:
            continue
        send_ok, send_rule = model_side(rules, default, "send", sender, recipient, teams)
        receive_ok, receive_rule = model_side(rules, default, "receive", sender, recipient, teams)
        out[recipient] = (None if send_ok and receive_ok
                          else ("send", send_rule) if not send_ok else ("receive", receive_rule))
    return out


rules_strategy = st.lists(st.builds(Rule, st.sampled_from(("allow", "deny")),
                                    st.sampled_from(("send", "receive", "both")),
                                    st.sampled_from(PARTIES), st.sampled_from(PARTIES)), max_size=8)


class World:
    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db
        self.operator = Client(connection=db, token=make_principal(db, "op", tenant=TENANT, role="operator").token)
        self.agents = {a: Client(connection=db, token=make_principal(db, a, tenant=TENANT).token) for a in AGENTS}
        for team in TEAMS[1:]:
            assert self.operator.call("create_profile", {"p_name": team, "p_trust_level": 2})[0]["ok"]


_world: list[World] = []  # built once per test run (Hypothesis calls the test once per example)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(default=st.sampled_from(("allow", "deny")),
       teams=st.fixed_dictionaries({a: st.sampled_from(TEAMS) for a in AGENTS}),
       rules=rules_strategy)
def test_broadcast_decisions_equal_the_reference_model(db: psycopg.Connection, default: str, teams: dict[str, str],
                                                       rules: list[Rule]) -> None:
    if not _world or _world[0].db is not db:
        _world[:] = [World(db)]
    world = _world[0]
    with db.transaction():  # a savepoint per example
        op = world.operator
        assert op.call("set_message_default", {"p_action": default})[0]["ok"]
        for agent, team in teams.items():
            assert op.call("assign_profile", {"p_agent": agent, "p_profile": team})[0]["ok"]
        stored: list[tuple[int, Rule]] = []
        for r in rules:
            row = op.call(f"{r.action}_messages", {"p_sender": r.source, "p_recipient": r.target, "p_side": r.side})[0]
            assert row["ok"], row
            stored.append((row["details"]["rule_id"], r))
        for sender, client in world.agents.items():
            row = client.call("send_message", {"p_to": "*", "p_body": f"from {sender}"})[0]
            got = {s["recipient"]: (s["side"], s.get("rule_id")) for s in row["details"]["skipped"]}
            got.update({name: None for name in row["details"].get("delivered", [])})
            expected = model(stored, default, sender, teams)
            assert got == expected, (sender, default, teams, rules, row)
            assert row["code"] == ("sent" if any(v is None for v in expected.values()) else "refused")
            # The operators' dry run decides the same, recipient by recipient.
            dry = op.call("check_message_route", {"p_sender": sender, "p_recipient": "*"})
            assert {d["recipient"]: None if d["allowed"] else (d["side"], d["rule_id"]) for d in dry} == expected
        raise psycopg.Rollback()
