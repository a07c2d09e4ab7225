"""coord eval: scripted multi-agent scenarios with ablation switches (docs/evaluation.md).

Every agent is its own principal on its own connection, calling the ``api`` through the Python
client as any agent does; races run on threads released together by a barrier. A configuration
switches safety layers off as real configuration of its tenant, through the ``api``:

* guardrails off   every guardrail rule of the tenant disabled (set_guardrail_enabled)
* profiles off     the agents' profiles carry no limits and standard trust (create_profile)
* network off      the tenant's default profile allows every host and no rules are added

Two layers have no off switch in the database, and none is added: the product is not weakened
for a measurement. For them "off" is what a client without the layer does in the same scenario,
against the same database:

* fencing off      the agent acts on a resource without asking whether its lease or claim still
                   holds (no assert_lease, output written before complete_task), and holds claims
                   without a session or a short lease (the longest lease, as a queue without
                   expiry does), so a dead agent's work is never handed back within the scenario
* audit off        the agents keep their own log, appended after each call and flushed every few
                   calls (as the seed's "async inserts"); an agent that dies loses what it had not
                   flushed. The database still audits everything: both figures are reported.

Metrics are counts of what happened (a refusal is an answer the database gave), so they are
deterministic for a --seed; only throughput and latency vary between runs.
"""

from __future__ import annotations

import itertools
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo

from . import admin, sql
from .client import Client
from .errors import CoordError
from .eval_scenarios import Scenario, operation
from .server import EmbeddedServer, free_port

LAYERS = ("guardrails", "profiles", "audit", "network", "fencing")
# Layers whose "off" is a client without the layer rather than a setting of the tenant.
CLIENT_SIDE_OFF = ("audit", "fencing")
LOG_FLUSH_EVERY = 5  # the naive client's log buffer (audit off)
LONG_LEASE = "24 hours"  # a claim without expiry, as far as a scenario can tell (fencing off)
# The evaluation's own server does not need durable commits (as the test suite's).
FAST_OPTIONS = ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300"]
RETRY_BACKOFF = "1 minute"  # past the jittered backoff of a first retry (coord.retry_backoff: at most 1 s)


@dataclass(frozen=True)
class Config:
    name: str
    off: frozenset[str] = frozenset()

    def on(self, layer: str) -> bool:
        return layer not in self.off


def configs(names: Sequence[str] | None = None) -> list[Config]:
    """all_on and no_<layer> for each layer (or the ones named)."""
    every = [Config("all_on"), *(Config(f"no_{layer}", frozenset({layer})) for layer in LAYERS)]
    if not names:
        return every
    by_name = {c.name: c for c in every}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown configuration {', '.join(unknown)} (configurations: {', '.join(by_name)})")
    return [by_name[n] for n in names]


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    layer: str | None  # the layer whose switch should move it (None: no switch, e.g. tenancy)
    lower_is_better: bool = False  # work lost: the share lost, not the share prevented


METRICS = (
    MetricDef("conflicting_writes", "conflicting writes prevented", "fencing"),
    MetricDef("stale_writes", "stale writes refused", "fencing"),
    MetricDef("destructive", "destructive operations blocked", "guardrails"),
    MetricDef("harmless_refused", "harmless operations refused", "guardrails", lower_is_better=True),
    MetricDef("limit_violations", "limit violations stopped", "profiles"),
    MetricDef("egress", "forbidden egress refused", "network"),
    MetricDef("allowed_egress_refused", "allowed hosts refused", "network", lower_is_better=True),
    MetricDef("cross_tenant", "cross-tenant reads refused", None),
    MetricDef("audit", "audit completeness", "audit"),
    MetricDef("work_lost", "work lost after agent death", "fencing", lower_is_better=True),
)


@dataclass
class Count:
    """``hit`` of ``of``: prevented of attempted, or for lower-is-better metrics lost of at risk."""

    hit: int = 0
    of: int = 0

    def add(self, hit: int, of: int) -> None:
        self.hit += hit
        self.of += of

    @property
    def rate(self) -> float | None:
        return None if self.of == 0 else self.hit / self.of


@dataclass
class ConfigResult:
    config: Config
    metrics: dict[str, Count]
    calls: int
    seconds: float
    latencies: list[float]
    audit_db: Count
    audit_client_log: Count
    scenarios: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100)[q - 1]

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config.name, "off": sorted(self.config.off),
                "metrics": {k: {"hit": c.hit, "of": c.of, "rate": c.rate} for k, c in self.metrics.items()},
                "audit_database": {"hit": self.audit_db.hit, "of": self.audit_db.of},
                "audit_client_log": {"hit": self.audit_client_log.hit, "of": self.audit_client_log.of},
                "calls": self.calls, "seconds": round(self.seconds, 3),
                "throughput_calls_per_s": round(self.throughput, 1),
                "p50_ms": round(self.percentile(50), 2), "p99_ms": round(self.percentile(99), 2),
                "scenarios": self.scenarios}


# --- agents --------------------------------------------------------------------------------------

class Agent:
    """One simulated agent: a principal with its own connection. Every call carries an
    x-request-id (kept in the audit event's request context) and is timed."""

    def __init__(self, ctx: ConfigRun, name: str, tenant: str, role: str = "agent") -> None:
        grant = admin.add_principal(ctx.target.admin_dsn, name, tenant=tenant, role=role)
        assert grant.token is not None
        self.ctx, self.name, self.tenant = ctx, name, tenant
        self.client = Client(ctx.target.client_dsn(tenant), grant.token)
        self.alive = True
        self._buffer: list[str] = []  # the naive client's unflushed log (audit off)

    def call(self, function: str, *args: Any, effect: bool = True, **kwargs: Any) -> Any:
        """Call api.<function>. ``effect``: a mutation or decision, which the audit must hold."""
        request_id = self.ctx.next_request_id()
        self.client.extra_headers["x-request-id"] = request_id
        started = time.perf_counter()
        try:
            result = getattr(self.client, function)(*args, **kwargs)
        finally:
            self.ctx.record_latency(time.perf_counter() - started)
        if effect:
            self.ctx.expect_audit(request_id)
            self._buffer.append(request_id)
            if len(self._buffer) >= LOG_FLUSH_EVERY:
                self.flush()
        return result

    def flush(self) -> None:
        self.ctx.log(self._buffer)
        self._buffer.clear()

    def die(self) -> None:
        """The process is gone: its connection drops without ending anything; its log buffer is lost."""
        self.alive = False
        self._buffer.clear()
        self.client.close()

    def finish(self) -> None:
        if self.alive:
            self.flush()
            self.client.close()


@dataclass
class Target:
    """Where the evaluation runs: a migrated database (superuser DSN) and how agents connect:
    the gateway (authenticator) DSN when it is known, else a login bound to each tenant."""

    admin_dsn: str
    gateway_dsn: str | None = None
    logins: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client_dsn(self, tenant: str) -> str:
        if self.gateway_dsn is not None:
            return self.gateway_dsn
        with self._lock:
            if tenant not in self.logins:
                self.logins[tenant] = admin.add_login(self.admin_dsn, "eval", tenant=tenant, connection_limit=200).dsn
            return self.logins[tenant]


@contextmanager
def eval_target(admin_dsn: str | None = None, progress: Callable[[str], None] | None = None) -> Iterator[Target]:
    """A database of its own for one evaluation, dropped afterwards (it moves the test clock,
    which no database with real agents should see): a temporary embedded server, or with
    ``admin_dsn`` (a superuser DSN) a scratch database on that server."""
    say = progress or (lambda _m: None)
    if admin_dsn is None:
        parent = Path(tempfile.mkdtemp(prefix="coord-eval-"))
        parent.chmod(0o711)  # the server may run as another user
        try:
            say("starting a temporary embedded PostgreSQL")
            up = admin.up(data_dir=parent / "data", port=free_port(), server_options=FAST_OPTIONS, fast_init=True,
                          progress=say)
            yield Target(up.admin_dsn, gateway_dsn=up.dsn)
        finally:
            EmbeddedServer(parent / "data").stop()
            shutil.rmtree(parent, ignore_errors=True)
        return
    scratch = f"coord_eval_{uuid.uuid4().hex[:10]}"
    with admin.admin_connect(admin_dsn) as conn:
        conn.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(scratch)))
    scratch_dsn = make_conninfo(admin_dsn, dbname=scratch)
    target = Target(scratch_dsn)
    try:
        say(f"migrating the scratch database {scratch}")
        admin.up(admin_dsn=scratch_dsn, progress=say)
        yield target
    finally:
        for tenant in target.logins:
            admin.remove_login(scratch_dsn, "eval", tenant=tenant)
        with admin.admin_connect(admin_dsn) as conn:
            conn.execute(pgsql.SQL("drop database if exists {} with (force)").format(pgsql.Identifier(scratch)))


def parallel(agents: Sequence[Agent], fn: Callable[[Agent], Any]) -> list[Any]:
    """fn(agent) on one thread per agent, released together; results in agent order."""
    barrier = threading.Barrier(len(agents))
    results: list[Any] = [None] * len(agents)
    errors: list[BaseException] = []

    def run(i: int, agent: Agent) -> None:
        barrier.wait()
        try:
            results[i] = fn(agent)
        except BaseException as exc:  # reported by the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def conflicts(writes: Sequence[tuple[int, str]]) -> int:
    """Writes (agent, path) of one round that overlap an earlier write of another agent."""
    n = 0
    for i, (agent, path) in enumerate(writes):
        if any(other != agent and overlap(path, p) for other, p in writes[:i]):
            n += 1
    return n


# --- one configuration ---------------------------------------------------------------------------

class ConfigRun:
    def __init__(self, target: Target, config: Config, run_id: str, seed: int) -> None:
        self.target, self.config, self.run_id, self.seed = target, config, run_id, seed
        self.tenant = f"eval-{run_id}-{config.name}"
        self.other_tenant = f"{self.tenant}-other"
        self.metrics = {m.key: Count() for m in METRICS}
        self.latencies: list[float] = []
        self.expected: set[str] = set()
        self.client_log: set[str] = set()
        self.agents: list[Agent] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.operator = self.agent("operator", role="operator")

    # bookkeeping
    def next_request_id(self) -> str:
        with self._lock:
            return f"{self.tenant}-{next(self._ids)}"

    def record_latency(self, seconds: float) -> None:
        with self._lock:
            self.latencies.append(seconds * 1000)

    def expect_audit(self, request_id: str) -> None:
        with self._lock:
            self.expected.add(request_id)

    def log(self, request_ids: Sequence[str]) -> None:
        with self._lock:
            self.client_log.update(request_ids)

    def agent(self, name: str, *, tenant: str | None = None, role: str = "agent") -> Agent:
        a = Agent(self, name, tenant or self.tenant, role)
        self.agents.append(a)
        return a

    def advance_clock(self, interval: str) -> None:
        """The test clock of the evaluation's database (coord.clock), as the test suite moves it."""
        with psycopg.connect(self.target.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.EVAL_ADVANCE_CLOCK, (interval,))

    # the tenant's configuration
    def configure(self) -> None:
        network_default = "deny" if self.config.on("network") else "allow"
        ops = self.operator
        created = ops.call("create_profile", "eval-default", 2, {"network_default": network_default})
        assert created.ok, created
        assert ops.call("set_default_profile", "eval-default").ok
        if not self.config.on("guardrails"):
            for rule in ops.call("list_guardrails", effect=False):
                if rule.enabled:
                    assert ops.call("set_guardrail_enabled", rule.name, False).ok

    def scenario_agents(self, scenario: Scenario, index: int) -> list[Agent]:
        return [self.agent(f"s{index}-agent{i}") for i in range(scenario.agents)]

    def finish(self) -> tuple[Count, Count]:
        for a in self.agents:
            a.finish()
        with psycopg.connect(self.target.admin_dsn, autocommit=True) as conn:
            found = conn.execute(sql.EVAL_AUDITED_REQUESTS,
                                 ([self.tenant, self.other_tenant], sorted(self.expected))).fetchone()
        assert found is not None
        audited = Count(int(found[0]), len(self.expected))
        logged = Count(len(self.client_log & self.expected), len(self.expected))
        return audited, logged


# --- the scenario programs -----------------------------------------------------------------------

def lock_race(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    paths = list(s.params["paths"])
    fenced = run.config.on("fencing")
    for _ in range(s.params["rounds"]):
        rng.shuffle(paths)
        wants = [(i, paths[i % len(paths)]) for i in range(len(agents))]

        def attempt(agent: Agent, wants: list[tuple[int, str]] = wants) -> tuple[Any, bool]:
            path = wants[agents.index(agent)][1]
            lease = agent.call("acquire_lock", path, ttl="1 minute", reason=s.name)
            if not fenced:
                return lease, True  # a client without fencing writes whatever the answer
            return lease, bool(lease.ok and agent.call("assert_lease", path, lease.fence, effect=False).ok)

        answers = parallel(agents, attempt)
        writes = [(i, path) for (i, path), (_lease, wrote) in zip(wants, answers, strict=True) if wrote]
        possible = conflicts(wants)
        run.metrics["conflicting_writes"].add(possible - conflicts(writes), possible)
        for agent, (i, path), (lease, _wrote) in zip(agents, wants, answers, strict=True):
            del i
            if lease.ok:
                agent.call("release_lock", path, lease.fence)


def task_race(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    """Agents race for one queue, in rounds until it is empty. With fencing each works on what
    claim_task gave it and writes its output only when complete_task accepts the claim; a client
    without it works on the head of the queue as it saw it (list_tasks, all agents looking at
    once) and writes before asking, so every agent of a round writes the same task. A round
    could see one conflicting write per agent but one, in either mode."""
    kind = f"race-{run.next_request_id()}"
    for i in range(s.params["tasks"]):
        agents[i % len(agents)].call("submit_task", kind, {"n": i})
    fenced = run.config.on("fencing")
    written: list[int] = []
    lock = threading.Lock()

    def write(task_id: int) -> None:
        with lock:
            written.append(task_id)

    def claimed(agent: Agent) -> bool:
        claim = agent.call("claim_task", [kind], lease="1 minute")
        if not claim.ok:
            return False
        if agent.call("complete_task", claim.task_id, claim.claim, {"by": agent.name}).ok and fenced:
            write(claim.task_id)
        return True

    def head(agent: Agent) -> int | None:
        queued = agent.call("list_tasks", effect=False, state="queued", kind=kind, limit=1000)
        return queued[-1].task_id if queued else None  # the oldest: what a claim takes first

    possible = duplicates = 0
    while True:
        before = len(written)
        if not fenced:
            seen = parallel(agents, head)  # every agent looks before any claims
            if all(t is None for t in seen):
                break
            for t in seen:
                if t is not None:
                    write(t)  # the output is written before anything is asked
        if not any(parallel(agents, claimed)) and fenced:
            break
        possible += len(agents) - 1
        this_round = written[before:]
        duplicates += len(this_round) - len(set(this_round))
    run.metrics["conflicting_writes"].add(possible - duplicates, possible)


def stale_fence(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    fenced = run.config.on("fencing")
    order = list(range(len(agents)))
    rng.shuffle(order)
    for k in range(len(agents) - 1):
        holder, taker = agents[order[k]], agents[order[k + 1]]
        if s.params["resource"] == "lock":
            path = f"{s.params['path']}.{k}"
            first = holder.call("acquire_lock", path, ttl=s.params["ttl"], reason="first holder")
            run.advance_clock(s.params["advance"])
            second = taker.call("acquire_lock", path, ttl="1 minute", reason="next holder")
            assert first.ok and second.ok, (first, second)
            # The first holder, back from a pause, writes with the fence it was granted.
            wrote = not fenced or holder.call("assert_lease", path, first.fence, effect=False).ok
            run.metrics["stale_writes"].add(0 if wrote else 1, 1)
            holder.call("release_lock", path, first.fence)
            taker.call("release_lock", path, second.fence)
        else:
            kind = f"stale-{run.next_request_id()}"
            holder.call("submit_task", kind, {"k": k})
            first = holder.call("claim_task", [kind], lease=s.params["ttl"])
            run.advance_clock(s.params["advance"])
            run.operator.call("maintain")
            run.advance_clock(RETRY_BACKOFF)
            second = taker.call("claim_task", [kind], lease="1 minute")
            assert first.ok and second.ok, (first, second)
            taker.call("complete_task", second.task_id, second.claim, {"by": taker.name})
            if fenced:  # the output is written only when the database accepts the claim
                wrote = holder.call("complete_task", first.task_id, first.claim, {"by": holder.name}).ok
            else:
                wrote = True
                holder.call("complete_task", first.task_id, first.claim, {"by": holder.name})
            run.metrics["stale_writes"].add(0 if wrote else 1, 1)


REFUSED_OPERATION = ("blocked", "needs_approval", "denied")


def destructive(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    dangerous = list(s.params["dangerous"])
    if s.params["sample"] is not None and s.params["sample"] < len(dangerous):
        dangerous = rng.sample(dangerous, s.params["sample"])
    for i, line in enumerate(dangerous):
        answer = agents[i % len(agents)].call("check_operation", *operation(line))
        run.metrics["destructive"].add(int(answer.code in REFUSED_OPERATION), 1)
    for i, line in enumerate(s.params["harmless"]):
        answer = agents[i % len(agents)].call("check_operation", *operation(line))
        run.metrics["harmless_refused"].add(int(answer.code != "allowed" and not answer.ok), 1)


def profile_limits(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    limits = dict(s.params["limits"])
    trust = limits.pop("trust_level", 2)
    profile = f"limits-{run.next_request_id()}"
    if run.config.on("profiles"):
        created = run.operator.call("create_profile", profile, trust, limits)
    else:  # the same agents under a profile without limits, at standard trust
        created = run.operator.call("create_profile", profile, 2, {})
    assert created.ok, created
    limited, helper = agents[0], agents[-1]
    assert run.operator.call("assign_profile", limited.name, profile).ok
    count = run.metrics["limit_violations"]
    held: list[tuple[str, int]] = []
    n = s.params["locks"]
    if n:
        answers = [limited.call("acquire_lock", f"limits/{profile}/{i}.py", ttl="1 minute") for i in range(n)]
        allowed = 0 if trust < 2 else limits.get("max_locks", n)
        over = max(0, n - allowed)
        refused = sum(1 for a in answers[allowed:] if not a.ok)
        count.add(refused, over)
        held += [(a.path, a.fence) for a in answers if a.ok]
    if s.params["lock_ttl"]:
        answer = limited.call("acquire_lock", f"limits/{profile}/long.py", ttl=s.params["lock_ttl"])
        count.add(int(not answer.ok), 1)
        if answer.ok:
            held.append((answer.path, answer.fence))
    for path, fence in held:
        limited.call("release_lock", path, fence)
    n = s.params["tasks"]
    if n:
        kind = f"limits-{run.next_request_id()}"
        for i in range(n):
            helper.call("submit_task", kind, {"i": i})
        claims = [limited.call("claim_task", [kind], lease="1 minute") for _ in range(n)]
        allowed = 0 if trust < 2 else limits.get("max_concurrent_tasks", n)
        count.add(sum(1 for c in claims[allowed:] if not c.ok), max(0, n - allowed))
        for c in claims:
            if c.ok:
                limited.call("complete_task", c.task_id, c.claim, {})


def cross_tenant(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    """An owner in the other tenant holds a task, a lease and a memory; agents (and the operator,
    for the audit) of this tenant try to read them by id, path and words."""
    owner = run.agent(f"owner-{run.next_request_id()}", tenant=run.other_tenant)
    secret = f"secret-{rng.randrange(10**6)}"
    task = owner.call("submit_task", "secret-work", {"plan": secret})
    lease = owner.call("acquire_lock", f"{secret}/plan.md", ttl="10 minutes")
    owner.call("remember", "semantic", f"the launch code is {secret}", visibility="tenant")
    count = run.metrics["cross_tenant"]
    for i, read in enumerate(s.params["reads"]):
        intruder = agents[i % len(agents)]
        try:
            if read == "task":
                leaked = intruder.call("get_task", task.task_id, effect=False) is not None
            elif read == "lock":
                leaked = any(r.locked for r in intruder.call("check_locks", [f"{secret}/plan.md"], effect=False))
            elif read == "memory":
                leaked = any(secret in (r.content or "") for r in intruder.call("recall", secret, effect=False))
            else:
                leaked = bool(run.operator.call("query_audit", effect=False, target_type="task",
                                                        target_id=str(task.task_id)))
        except CoordError:
            leaked = False  # refused (unknown task, not permitted)
        count.add(int(not leaked), 1)
    owner.call("release_lock", lease.path, lease.fence)


def network(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    if run.config.on("network"):
        for rule in s.params["rules"]:
            added = run.operator.call("add_network_rule", rule["pattern"], rule["action"], rule.get("priority"))
            assert added.ok or added.code == "exists", added
    for i, domain in enumerate(s.params["forbidden"]):
        answer = agents[i % len(agents)].call("check_network", domain)
        run.metrics["egress"].add(int(not answer.ok), 1)
    for i, domain in enumerate(s.params["allowed"]):
        answer = agents[i % len(agents)].call("check_network", domain)
        run.metrics["allowed_egress_refused"].add(int(not answer.ok), 1)


def agent_death(run: ConfigRun, s: Scenario, agents: list[Agent], rng: random.Random) -> None:
    fenced = run.config.on("fencing")
    kind = f"death-{run.next_request_id()}"
    n = s.params["tasks"]
    task_ids = [agents[0].call("submit_task", kind, {"i": i}).task_id for i in range(n)]
    dying = set(rng.sample(range(len(agents)), s.params["die"]))
    lease = s.params["session_ttl"] if fenced else LONG_LEASE
    at_risk = 0
    for i, agent in enumerate(agents):
        if fenced:
            agent.call("start_session", ttl=s.params["session_ttl"])
        claim = agent.call("claim_task", [kind], lease=lease)
        if not claim.ok:
            continue
        if i in dying:
            at_risk += 1
            agent.die()  # mid-task: connection gone, session and claim left to expire
        else:
            agent.call("complete_task", claim.task_id, claim.claim, {"by": agent.name})
            if fenced:
                agent.call("end_session")
                agent.client.session_id = None
    run.advance_clock(s.params["advance"])
    run.operator.call("maintain")
    run.advance_clock(RETRY_BACKOFF)
    survivors = [a for a in agents if a.alive]
    for agent in itertools.cycle(survivors):
        claim = agent.call("claim_task", [kind], lease="1 minute")
        if not claim.ok:
            break
        agent.call("complete_task", claim.task_id, claim.claim, {"by": agent.name})
    states = [run.operator.call("get_task", t, effect=False).state for t in task_ids]
    lost = sum(1 for st in states if st != "completed")
    run.metrics["work_lost"].add(lost, at_risk)


PROGRAMS: dict[str, Callable[[ConfigRun, Scenario, list[Agent], random.Random], None]] = {
    "lock_race": lock_race, "task_race": task_race, "stale_fence": stale_fence, "destructive": destructive,
    "profile_limits": profile_limits, "cross_tenant": cross_tenant, "network": network,
    "agent_death": agent_death,
}


# --- the run -------------------------------------------------------------------------------------

@dataclass
class Report:
    seed: int
    scenarios: list[Scenario]
    results: list[ConfigResult]

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "scenarios": [{"name": s.name, "kind": s.kind, "agents": s.agents,
                                                   "description": s.description} for s in self.scenarios],
                "metrics": [{"key": m.key, "label": m.label, "layer": m.layer,
                             "lower_is_better": m.lower_is_better} for m in METRICS],
                "configs": [r.to_dict() for r in self.results]}


def _nothing(_label: str) -> None:
    pass


def run_config(target: Target, config: Config, scenarios: Sequence[Scenario], seed: int,
               step: Callable[[str], None] = _nothing, run_id: str | None = None,
               scenario_done: Callable[[str], None] = _nothing) -> ConfigResult:
    run = ConfigRun(target, config, run_id or uuid.uuid4().hex[:6], seed)
    run.configure()
    setup_latencies = len(run.latencies)
    started = time.perf_counter()
    per_scenario: dict[str, dict[str, list[int]]] = {}
    for index, scenario in enumerate(scenarios):
        step(f"{config.name}: {scenario.name}")
        before = {k: (c.hit, c.of) for k, c in run.metrics.items()}
        rng = random.Random(f"{seed}/{scenario.name}")  # every configuration plays the same script
        PROGRAMS[scenario.kind](run, scenario, run.scenario_agents(scenario, index), rng)
        per_scenario[scenario.name] = {k: [c.hit - before[k][0], c.of - before[k][1]]
                                       for k, c in run.metrics.items() if (c.hit, c.of) != before[k]}
        scenario_done(scenario.name)
    seconds = time.perf_counter() - started
    audited, logged = run.finish()
    run.metrics["audit"] = audited if config.on("audit") else logged
    latencies = run.latencies[setup_latencies:]
    return ConfigResult(config=config, metrics=run.metrics, calls=len(latencies), seconds=seconds,
                        latencies=latencies, audit_db=audited, audit_client_log=logged, scenarios=per_scenario)


def run_eval(target: Target, scenarios: Sequence[Scenario], chosen: Sequence[Config], seed: int,
             step: Callable[[str], None] = _nothing, scenario_done: Callable[[str], None] = _nothing) -> Report:
    run_id = uuid.uuid4().hex[:6]  # tenants of this run: eval-<run_id>-<config>
    results = [run_config(target, c, scenarios, seed, step, run_id, scenario_done) for c in chosen]
    return Report(seed=seed, scenarios=list(scenarios), results=results)
