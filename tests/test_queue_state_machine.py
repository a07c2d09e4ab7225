"""The work queue, sessions and leases under a Hypothesis state machine: four agents, each on
its own real connection and in its own sessions (which die when the clock outruns their
heartbeats, leaving zombie processes that keep calling with their old session and claims),
submit, claim (one or a batch, also racing on threads), renew, complete, fail, cancel, lock,
heartbeat, restart and sweep. After every step the database itself is checked:

* at most one live claim per task, and claim tokens only grow;
* a completion succeeds exactly when the caller held the live claim (checked against the
  database just before the call), and a task completes at most once;
* no lost task: every submitted task exists exactly once, in one state;
* dependency counters equal the number of unfinished prerequisites, and no queued task waits
  on a failed, cancelled or dead one;
* no two live leases of different holders (principal and session) overlap unless both are
  shared, with directory prefixes; lease fences only grow;
* a claimed task holds every lease it declared;
* no agent holds more live leases than its profile's max_locks, nor a lease that outlives now +
  its max_lock_ttl (a1 and a3 act under a tight profile), and an agent whose token lacks
  locks:write (a4) holds none, whichever way leases are taken (acquire, claims of tasks that
  declare them, batch claims) or extended (renewals, heartbeats).

At least 10,000 steps (calls that reached the database) run per CI run; COORD_QUEUE_STEPS
raises it (bin/bench soak).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

import psycopg
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from coordinator.client import Client
from coordinator.results import ClaimResult
from tests.conftest import Database
from tests.state_machines import machine_clients, race, run_until_reached

AGENTS = ("a0", "a1", "a2", "a3", "a4")
SESSIONLESS = "a3"  # calls without a session: its leases and claims end only by their own expiry
TIGHT = ("a1", "a3")  # act under a profile with max_locks and max_lock_ttl
TIGHT_PROFILE = {"max_locks": 2, "max_lock_ttl": "1 minute"}
NO_LOCKS = "a4"  # its token may claim and keep a session, not take leases
SCOPES = {NO_LOCKS: ["tasks:*", "sessions:*"]}
KINDS = ("build", "test")
PATHS = ("src/", "src/app.py", "src/lib/", "src/lib/util.py", "docs/", "docs/a.md")
STEPS = int(os.environ.get("COORD_QUEUE_STEPS", "10000"))

OVERLAPPING_LEASES = """
select a.path, b.path
from coord.locks a
join coord.locks b on a.tenant_id = b.tenant_id and a.id < b.id
  and (a.holder_id, a.session_id) is distinct from (b.holder_id, b.session_id)
where a.expires_at > coord.now() and b.expires_at > coord.now()
  and (a.mode = 'exclusive' or b.mode = 'exclusive')
  and not exists (select from coord.sessions s where s.id in (a.session_id, b.session_id)
                  and (s.ended_at is not null or s.expires_at <= coord.now()))
  and (rtrim(a.path, '/') = rtrim(b.path, '/')
       or (right(a.path, 1) = '/' and starts_with(b.path, a.path))
       or (right(b.path, 1) = '/' and starts_with(a.path, b.path)))
"""
COUNTER_MISMATCHES = """
select t.id, t.pending_deps,
       (select count(*) from coord.task_dependencies d join coord.tasks p on p.id = d.depends_on_id
        where d.task_id = t.id and p.state <> 'completed')
from coord.tasks t
where t.state = 'queued'
  and t.pending_deps <> (select count(*) from coord.task_dependencies d join coord.tasks p on p.id = d.depends_on_id
                         where d.task_id = t.id and p.state <> 'completed')
"""
ORPHANED_DEPENDENTS = """
select t.id from coord.tasks t
join coord.task_dependencies d on d.task_id = t.id
join coord.tasks p on p.id = d.depends_on_id
where t.state = 'queued' and p.state in ('failed', 'cancelled', 'dead')
"""
MISSING_TASK_LEASES = """
select t.id, path from coord.tasks t, unnest(t.lock_paths) as path
where t.state = 'claimed' and t.lease_expires_at > coord.now()
  and not exists (select from coord.locks l where l.task_id = t.id and l.path = path
                  and l.holder_id = t.claimed_by and l.session_id is not distinct from t.claimed_session_id)
"""
LEASES_OVER_LIMIT = """
select p.name, count(*), f.max_locks
from coord.locks l
join coord.principals p on p.id = l.holder_id
join coord.tenants n on n.id = p.tenant_id
join coord.profiles f on f.id = coalesce(p.profile_id, n.default_profile_id)
where l.expires_at > coord.now()
group by p.name, f.max_locks
having count(*) > f.max_locks
"""
LEASES_PAST_TTL = """
select p.name, l.path, l.expires_at - coord.now(), f.max_lock_ttl
from coord.locks l
join coord.principals p on p.id = l.holder_id
join coord.tenants n on n.id = p.tenant_id
join coord.profiles f on f.id = coalesce(p.profile_id, n.default_profile_id)
where l.expires_at - coord.now() > f.max_lock_ttl
"""
PRE_COMPLETE = """
select t.state::text, t.claim, t.lease_expires_at > coord.now(),
       s.ended_at is null and s.expires_at > coord.now()
from coord.tasks t left join coord.sessions s on s.id = t.claimed_session_id
where t.id = %s
"""


@dataclass(frozen=True)
class Belief:
    task_id: int
    claim: int
    session_id: uuid.UUID | None


@dataclass
class World:
    clients: dict[str, Client]
    admin: psycopg.Connection
    steps: int = 0
    submitted: list[int] = field(default_factory=list)
    beliefs: dict[str, list[Belief]] = field(default_factory=dict)
    max_claim: dict[int, int] = field(default_factory=dict)
    max_fence: dict[str, int] = field(default_factory=dict)
    completions: dict[int, int] = field(default_factory=dict)


class QueueMachine(RuleBasedStateMachine):
    world: World

    @initialize()
    def reset(self) -> None:
        w = self.world
        for table in ("coord.handoffs", "coord.locks", "coord.tasks", "coord.sessions"):
            w.admin.execute(f"delete from {table}")
        w.admin.execute("update coord.clock set offset_by = interval '0'")
        self.audit_mark = w.admin.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]
        w.submitted.clear()
        w.max_claim.clear()
        w.max_fence.clear()
        w.completions.clear()
        for agent, client in w.clients.items():
            w.beliefs[agent] = []
            client.session_id = None  # its session row was deleted above
            self._start(agent)

    # --- helpers ---------------------------------------------------------------------------

    def _start(self, agent: str) -> None:
        if agent != SESSIONLESS:
            assert self.world.clients[agent].start_session(ttl="30 seconds").ok

    def _step(self) -> None:
        self.world.steps += 1

    def _note_claim(self, agent: str, client: Client, claim: ClaimResult) -> None:
        assert claim.task_id is not None and claim.claim is not None
        assert claim.claim > self.world.max_claim.get(claim.task_id, 0), "claim tokens must grow"
        self.world.max_claim[claim.task_id] = claim.claim
        self.world.beliefs[agent].append(Belief(claim.task_id, claim.claim, client.session_id))
        for path, fence in (claim.locks or {}).items():
            assert fence >= self.world.max_fence.get(path, 0)
            self.world.max_fence[path] = fence

    def _as(self, agent: str, belief: Belief) -> Client:
        """The process that made the claim acts, with the session it had (maybe a zombie)."""
        client = self.world.clients[agent]
        client.session_id = belief.session_id
        return client

    # --- rules -------------------------------------------------------------------------------

    @rule(agent=st.sampled_from(AGENTS), kind=st.sampled_from(KINDS), priority=st.integers(-2, 2),
          deps=st.lists(st.integers(0, 10_000), max_size=1), locks=st.lists(st.sampled_from(PATHS), max_size=1),
          attempts=st.integers(1, 3))
    def submit(self, agent: str, kind: str, priority: int, deps: list[int], locks: list[str], attempts: int) -> None:
        self._step()
        w = self.world
        # Depend only on tasks that can still complete (others are a CO419 error by design).
        open_tasks = [r[0] for r in w.admin.execute(
            "select id from coord.tasks where state in ('queued', 'claimed', 'completed') order by id")]
        depends_on = sorted({open_tasks[d % len(open_tasks)] for d in deps}) if open_tasks else []
        result = w.clients[agent].submit_task(kind, {"n": len(w.submitted)}, priority=priority,
                                              depends_on=depends_on, locks=locks, max_attempts=attempts)
        assert result.code == "submitted" and result.task_id is not None
        w.submitted.append(result.task_id)

    @rule(agent=st.sampled_from(AGENTS), kinds=st.sampled_from([["build"], ["test"], ["build", "test"]]),
          limit=st.integers(1, 4), lease=st.sampled_from(["5 seconds", "20 seconds", "2 minutes"]))
    def claim(self, agent: str, kinds: list[str], limit: int, lease: str) -> None:
        self._step()
        client = self.world.clients[agent]
        claims = client.claim_tasks(kinds, lease=lease, limit=limit)
        if claims[0].ok:
            assert len(claims) <= limit
            for c in claims:
                self._note_claim(agent, client, c)
        else:
            # denied / at_limit: the ready tasks declare leases the agent may not take (its
            # token or profile), and they stay queued for the others.
            refusals = {"denied", "at_limit"} if agent in (*TIGHT, NO_LOCKS) else set()
            assert len(claims) == 1 and claims[0].code in {"empty", "session_ended", *refusals}, claims[0]
            if claims[0].code == "session_ended":  # the process notices and starts over
                self._start(agent)

    @rule(agents=st.lists(st.sampled_from(AGENTS), min_size=2, max_size=4, unique=True))
    def race_claims(self, agents: list[str]) -> None:
        self._step()
        results: dict[str, ClaimResult] = race(self.world.clients, [
            (a, lambda c: c.claim_task(list(KINDS), lease="1 minute")) for a in agents])
        claimed = [r.task_id for r in results.values() if r.ok]
        assert len(claimed) == len(set(claimed)), "two agents claimed the same task"
        for agent, result in sorted(results.items(), key=lambda item: item[1].claim or 0):
            if result.ok:
                self._note_claim(agent, self.world.clients[agent], result)

    @rule(agent=st.sampled_from(AGENTS), pick=st.integers(0, 10_000),
          outcome=st.sampled_from(["complete", "fail", "fail_final", "renew"]))
    def act_on_claim(self, agent: str, pick: int, outcome: str) -> None:
        """The agent acts on one of the claims it believes it holds (draws never depend on them)."""
        w = self.world
        if not w.beliefs[agent]:
            return
        self._step()
        belief = w.beliefs[agent][pick % len(w.beliefs[agent])]
        current_session = w.clients[agent].session_id
        state, claim, lease_live, session_live = w.admin.execute(PRE_COMPLETE, (belief.task_id,)).fetchone()
        live = state == "claimed" and claim == belief.claim and lease_live and session_live is not False
        client = self._as(agent, belief)
        try:
            if outcome == "complete":
                if state == "completed" and claim == belief.claim:
                    return  # completing twice is an error by design (CO412), tested elsewhere
                result = client.complete_task(belief.task_id, belief.claim, {"by": agent})
                if result.ok:
                    w.completions[belief.task_id] = w.completions.get(belief.task_id, 0) + 1
            elif outcome == "renew":
                result = client.renew_task(belief.task_id, belief.claim, "30 seconds")
            else:
                result = client.fail_task(belief.task_id, belief.claim, "boom", retryable=outcome == "fail")
        finally:
            client.session_id = current_session
        assert result.ok == bool(live), f"{outcome}: {result.code} but live={live} ({state}, {claim}, {belief})"
        if not result.ok:
            assert result.code in ("stale_claim", "expired", "session_ended")
        if outcome != "renew" or not result.ok:
            w.beliefs[agent].remove(belief)

    @rule(agent=st.sampled_from(AGENTS), pick=st.integers(0, 10_000))
    def cancel(self, agent: str, pick: int) -> None:
        if not self.world.submitted:
            return
        self._step()
        task_id = self.world.submitted[pick % len(self.world.submitted)]
        result = self.world.clients[agent].cancel_task(task_id)
        assert result.code in ("cancelled", "denied", "already_finished")

    @rule(agent=st.sampled_from(AGENTS), path=st.sampled_from(PATHS), mode=st.sampled_from(["exclusive", "shared"]))
    def lock(self, agent: str, path: str, mode: str) -> None:
        self._step()
        result = self.world.clients[agent].acquire_lock(path, ttl="20 seconds", mode=mode)
        if agent == NO_LOCKS:
            assert result.code == "denied"
            return
        limited = {"at_limit"} if agent in TIGHT else set()
        assert result.code in {"granted", "renewed", "busy", "session_ended", *limited}
        if result.code == "session_ended":
            self._start(agent)

    @rule(agent=st.sampled_from(AGENTS), pick=st.integers(0, 10_000))
    def release(self, agent: str, pick: int) -> None:
        """The agent (the process of whichever session took it) releases one of its leases."""
        held = self.world.admin.execute(
            "select l.path, l.fence, l.session_id from coord.locks l join coord.principals p on p.id = l.holder_id "
            "where p.name = %s and l.task_id is null order by l.fence", (agent,)).fetchall()
        if not held:
            return
        self._step()
        path, fence, session_id = held[pick % len(held)]
        client = self.world.clients[agent]
        current_session, client.session_id = client.session_id, session_id
        try:
            result = client.release_lock(path, fence)
        finally:
            client.session_id = current_session
        assert result.code in ("released", "expired", "not_held", "stale_fence")
        if result.code == "granted":
            assert result.fence > self.world.max_fence.get(path, 0), "fences must grow"
            self.world.max_fence[path] = result.fence

    @rule(agent=st.sampled_from(AGENTS))
    def heartbeat(self, agent: str) -> None:
        self._step()
        if agent != SESSIONLESS:
            assert self.world.clients[agent].heartbeat().code in ("alive", "session_ended")

    @rule(agent=st.sampled_from(AGENTS))
    def restart(self, agent: str) -> None:
        """A new process of the agent starts a new session; the old one may live on as a zombie."""
        self._step()
        self._start(agent)

    @rule(seconds=st.sampled_from([1, 2, 5, 10, 35]))
    def advance_clock(self, seconds: int) -> None:
        self._step()
        self.world.admin.execute("update coord.clock set offset_by = offset_by + %s * interval '1 second'",
                                 (seconds,))

    @rule()
    def sweep(self) -> None:
        self._step()
        tenant = self.world.admin.execute("select id from coord.tenants where name = 'queue-machine'").fetchone()[0]
        self.world.admin.execute("select coord.sweep(%s, 100, true)", (tenant,))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def database_invariants(self) -> None:
        admin = self.world.admin
        with admin.transaction():
            rows = admin.execute("select id, state::text, claim from coord.tasks").fetchall()
            assert sorted(r[0] for r in rows) == sorted(self.world.submitted), "a task was lost or duplicated"
            claimed = [r for r in rows if r[1] == "claimed"]
            assert all(r[2] is not None for r in claimed)
            assert len({r[2] for r in claimed}) == len(claimed), "two live claims share a token"
            completions = dict(admin.execute(
                "select target_id::bigint, count(*) from audit.events where id > %s and action = 'task.completed' "
                "group by 1", (self.audit_mark,)).fetchall())
            assert all(n == 1 for n in completions.values()), "a task completed twice"
            assert completions == {t: n for t, n in self.world.completions.items()}
            assert admin.execute(COUNTER_MISMATCHES).fetchall() == []
            assert admin.execute(ORPHANED_DEPENDENTS).fetchall() == []
            assert admin.execute(OVERLAPPING_LEASES).fetchall() == []
            assert admin.execute(MISSING_TASK_LEASES).fetchall() == []
            assert admin.execute(LEASES_OVER_LIMIT).fetchall() == []
            assert admin.execute(LEASES_PAST_TTL).fetchall() == []
            assert admin.execute("select count(*) from coord.locks l join coord.principals p on p.id = l.holder_id "
                                 "where p.name = %s", (NO_LOCKS,)).fetchone()[0] == 0


def test_queue_invariants_hold_under_concurrent_agents_and_dying_sessions(committed_db: Database) -> None:
    cast = {name: {"scopes": SCOPES.get(name)} for name in AGENTS} | {"boss": {"role": "operator"}}
    with machine_clients(committed_db, "queue-machine", cast) as (admin, clients):
        boss = clients.pop("boss")
        assert boss.create_profile("tight", 2, TIGHT_PROFILE).ok
        for name in TIGHT:
            assert boss.assign_profile(name, "tight").ok
        boss.close()
        world = World(clients, admin)
        QueueMachine.world = world
        run_until_reached(QueueMachine, lambda: world.steps, STEPS, max_examples=25, step_count=50)
        assert world.steps >= STEPS
        # The runs reached every outcome the invariants speak about.
        reached = {r[0] for r in admin.execute(
            "select distinct action from audit.events where action like 'task.%' or action like 'session.%'")}
        assert {"task.claimed", "task.completed", "task.failed", "task.cancelled", "session.expire"} <= reached, reached
        assert reached & {"task.expired", "task.session_lost"}, reached
