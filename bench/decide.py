"""Cost of one native policy decision (authz.decide), measured inside the database.

A superuser-owned PL/pgSQL function times each call with clock_timestamp() in the caller's
vouched transaction, so the figure is the decision itself: no network, no parsing, no commit.
Two ways: warm (many decisions in one transaction) and per request (one decision per committed
transaction, as real calls make them). Every
variant runs in interleaved rounds next to an empty PL/pgSQL function call (the floor of any
call), and is reported as p50/p99 in microseconds and as a multiple of that floor.

Variants:
* operator        role and scope checks only (operators have no profile)
* agent_default   an agent on the tenant default profile: trust level from the profile
* agent_limits    an agent whose profile limits operations and kinds; a claim with kinds and lease
* agent_budget    as agent_default plus calls_per_hour: counts the call (an upsert)
* agent_denied    a suspended agent (trust 0): the deny path
* cedar_*         where the server runs Cedar (PL/Python with cedarpy, e.g. Debian's 15:
                  COORD_PG_BIN=/usr/lib/postgresql/15/bin), the same principals in a tenant on the cedar
                  engine with the shipped baseline policy: the native decision, then Cedar's (docs/cedar.md)

Usage: [COORD_PG_BIN=/usr/lib/postgresql/15/bin] bin/bench decide [--calls 20000] [--transactions 2000] [--rounds 3]
Goals: native decision p50 < 100 us; in-database Cedar decision p50 < 200 us.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import harness
import psycopg

from coordinator import admin

LOOP = """
create function public.bench_decide(p_action text, p_resource text, p_context jsonb, p_calls integer,
                                     p_noop boolean)
returns table (p50_us double precision, p99_us double precision)
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp
as $$
declare
  v_times double precision[] := '{}';
  v_start timestamptz;
  v_decision authz.decision;
begin
  for i in 1 .. p_calls loop
    v_start := clock_timestamp();
    if p_noop then
      perform public.bench_noop();
    else
      v_decision := authz.decide(p_action, p_resource, p_context);
    end if;
    v_times := v_times || extract(epoch from clock_timestamp() - v_start) * 1e6;
  end loop;
  return query select percentile_cont(0.5) within group (order by t), percentile_cont(0.99) within group (order by t)
               from unnest(v_times) as t;
end;
$$;
create function public.bench_noop() returns void language plpgsql volatile as $$ begin end; $$;
grant execute on function public.bench_decide(text, text, jsonb, integer, boolean) to coord_agent, coord_operator;
"""

VARIANTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    # name, principal, action, resource, context
    ("noop", "op", "lock.acquire", "src/a.py", {}),
    ("operator", "op", "lock.acquire", "src/a.py", {"mode": "exclusive", "ttl": "00:15:00"}),
    ("agent_default", "plain", "lock.acquire", "src/a.py", {"mode": "exclusive", "ttl": "00:15:00"}),
    ("agent_limits", "limited", "task.claim", "build", {"lease": "00:05:00", "kinds": ["build"]}),
    ("agent_budget", "budget", "lock.acquire", "src/a.py", {"mode": "exclusive", "ttl": "00:15:00"}),
    ("agent_denied", "suspended", "lock.acquire", "src/a.py", {"mode": "exclusive", "ttl": "00:15:00"}),
]


CEDAR_VARIANTS = [("cedar_" + name, "cedar_" + who, action, resource, context)
                  for name, who, action, resource, context in VARIANTS if name not in ("noop", "agent_budget")]


def setup(admin_dsn: str, dsn: str, tenant: str = "bench", prefix: str = "") -> dict[str, str]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(LOOP.replace("create function", "create or replace function"))
    tokens = {prefix + name: admin.add_principal(admin_dsn, name, tenant=tenant).token
              for name in ("plain", "limited", "budget", "suspended")}
    tokens[prefix + "op"] = admin.add_principal(admin_dsn, "op", tenant=tenant, role="operator").token
    profiles = [("limited", 2, {"allowed_operations": ["task.*", "lock.*"], "allowed_task_kinds": ["build", "test"],
                                "max_lock_ttl": "1 hour", "max_task_duration": "1 hour", "max_locks": 100}),
                ("budget", 2, {"calls_per_hour": 100_000_000}),
                ("suspended", 0, {})]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, trust, settings in profiles:
            with conn.transaction():
                conn.execute("select api.login(%s)", (tokens[prefix + "op"],))
                conn.execute("select api.create_profile(%s, %s, %s)", (name, trust, psycopg.types.json.Jsonb(settings)))
                conn.execute("select api.assign_profile(%s, %s)", (name, name))
        if prefix:  # this tenant decides with Cedar (the shipped baseline policy)
            with conn.transaction():
                conn.execute("select api.login(%s)", (tokens[prefix + "op"],))
                conn.execute("select api.set_policy_engine('cedar', 'bench')")
    return tokens


def cedar_available(admin_dsn: str) -> bool:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return bool(conn.execute("select authz.cedar_available()").fetchone()[0])  # type: ignore[index]


def measure_loop(dsn: str, token: str, action: str, resource: str, context: dict[str, Any], calls: int,
                 noop: bool) -> tuple[float, float]:
    """p50/p99 of ``calls`` decisions in one transaction: warm, the decision alone."""
    with psycopg.connect(dsn) as conn:
        conn.execute("select api.login(%s)", (token,))
        row = conn.execute("select * from public.bench_decide(%s, %s, %s, %s, %s)",
                           (action, resource, psycopg.types.json.Jsonb(context), calls, noop)).fetchone()
        conn.rollback()
    assert row is not None
    return float(row[0]), float(row[1])


def measure_per_transaction(dsn: str, token: str, action: str, resource: str, context: dict[str, Any],
                            calls: int, noop: bool) -> tuple[float, float]:
    """p50/p99 of ``calls`` decisions, one per committed transaction as in real requests: the
    first decision of a transaction pays for its first snapshot and first look at each table."""
    times: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(calls):
            with conn.transaction():
                conn.execute("select api.login(%s)", (token,))
                row = conn.execute("select p50_us from public.bench_decide(%s, %s, %s, 1, %s)",
                                   (action, resource, psycopg.types.json.Jsonb(context), noop)).fetchone()
            assert row is not None
            times.append(float(row[0]))
    return harness.percentile(times, 50), harness.percentile(times, 99)


def report(title: str, samples: dict[str, list[tuple[float, float]]], variants: list[tuple]) -> None:
    floor = statistics.median(p50 for p50, _ in samples["noop"])
    print(f"\n{title}\n")
    print("| variant | p50 us | p99 us | p50 / empty call |")
    print("|---|---:|---:|---:|")
    for name, *_ in variants:
        p50 = statistics.median(s[0] for s in samples[name])
        p99 = statistics.median(s[1] for s in samples[name])
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {p50 / floor:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000, help="decisions per variant and round, warm loop")
    parser.add_argument("--transactions", type=int, default=2000, help="decisions per variant and round, "
                        "one per transaction")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with harness.bench_server() as up:
        assert up.dsn is not None
        tokens = setup(up.admin_dsn, up.dsn)
        variants = list(VARIANTS)
        if cedar_available(up.admin_dsn):
            tokens |= setup(up.admin_dsn, up.dsn, tenant="bench-cedar", prefix="cedar_")
            variants += CEDAR_VARIANTS
        loop: dict[str, list[tuple[float, float]]] = {v[0]: [] for v in variants}
        per_tx: dict[str, list[tuple[float, float]]] = {v[0]: [] for v in variants}
        for _ in range(args.rounds):
            for name, who, action, resource, context in variants:
                noop = name == "noop"
                loop[name].append(measure_loop(up.dsn, tokens[who], action, resource, context, args.calls, noop))
                per_tx[name].append(measure_per_transaction(up.dsn, tokens[who], action, resource, context,
                                                            args.transactions, noop))
        print(harness.header(up, args.rounds, 0).replace(" x 0s per cell", ""))
        report(f"Warm: {args.calls} decisions in one transaction (agent_budget is inflated here: one row "
               "updated that often in one transaction grows a version chain no real request has)", loop, variants)
        report(f"Per request: {args.transactions} transactions of one decision each", per_tx, variants)


if __name__ == "__main__":
    main()
