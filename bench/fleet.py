"""Cost of the fleet change notification on the lock path: acquire + release through the full
api with the fleet triggers (row level, queued only while the tenant is watched: their WHEN
tries the watch lock shared; NOTIFY on the tenant's fleet channel) enabled and disabled, side
by side in one run (interleaved rounds).

* api_lock_silent     Client.acquire_lock + Client.release_lock with the twelve fleet
                      triggers disabled (ALTER TABLE ... DISABLE TRIGGER before the cell)
* api_lock_unwatched  the same calls, triggers on, nobody holding the watch (the triggers'
                      WHEN takes the watch lock shared; no event is queued)
* api_lock_watched    the same calls, triggers on, a watcher holding the watch
                      (api.watch_fleet) and LISTENing, draining what arrives

NOTIFY at commit takes a cluster-wide lock to append to the notification queue, so the cost
can grow with concurrency: compare the two at each client count.

Then the triggers' own cost per statement, server-side (no network, no commit): a PL/pgSQL
loop of single-row INSERT + DELETE on coord.locks in one transaction, triggers on and off
(unwatched: what is left is the WHEN, one advisory-lock try per row).

Usage: bin/bench fleet [--clients 1,2,4] [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from contextlib import ExitStack

import harness
import psycopg
from harness import Op, Tally, Workload
from psycopg import sql as pgsql

from coordinator import admin
from coordinator.client import Client

TABLES = ("locks", "tasks", "sessions", "alerts")
TRIGGERS = [(t, f"{t}_fleet_{e}") for t in TABLES for e in ("inserted", "updated", "deleted")]


def set_triggers(admin_dsn: str, enabled: bool) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for table, trigger in TRIGGERS:
            conn.execute(pgsql.SQL("alter table coord.{} {} trigger {}").format(
                pgsql.Identifier(table), pgsql.SQL("enable" if enabled else "disable"), pgsql.Identifier(trigger)))


class Watcher:
    """A watcher of the bench tenant: holds the watch and drains the fleet channel while on."""

    def __init__(self, dsn: str, operator_token: str) -> None:
        self.dsn, self.token = dsn, operator_token
        self.received = 0
        self._client: Client | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set(self, on: bool) -> None:
        if on and self._client is None:
            self._client = Client(self.dsn, self.token)
            assert self._client.watch_fleet().code == "watching"
            channel = self._client.fleet_status(limit=1)["channel"]
            self._stop.clear()
            self._thread = threading.Thread(target=self._drain, args=(channel,), daemon=True)
            self._thread.start()
        elif not on and self._client is not None:
            self._stop.set()
            assert self._thread is not None
            self._thread.join()
            self._client.close()
            self._client = None

    def _drain(self, channel: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=0.2):
                    self.received += 1


def api_lock(name: str, dsn: str, admin_dsn: str, tokens: list[str], triggers: bool, watcher: Watcher,
             watched: bool) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        if i == 0:  # once per cell, before its threads start
            set_triggers(admin_dsn, triggers)
            watcher.set(watched)
        client = stack.enter_context(Client(dsn, tokens[i]))
        path = f"bench/{i}/{uuid.uuid4().hex[:6]}.py"

        def op() -> Tally:
            granted = client.acquire_lock(path, ttl="1 minute")
            client.release_lock(path, granted.fence or 0)
            return Tally(2)
        return op
    return Workload(name, make_op, baselines=() if name == "api_lock_silent" else ("api_lock_silent",))


STATEMENT_LOOP = """
do $bench$
declare
  i integer;
  v_id bigint;
begin
  for i in 1..%s loop
    insert into coord.locks (tenant_id, path, mode, holder_id, fence, acquired_at, expires_at)
    values ('%s', 'loop/' || i, 'exclusive', '%s', nextval('coord.lock_fence_seq'), now(), now() + interval '1 minute')
    returning id into v_id;
    delete from coord.locks where id = v_id;
  end loop;
end
$bench$
"""


def statement_cost(admin_dsn: str, n: int, rounds: int) -> dict[bool, list[float]]:
    """Microseconds per INSERT + DELETE pair on coord.locks, triggers on and off, interleaved."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute("select p.tenant_id, p.id from coord.principals p where p.name = 'fleet-0'").fetchone()
        assert row is not None
        loop = (STATEMENT_LOOP % (n, row[0], row[1])).encode()
        costs: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for enabled in (False, True):
                set_triggers(admin_dsn, enabled)
                with conn.transaction():
                    started = time.perf_counter()
                    conn.execute(loop)
                    costs[enabled].append((time.perf_counter() - started) / n * 1e6)
        set_triggers(admin_dsn, True)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--statements", type=int, default=5000, help="INSERT + DELETE pairs per server-side round")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    with harness.bench_server() as up:
        assert up.dsn is not None
        tokens = [admin.add_principal(up.admin_dsn, f"fleet-{i}", tenant="bench").token for i in range(max(levels))]
        operator = admin.add_principal(up.admin_dsn, "fleet-watcher", tenant="bench", role="operator").token
        watcher = Watcher(up.dsn, operator)
        workloads = [api_lock("api_lock_silent", up.dsn, up.admin_dsn, tokens, False, watcher, watched=False),
                     api_lock("api_lock_unwatched", up.dsn, up.admin_dsn, tokens, True, watcher, watched=False),
                     api_lock("api_lock_watched", up.dsn, up.admin_dsn, tokens, True, watcher, watched=True)]
        results = harness.run(workloads, levels, args.rounds, args.seconds)
        watcher.set(False)
        set_triggers(up.admin_dsn, True)
        print(harness.header(up, args.rounds, args.seconds))
        print("\n".join(harness.render(workloads, levels, results, floor=None)))
        print(f"\nnotifications received by the watcher: {watcher.received:,}")
        costs = statement_cost(up.admin_dsn, args.statements, args.rounds)
        on, off = statistics.median(costs[True]), statistics.median(costs[False])
        print(f"\nserver-side INSERT + DELETE on coord.locks, us/pair (median of {args.rounds} rounds of "
              f"{args.statements}): triggers on {on:.1f}, off {off:.1f}, ratio {on / off:.2f}x")


if __name__ == "__main__":
    main()
