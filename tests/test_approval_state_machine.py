"""Approval requests under a Hypothesis state machine on real connections: requesters ask (and
repeat their calls, with and without p_approval, also with grants of others and for other
operations), two approvers race to decide the same request on concurrent connections, a trust-4
agent approves others' requests and tries its own, requesters cancel, an auto-approval policy
comes and goes, and the sweeper runs over a moving test clock. After every step the database
itself is checked:

* no transition out of a terminal state, and every state reached by a legal path;
* every transition audited, in order (the audit trail replays each request's path);
* an approval used at most once, and only by its requester for its own operation hash;
* nobody approved or denied a request of a principal it acts for (coord.acts_for; the requester
  itself only cancels);
* at most one pending request per requester, operation hash and target.

Each use of a grant is also predicted from the request as the database held it just before the
call. COORD_APPROVAL_STEPS raises the number of steps.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from coordinator.client import Client
from tests.conftest import Database
from tests.state_machines import WorldMachine, approval_clients, race, run_until_reached

REQUESTERS = ("r0", "r1", "boss")  # boss is the trust-4 agent: it asks too, and may not approve itself
APPROVERS = ("op1", "op2", "boss")
# make release ... needs approval for everyone (a critical needs_approval rule: no trust overrides
# it); npm publish ... for agents below trust 3.
OPERATIONS = ("make release", "make release beta", "npm publish", "npm publish --tag next")
STEPS = int(os.environ.get("COORD_APPROVAL_STEPS", "400"))
TERMINAL = {"denied", "expired", "cancelled", "used"}
LEGAL = {"pending": {"approved", "denied", "expired", "cancelled", "used"}, "approved": {"used", "expired"}}
STATES = ("pending", "approved", "denied", "expired", "cancelled", "used")

PRE_USE = """
select r.state, r.requester_id = p.id, r.operation_hash = coord.operation_hash(jsonb_build_object('kind', 'command',
       'text', %(text)s::text)), r.expires_at > coord.now()
from coord.approval_requests r, coord.principals p
where r.id = %(id)s and p.name = %(agent)s and p.tenant_id = r.tenant_id
"""
FOREIGN_USES = """
select e.id, r.id
from audit.events e
join coord.approval_requests r on r.id = (e.details ->> 'approval_id')::bigint
where e.action = 'guardrail.check' and e.decision = 'allowed' and e.details ? 'approval_id'
  and (e.actor_id is distinct from r.requester_id
       or coord.operation_hash(jsonb_build_object('kind', e.target_id, 'text', e.details ->> 'text'))
          <> r.operation_hash)
"""
USES = """
select r.id, r.state,
       (select count(*) from audit.events e where e.target_type = 'approval' and e.target_id = r.id::text
          and e.action = 'approval.use' and e.decision = 'used'),
       (select count(*) from audit.events g where g.action = 'guardrail.check' and g.decision = 'allowed'
          and g.details ->> 'approval_id' = r.id::text)
from coord.approval_requests r
"""
SELF_DECIDED = """
select id from coord.approval_requests
where state in ('approved', 'denied', 'used') and coord.acts_for(decided_by, requester_id)
"""
DUPLICATE_PENDING = """
select requester_id, operation_hash, target_type, target_id from coord.approval_requests
where state = 'pending' group by 1, 2, 3, 4 having count(*) > 1
"""
TRANSITIONS = """
select e.target_id::bigint, e.decision from audit.events e
where e.target_type = 'approval' and e.decision = any(%s) and e.id > %s
order by e.id
"""


@dataclass
class World:
    clients: dict[str, Client]
    admin: psycopg.Connection
    steps: int = 0
    ids: list[int] = field(default_factory=list)
    seen: dict[int, str] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)


class ApprovalMachine(WorldMachine):
    world: World

    @initialize()
    def reset(self) -> None:
        self._reset("coord.approval_requests", "coord.approval_policies")

    # --- rules -------------------------------------------------------------------------------

    @rule(agent=st.sampled_from(REQUESTERS), op=st.sampled_from(OPERATIONS))
    def ask(self, agent: str, op: str) -> None:
        self._step()
        before = set(self.world.ids)
        decision = self.world.clients[agent].check_operation("command", op)
        if decision.code == "needs_approval":
            assert decision.approval_id is not None
            if decision.approval_id not in before:
                self.world.ids.append(decision.approval_id)
        elif decision.approval_id is not None:  # a policy approved it, and the call used it at once
            assert decision.code == "allowed", decision
            if decision.approval_id not in before:
                self.world.ids.append(decision.approval_id)
        else:
            assert decision.code == "allowed" and (agent == "boss" and op.startswith("npm")), decision

    @rule(agent=st.sampled_from(REQUESTERS), op=st.sampled_from(OPERATIONS), pick=st.integers(0, 10_000))
    def use(self, agent: str, op: str, pick: int) -> None:
        """Repeat a call with some grant: its own, another's, for this operation or another."""
        approval = self._pick(pick)
        if approval is None:
            return
        self._step()
        w = self.world
        state, own, same_op, live = w.admin.execute(PRE_USE, {"id": approval, "agent": agent, "text": op}).fetchone()
        decision = w.clients[agent].check_operation("command", op, approval)
        if agent == "boss" and op.startswith("npm"):  # trust 4 needs no approval for it: the grant is left alone
            assert decision.code == "allowed" and decision.approval_id is None, decision
            return
        if not (own and same_op):
            expected = "approval_mismatch"
        elif state == "used":
            expected = "approval_used"
        elif state == "approved" and live:
            expected = "allowed"
        else:
            expected = "approval_not_granted"
        assert decision.code == expected, (decision, state, own, same_op, live)
        assert decision.approval_id == approval

    @rule(approvers=st.lists(st.sampled_from(APPROVERS), min_size=2, max_size=2, unique=True),
          verbs=st.lists(st.sampled_from(["approve", "deny"]), min_size=2, max_size=2), pick=st.integers(0, 10_000))
    def race_decisions(self, approvers: list[str], verbs: list[str], pick: int) -> None:
        """Two approvers decide the same request at once, each on its own connection."""
        approval = self._pick(pick)
        if approval is None:
            return
        self._step()
        def decide(approver: str, verb: str) -> Callable[[Client], Any]:
            return lambda c: (c.approve_request if verb == "approve" else c.deny_request)(
                approval, f"{approver} says {verb}")

        results = race(self.world.clients, [(a, decide(a, v)) for a, v in zip(approvers, verbs, strict=True)])
        won = [a for a, r in results.items() if r.code in ("approved", "rejected")]
        assert len(won) <= 1, results
        for result in results.values():
            assert result.code in ("approved", "rejected", "not_pending", "self_approval"), result
            self.world.reached.add(result.code)

    @rule(agent=st.sampled_from(REQUESTERS), pick=st.integers(0, 10_000))
    def cancel(self, agent: str, pick: int) -> None:
        approval = self._pick(pick)
        if approval is None:
            return
        self._step()
        owner = self.world.admin.execute(
            "select p.name from coord.approval_requests r join coord.principals p on p.id = r.requester_id "
            "where r.id = %s", (approval,)).fetchone()[0]
        if owner != agent and agent != "boss":
            return  # another agent's request is not even visible to it (CO464)
        result = self.world.clients[agent].cancel_approval(approval)
        assert result.code in (("cancelled", "not_pending") if owner == agent else ("not_requester",)), result

    @rule(on=st.booleans())
    def policy(self, on: bool) -> None:
        """An auto-approval policy for publishing; never covers make release (another scope)."""
        self._step()
        op1 = self.world.clients["op1"]
        exists = bool(op1.list_approval_policies())
        if on and not exists:
            assert op1.add_approval_policy("publish", ["guardrail:deployment"], kinds=["command"],
                                           rules=["publish-package"]).ok
        elif not on and exists:
            assert op1.remove_approval_policy("publish").ok

    @rule(by=st.sampled_from(["10 minutes", "50 minutes", "2 hours"]), sweep=st.booleans())
    def time_passes(self, by: str, sweep: bool) -> None:
        self._time_passes(by, sweep)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def states_move_only_forward(self) -> None:
        self._states_move_only_forward("select id, state from coord.approval_requests", "pending", TERMINAL, LEGAL)

    @invariant()
    def every_transition_is_audited_in_order(self) -> None:
        w = self.world
        paths: dict[int, list[str]] = {}
        for approval, decision in w.admin.execute(TRANSITIONS, (list(STATES), self.audit_mark)):
            paths.setdefault(approval, []).append(decision)
        states = dict(w.admin.execute("select id, state from coord.approval_requests").fetchall())
        assert set(paths) == set(states), (paths, states)
        for approval, path in paths.items():
            assert path[0] == "pending", (approval, path)
            for a, b in itertools.pairwise(path):
                assert b in LEGAL.get(a, set()), (approval, path)
            assert path[-1] == states[approval], (approval, path, states[approval])

    @invariant()
    def a_grant_is_used_once_by_its_requester_for_its_operation(self) -> None:
        w = self.world
        assert w.admin.execute(FOREIGN_USES).fetchall() == []
        for approval, state, used_events, allowed_checks in w.admin.execute(USES):
            assert used_events == (1 if state == "used" else 0), (approval, state, used_events)
            assert allowed_checks == used_events, (approval, allowed_checks, used_events)

    @invariant()
    def nobody_decides_for_itself_and_nothing_piles_up(self) -> None:
        assert self.world.admin.execute(SELF_DECIDED).fetchall() == []
        assert self.world.admin.execute(DUPLICATE_PENDING).fetchall() == []


def test_approval_invariants_hold_under_racing_approvers_and_a_moving_clock(committed_db: Database) -> None:
    with approval_clients(committed_db, "approval-machine") as (admin, clients):
        assert clients["op1"].add_guardrail("release-always-asks", "deployment", "command", "critical",
                                            pattern=r"^make release\y", mode="needs_approval").ok
        world = World(clients, admin)
        ApprovalMachine.world = world
        wanted = frozenset({"pending", "approved", "denied", "expired", "used", "not_pending", "self_approval"})
        run_until_reached(ApprovalMachine, lambda: world.steps, STEPS, max_examples=10, step_count=40,
                          wanted=wanted, reached=lambda: world.reached)
        assert wanted <= world.reached, world.reached
