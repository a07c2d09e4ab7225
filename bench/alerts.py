"""Cost of the alert trigger on audit.events, per event written, with the trigger on and off
in one run (interleaved rounds). Events are inserted server-side in a loop (one statement per
event, like audit.record), so the figures are the database's cost without network noise.

Workloads (each N events per round, one transaction per round):
* ordinary: decision granted (the trigger's WHEN is false; PL/pgSQL is never entered);
* matching: decision blocked by one agent with an open guardrail-blocks alert (each event
  bumps the alert's count: one rule lookup, an advisory lock, one UPDATE);
each with the trigger enabled and disabled (ALTER TABLE ... DISABLE TRIGGER), as a ratio.

Then the same comparison through the full api path (Client, one connection, sequential):
* api_lock: acquire_lock + release_lock (two audited mutations, ordinary decisions);
* api_denied: acquire_lock by a token without locks:write (a denial, audited; it bumps the
  open policy-denials alert of that agent).

Run: bin/bench alerts [--events 5000] [--rounds 5] [--calls 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import psycopg
from harness import bench_server

from coordinator import admin
from coordinator.client import Client

INSERT_LOOP = """
do $bench$
declare
  i integer;
begin
  for i in 1..%(n)s loop
    insert into audit.events (tenant_id, occurred_at, actor_type, actor_id, actor_name, action, decision, severity)
    values (%(tenant)L, coord.now(), 'agent', %(actor)L, 'bench-agent', %(action)L, %(decision)L, 'info');
  end loop;
end
$bench$
"""


def run_round(conn: psycopg.Connection, n: int, tenant: uuid.UUID, actor: uuid.UUID, decision: str,
              enabled: bool) -> float:
    def lit(value: object) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    sql = (INSERT_LOOP.replace("%(n)s", str(n)).replace("%(tenant)L", lit(tenant)).replace("%(actor)L", lit(actor))
           .replace("%(action)L", lit("guardrail.check")).replace("%(decision)L", lit(decision)))
    with conn.transaction():
        set_trigger(conn, enabled)
        started = time.perf_counter()
        conn.execute(sql.encode())
        elapsed = time.perf_counter() - started
    return elapsed / n * 1e6


def set_trigger(conn: psycopg.Connection, enabled: bool) -> None:
    switch = "enable" if enabled else "disable"
    conn.execute(f"alter table audit.events {switch} trigger events_raise_alerts")


def api_round(conn: psycopg.Connection, client: Client, calls: int, denied: bool, enabled: bool) -> float:
    """Median µs per api call (per acquire+release pair for api_lock)."""
    set_trigger(conn, enabled)
    times = []
    for i in range(calls):
        started = time.perf_counter()
        if denied:
            assert client.acquire_lock(f"bench/d{i}.py", ttl="1 minute").code == "denied"
        else:
            granted = client.acquire_lock(f"bench/a{i}.py", ttl="1 minute")
            client.release_lock(f"bench/a{i}.py", granted.fence or 0)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with bench_server() as up, psycopg.connect(up.admin_dsn, autocommit=True) as conn:
        tenant = conn.execute("select coord.ensure_tenant('bench')").fetchone()[0]  # type: ignore[index]
        actor = conn.execute(
            "select principal_id from coord.register_principal(%s, 'agent', 'bench-agent')", (tenant,)
        ).fetchone()[0]  # type: ignore[index]
        cells: dict[tuple[str, bool], list[float]] = {}
        run_round(conn, 10, tenant, actor, "blocked", True)  # opens the alert the matching rounds bump
        for _ in range(args.rounds):
            for decision in ("granted", "blocked"):
                for enabled in (True, False):
                    cells.setdefault((decision, enabled), []).append(
                        run_round(conn, args.events, tenant, actor, decision, enabled))
        alerts = conn.execute("select count(*), max(event_count) from coord.alerts").fetchone()
        print(f"events per round: {args.events}, rounds: {args.rounds}, alerts: {alerts}", file=sys.stderr)
        print("| workload | trigger on µs/event (median) | trigger off µs/event | ratio on/off |")
        print("|---|---|---|---|")
        labels = (("granted", "ordinary event (granted)"), ("blocked", "matching event (blocked, open alert)"))
        for decision, label in labels:
            on = statistics.median(cells[(decision, True)])
            off = statistics.median(cells[(decision, False)])
            print(f"| {label} | {on:.1f} | {off:.1f} | {on / off:.2f}× |")
        worker = admin.add_principal(up.admin_dsn, "bench-locker", tenant="bench").token
        refused = admin.add_principal(up.admin_dsn, "bench-refused", tenant="bench", scopes=["locks:read"]).token
        api_cells: dict[tuple[str, bool], list[float]] = {}
        with Client(up.dsn, worker) as locker, Client(up.dsn, refused) as denier:
            api_round(conn, denier, 10, True, True)  # opens the policy-denials alert
            for _ in range(args.rounds):
                for name, client, denied in (("api_lock", locker, False), ("api_denied", denier, True)):
                    for enabled in (True, False):
                        api_cells.setdefault((name, enabled), []).append(
                            api_round(conn, client, args.calls, denied, enabled))
        set_trigger(conn, True)
        print()
        print("| api workload | trigger on µs/call (median) | trigger off µs/call | ratio on/off |")
        print("|---|---|---|---|")
        for name, label in (("api_lock", "acquire_lock + release_lock"), ("api_denied", "acquire_lock denied")):
            on = statistics.median(api_cells[(name, True)])
            off = statistics.median(api_cells[(name, False)])
            print(f"| {label} | {on:.0f} | {off:.0f} | {on / off:.2f}× |")


if __name__ == "__main__":
    main()
