"""The coordination core side by side with naive SQL and procrastinate, on one server, in one run.

One invocation starts one embedded server (durable commits: fsync on, synchronous_commit on)
and runs every workload at every client count in interleaved rounds (see bench/harness.py).
One op is:

* insert           one single-row INSERT (autocommit): the floor, 1 call
* naive_lease      INSERT ... ON CONFLICT DO NOTHING + DELETE on a plain table, 2 calls
* naive_task       INSERT a task; claim it with UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
                   LOCKED LIMIT 1); mark it done: 3 autocommit calls on a plain table
* api_lock         Client.acquire_lock + Client.release_lock, 2 calls
* api_task         Client.submit_task + claim_task + complete_task on one shared kind, 3 calls
                   (the claim may return another client's task; it completes what it claimed)
* procrastinate    defer + fetch + finish through procrastinate's own stored procedures and
                   query texts, one psycopg connection per client, in a separate database on
                   the same server, 3 calls
* api_single_claim one Client.claim_task on a pre-filled queue, 1 call, 1 job
* api_batch_claim  one Client.claim_tasks(limit=--batch) on a pre-filled queue, 1 call, up to
                   --batch jobs
* api_batch_task   the batched lifecycle: Client.submit_tasks of --batch tasks, claim_tasks
                   (limit --batch), complete_tasks of what it claimed, 3 calls, up to --batch jobs

The claim workloads measure claim calls only: refilling the queue when it runs dry and completing
held tasks when the agent reaches its claim limit happen in untimed upkeep, excluded from the
rates and reported under the table.

Usage: bin/bench core [--clients 1,2,4,8,16] [--seconds 3] [--rounds 2] [--only w1,w2] [--batch 50]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import harness
import locks
import psycopg
from harness import Op, Tally, Workload

from coordinator.client import Client

NAIVE_TASKS = [
    "create table public.bench_tasks (id bigserial primary key, kind text not null, "
    "state text not null default 'queued', priority int not null default 0, payload jsonb not null default '{}', "
    "claimed_by int, created_at timestamptz not null default now())",
    "create index bench_tasks_queued_idx on public.bench_tasks (priority desc, id) where state = 'queued'",
]
NAIVE_SUBMIT = "insert into public.bench_tasks (kind, payload) values ('bench', '{}') returning id"
NAIVE_CLAIM = ("update public.bench_tasks set state = 'claimed', claimed_by = %s where id = "
               "(select id from public.bench_tasks where state = 'queued' order by priority desc, id "
               "limit 1 for update skip locked) returning id")
NAIVE_COMPLETE = "update public.bench_tasks set state = 'done' where id = %s"

TASK_KIND = "bench-task"  # api_task: one kind shared by all clients
BATCH_KIND = "bench-batch"  # api_batch_task: one kind shared by all clients
CLAIM_KIND = "bench-claim"  # api_single_claim and api_batch_claim: one pre-filled queue
HOLD_LEASE = "1 hour"  # claimed tasks are held, not completed, while measuring claims
SUBMIT_BATCH = 100  # tasks per Client.submit_tasks call when filling the claim queue
FILL_PER_CLIENT = {"api_single_claim": 300, "api_batch_claim": 1500}  # untimed, before each cell and when empty

PROCRASTINATE_DB = "procrastinate_bench"
PROCRASTINATE_QUEUE = "bench"


def naive_task(admin_dsn: str) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, autocommit=True))

        def op() -> Tally:
            conn.execute(NAIVE_SUBMIT)
            claimed = conn.execute(NAIVE_CLAIM, (i,)).fetchone()
            if claimed is None:  # every queued row was locked by another claimer
                return Tally(2, jobs=0)
            conn.execute(NAIVE_COMPLETE, (claimed[0],))
            return Tally(3)
        return op
    return Workload("naive_task", make_op, baselines=("insert",), jobs=True)


def _check(result: Any, want: str, what: str) -> Any:
    if not result.ok or result.code != want:
        raise RuntimeError(f"{what}: {result.code}: {result.reason} ({result.details})")
    return result


def api_task(dsn: str, tokens: list[str]) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))

        def op() -> Tally:
            _check(client.submit_task(TASK_KIND, payload={}), "submitted", "submit_task")
            claimed = client.claim_task([TASK_KIND], lease="5 minutes")
            if not claimed.ok and claimed.code == "empty":  # every queued task was being claimed by others
                return Tally(2, jobs=0)
            _check(claimed, "claimed", "claim_task")
            _check(client.complete_task(claimed.task_id, claimed.claim), "completed", "complete_task")
            return Tally(3)
        return op
    return Workload("api_task", make_op, baselines=("naive_task", "procrastinate"), jobs=True)


def api_batch_task(dsn: str, tokens: list[str], batch: int) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))

        def op() -> Tally:
            for submitted in client.submit_tasks([{"kind": BATCH_KIND, "payload": {}} for _ in range(batch)]):
                _check(submitted, "submitted", "submit_tasks")
            # the claim may take other clients' tasks (and leave some of its own to them)
            claims = [r for r in client.claim_tasks([BATCH_KIND], lease="5 minutes", limit=batch) if r.ok]
            if not claims:
                return Tally(2, jobs=0)
            for done in client.complete_tasks([{"task_id": c.task_id, "claim": c.claim} for c in claims]):
                _check(done, "completed", "complete_tasks")
            return Tally(3, jobs=len(claims))
        return op
    return Workload("api_batch_task", make_op, baselines=("api_task", "procrastinate"), jobs=True)


class ClaimUpkeep:
    """Untimed upkeep for one claim client: keep the shared queue filled, release what it holds."""

    def __init__(self, client: Client, fill: int) -> None:
        self.client = client
        self.fill = fill
        self.held: list[tuple[Any, int]] = []  # (task_id, claim)

    def refill(self) -> None:
        for start in range(0, self.fill, SUBMIT_BATCH):
            batch = [{"kind": CLAIM_KIND, "payload": {}} for _ in range(min(SUBMIT_BATCH, self.fill - start))]
            for result in self.client.submit_tasks(batch):
                _check(result, "submitted", "submit_tasks")

    def release(self) -> None:
        for task_id, claim in self.held:
            _check(self.client.complete_task(task_id, claim), "completed", "complete_task")
        self.held.clear()

    def release_leftovers(self) -> None:
        """Complete the claims this agent still holds from earlier cells (their tokens are listed)."""
        me = self.client.authenticate()
        assert me is not None
        while True:
            mine = [t for t in self.client.list_tasks(state="claimed", kind=CLAIM_KIND, limit=1000)
                    if t.claimed_by == me.name]
            if not mine:
                return
            for task in mine:
                self.client.complete_task(task.task_id, task.claim)

    def after_refusal(self, refusal: Any, what: str) -> None:
        """The claim returned nothing: refill when empty, release when at the claim limit."""
        if refusal.code == "empty":
            self.refill()
        elif refusal.code == "at_limit" and self.held:
            self.release()
        elif refusal.code == "at_limit":
            self.release_leftovers()
        else:
            raise RuntimeError(f"{what}: {refusal.code}: {refusal.reason} ({refusal.details}); "
                               f"holding {len(self.held)} tasks")


def api_single_claim(dsn: str, tokens: list[str]) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))
        upkeep = ClaimUpkeep(client, FILL_PER_CLIENT["api_single_claim"])
        upkeep.release_leftovers()
        upkeep.refill()

        def op() -> Tally:
            started = time.perf_counter()
            claimed = client.claim_task([CLAIM_KIND], lease=HOLD_LEASE)
            if claimed.ok:
                upkeep.held.append((claimed.task_id, claimed.claim))
                return Tally(1, jobs=1)
            upkeep.after_refusal(claimed, "claim_task")  # the refused call is upkeep too
            return Tally(0, jobs=0, untimed=time.perf_counter() - started)
        return op
    return Workload("api_single_claim", make_op, jobs=True)


def api_batch_claim(dsn: str, tokens: list[str], batch: int) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))
        upkeep = ClaimUpkeep(client, FILL_PER_CLIENT["api_batch_claim"])
        upkeep.release_leftovers()
        upkeep.refill()

        def op() -> Tally:
            started = time.perf_counter()
            rows = client.claim_tasks([CLAIM_KIND], lease=HOLD_LEASE, limit=batch)
            claims = [r for r in rows if r.ok]
            if claims:
                upkeep.held.extend((c.task_id, c.claim) for c in claims)
                return Tally(1, jobs=len(claims))
            upkeep.after_refusal(rows[0], "claim_tasks")
            return Tally(0, jobs=0, untimed=time.perf_counter() - started)
        return op
    return Workload("api_batch_claim", make_op, baselines=("api_single_claim",), jobs=True)


# --- procrastinate -------------------------------------------------------------------------------


def procrastinate_setup(admin_dsn: str) -> None:
    """A separate database on the same server with procrastinate's own schema.sql."""
    from procrastinate.schema import SchemaManager

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"create database {PROCRASTINATE_DB}")
    with psycopg.connect(admin_dsn, dbname=PROCRASTINATE_DB, autocommit=True) as conn:
        conn.execute(SchemaManager.get_schema())  # what `procrastinate schema --apply` runs


def procrastinate(admin_dsn: str) -> Workload:
    """defer + fetch + finish exactly as procrastinate's job manager and worker send them.

    The query texts come from the installed package (procrastinate/sql/queries.sql) and go
    through its SyncPsycopgConnector's parameter adaptation, on one autocommit connection per
    client: ``procrastinate_defer_jobs_v1`` (one job, as ``Task.defer`` does),
    ``procrastinate_fetch_job_v2`` (as the worker does, with a registered worker id) and
    ``procrastinate_finish_job_v1(id, 'succeeded', false)`` (the worker's default: keep jobs).
    """
    from procrastinate import sql
    from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
    from procrastinate.types import JobToDefer

    connector = SyncPsycopgConnector()  # its pool is never opened; every query gets our connection

    def make_op(_i: int, stack: ExitStack) -> Op:
        conn = stack.enter_context(psycopg.connect(admin_dsn, dbname=PROCRASTINATE_DB, autocommit=True))

        def query(name: str, **arguments: Any) -> dict[str, Any]:
            return connector.execute_query_one_with_connection(conn, query=sql.queries[name], **arguments)

        worker_id = query("register_worker")["worker_id"]
        stack.callback(query, "unregister_worker", worker_id=worker_id)
        job = JobToDefer(queue_name=PROCRASTINATE_QUEUE, task_name="bench.noop", priority=0, lock=None,
                         queueing_lock=None, args={}, scheduled_at=None)

        def op() -> Tally:
            query("defer_jobs", jobs=[job])
            fetched = query("fetch_job", queues=[PROCRASTINATE_QUEUE], worker_id=worker_id)
            if fetched["id"] is None:  # every todo job was locked by another worker
                return Tally(2, jobs=0)
            query("finish_job", job_id=fetched["id"], status="succeeded", delete_job=False)
            return Tally(3)
        return op
    return Workload("procrastinate", make_op, baselines=("naive_task",), jobs=True)


# --- the run -------------------------------------------------------------------------------------

ORDER = ["insert", "naive_lease", "naive_task", "api_lock", "api_task", "api_batch_task", "procrastinate",
         "api_single_claim", "api_batch_claim"]
NEEDS = {  # what each workload needs that may not be there yet
    "api_task": ("Client.submit_task", "Client.claim_task", "Client.complete_task"),
    "api_single_claim": ("Client.submit_tasks", "Client.claim_task", "Client.complete_task"),
    "api_batch_claim": ("Client.submit_tasks", "Client.claim_tasks", "Client.complete_task"),
    "api_batch_task": ("Client.submit_tasks", "Client.claim_tasks", "Client.complete_tasks"),
    "procrastinate": ("procrastinate",),
}


def missing(name: str) -> list[str]:
    absent = []
    for need in NEEDS.get(name, ()):
        if need.startswith("Client."):
            if not hasattr(Client, need.removeprefix("Client.")):
                absent.append(need)
        else:
            try:
                __import__(need)
            except ImportError:
                absent.append(f"the {need} package (pip install -e '.[bench]')")
    return absent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,2,4,8,16")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(ORDER)}")
    parser.add_argument("--batch", type=int, default=50,
                        help="claim_tasks limit in api_batch_claim; tasks per call in api_batch_task")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    chosen = args.only.split(",") if args.only else ORDER
    unknown = [n for n in chosen if n not in ORDER]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    skipped = {n: missing(n) for n in chosen if missing(n)}
    if skipped and args.only:
        parser.error("; ".join(f"{n} needs {', '.join(m)}" for n, m in skipped.items()))
    names = [n for n in ORDER if n in chosen and n not in skipped]
    notes = [f"skipped {n}: needs {', '.join(m)}" for n, m in skipped.items()]
    for note in notes:
        print(note, file=sys.stderr)

    with harness.bench_server() as up:
        dsn, admin_dsn = up.dsn, up.admin_dsn
        assert dsn is not None
        locks.setup(admin_dsn)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            for statement in NAIVE_TASKS:
                conn.execute(statement)
        if "procrastinate" in names:
            procrastinate_setup(admin_dsn)

        def tokens(prefix: str) -> list[str]:  # separate agents per workload: held claims do not mix
            return locks.agents(admin_dsn, prefix, max(levels))

        factories: dict[str, Callable[[], Workload]] = {
            "insert": lambda: locks.insert(admin_dsn),
            "naive_lease": lambda: locks.naive_lease(admin_dsn),
            "naive_task": lambda: naive_task(admin_dsn),
            "api_lock": lambda: locks.api_lock(dsn, tokens("lock")),
            "api_task": lambda: api_task(dsn, tokens("task")),
            "api_batch_task": lambda: api_batch_task(dsn, tokens("batch-task"), args.batch),
            "procrastinate": lambda: procrastinate(admin_dsn),
            "api_single_claim": lambda: api_single_claim(dsn, tokens("single-claim")),
            "api_batch_claim": lambda: api_batch_claim(dsn, tokens("batch-claim"), args.batch),
        }
        workloads = [factories[n]() for n in names]
        results = harness.run(workloads, levels, args.rounds, args.seconds)
        print(harness.header(up, args.rounds, args.seconds))
        print()
        print("\n".join(harness.render(workloads, levels, results)))
        notes += harness.upkeep_notes(workloads, levels, results)
        if notes:
            print()
            print("\n".join(f"* {note}" for note in notes))


if __name__ == "__main__":
    main()
