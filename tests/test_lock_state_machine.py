"""Lock invariants under a Hypothesis state machine driving four agents, each on its own real
connection, through acquire/renew/release (with live and stale fences), concurrent races, and
a moving clock. After every step the database itself is checked:

* no two live leases of different holders overlap unless both are shared;
* a release or renew succeeds only with the holder's current, unexpired fence;
* every grant's fence is larger than every fence seen before on that path;
* every call left exactly one audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from coordinator.client import Client
from coordinator.results import LockResult
from tests.conftest import Database
from tests.state_machines import machine_clients, race, run_machine

AGENTS = ("a0", "a1", "a2", "a3")
# Directories with and without their slash, a file with one: a lock covers its node and everything
# below it however it is spelled (src and src/app.py overlap).
PATHS = ("src/", "src", "src/app.py", "src/lib/", "src/lib", "src/lib/util.py", "src/lib/util.py/", "docs/",
         "docs/a.md", "README")
OVERLAP_VIOLATIONS = """
select a.path, a.mode, b.path, b.mode
from coord.locks a
join coord.locks b on a.tenant_id = b.tenant_id and a.id < b.id and a.holder_id <> b.holder_id
where a.expires_at > coord.now() and b.expires_at > coord.now()
  and (a.mode = 'exclusive' or b.mode = 'exclusive')
  and (starts_with(rtrim(a.path, '/') || '/', rtrim(b.path, '/') || '/')
       or starts_with(rtrim(b.path, '/') || '/', rtrim(a.path, '/') || '/'))
"""


@dataclass
class Lease:
    fence: int
    mode: str


@dataclass
class World:
    database: Database
    clients: dict[str, Client]
    admin: psycopg.Connection
    calls: int = 0
    max_fence: dict[str, int] = field(default_factory=dict)
    history: dict[tuple[str, str], list[int]] = field(default_factory=dict)


class LockMachine(RuleBasedStateMachine):
    world: World  # set by the test before running

    @initialize()
    def reset(self) -> None:
        admin = self.world.admin
        admin.execute("delete from coord.locks")
        admin.execute("update coord.clock set offset_by = interval '0'")
        self.world.calls = 0
        self.world.max_fence.clear()
        self.world.history.clear()
        self.audit_mark = admin.execute("select coalesce(max(id), 0) from audit.events").fetchone()[0]

    # --- helpers ---------------------------------------------------------------------------

    def _current(self, agent: str, path: str) -> tuple[int, bool] | None:
        """The agent's lease on path as the database holds it: (fence, live)."""
        row = self.world.admin.execute(
            "select l.fence, l.expires_at > coord.now() from coord.locks l "
            "join coord.principals p on p.id = l.holder_id "
            "where p.name = %s and l.path = %s", (agent, path)).fetchone()
        return (row[0], row[1]) if row else None

    def _record_grant(self, agent: str, result: LockResult) -> None:
        assert result.path is not None and result.fence is not None
        fences = self.world.history.setdefault((agent, result.path), [])
        if result.code == "granted":
            assert result.fence > self.world.max_fence.get(result.path, 0), "fences must increase per path"
            self.world.max_fence[result.path] = result.fence
        else:
            assert result.code == "renewed" and fences and result.fence == fences[-1]
        fences.append(result.fence)

    def _fence_to_present(self, agent: str, path: str, stale: bool, data: st.DataObject) -> int:
        known = self.world.history.get((agent, path), [])
        # Draw an index, not a fence: fence values come from a database sequence and differ
        # between runs, and Hypothesis needs draws that do not depend on external state.
        pick = data.draw(st.integers(0, 10_000))
        if stale:
            others = [f for (_a, p), fs in self.world.history.items() if p == path for f in fs]
            candidates = sorted(set(known[:-1] + others + [1]))
            return candidates[pick % len(candidates)]
        return known[-1] if known else 1 + pick % 50

    # --- rules -------------------------------------------------------------------------------

    @rule(agent=st.sampled_from(AGENTS), path=st.sampled_from(PATHS), mode=st.sampled_from(["exclusive", "shared"]),
          minutes=st.sampled_from([1, 5, 30]))
    def acquire(self, agent: str, path: str, mode: str, minutes: int) -> None:
        result = self.world.clients[agent].acquire_lock(path, ttl=f"{minutes} minutes", mode=mode)
        self.world.calls += 1
        assert result.code in ("granted", "renewed", "busy")
        if result.ok:
            self._record_grant(agent, result)
        else:
            assert result.holder_name in AGENTS and result.holder_name != agent

    @rule(agent=st.sampled_from(AGENTS), path=st.sampled_from(PATHS), stale=st.booleans(), renew=st.booleans(),
          data=st.data())
    def release_or_renew(self, agent: str, path: str, stale: bool, renew: bool, data: st.DataObject) -> None:
        fence = self._fence_to_present(agent, path, stale, data)
        before = self._current(agent, path)
        client = self.world.clients[agent]
        result = client.renew_lock(path, fence, "10 minutes") if renew else client.release_lock(path, fence)
        self.world.calls += 1
        if result.ok:
            assert before is not None and before == (fence, True), \
                f"{result.code} with fence {fence} but the database held {before}"
            if renew:
                self.world.history[(agent, path)].append(fence)
        else:
            assert result.code in ("stale_fence", "not_held", "expired")
            assert before is None or before[0] != fence or not before[1]

    @rule(agents=st.lists(st.sampled_from(AGENTS), min_size=2, max_size=4, unique=True),
          paths=st.lists(st.sampled_from(PATHS), min_size=4, max_size=4),
          modes=st.lists(st.sampled_from(["exclusive", "shared"]), min_size=4, max_size=4))
    def race(self, agents: list[str], paths: list[str], modes: list[str]) -> None:
        results: dict[str, LockResult] = race(self.world.clients, [
            (a, lambda c, path=paths[i], mode=modes[i]: c.acquire_lock(path, mode=mode)) for i, a in enumerate(agents)])
        self.world.calls += len(agents)
        for agent, result in sorted(results.items(), key=lambda item: item[1].fence or 0):
            if result.ok:
                self._record_grant(agent, result)

    @rule(minutes=st.sampled_from([1, 4, 11, 31]))
    def advance_clock(self, minutes: int) -> None:
        self.world.admin.execute("update coord.clock set offset_by = offset_by + %s * interval '1 minute'", (minutes,))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def no_conflicting_live_leases(self) -> None:
        assert self.world.admin.execute(OVERLAP_VIOLATIONS).fetchall() == []

    @invariant()
    def every_call_is_audited_once(self) -> None:
        events = self.world.admin.execute(
            "select count(*) from audit.events where id > %s and action in ('lock.acquire', 'lock.release', "
            "'lock.renew')", (self.audit_mark,)).fetchone()[0]
        assert events == self.world.calls


def test_lock_invariants_hold_under_concurrent_agents(committed_db: Database) -> None:
    with machine_clients(committed_db, "machine", {name: {} for name in AGENTS}) as (admin, clients):
        LockMachine.world = World(committed_db, clients, admin)
        run_machine(LockMachine, max_examples=40, step_count=40)
