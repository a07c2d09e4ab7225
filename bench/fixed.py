"""The fixed cost of one authenticated api call, step by step: server CPU (and client CPU) of a
bare transaction, of api.begin_request alone, then of begin_request followed by a call that
adds one step at a time (an api function's entry with its SET clauses, the caller's
verification, the effective profile read three ways, the gate's action row, the gate, the read
gate), up to a real read (api.my_locks, in PostgREST's statement shape and as a plain call).

Each variant is sent as the Python client sends a call: its statements pipelined, one Sync, one
implicit transaction, prepared once (coordinator/wire.py). The steps are scratch functions made
for this run on the bench's own server (schema bench_steps, owned like the api and executable by
the agent role), so each row isolates what a real call pays once: the difference between two
rows is one step's cost. Each round runs every variant, in reverse order every other round, on one
connection; medians over rounds; ``synchronous_commit=off`` as in ``bin/bench cpu``. Read the
differences, not one row: on a shared host one row moves by 10-20 % between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence

import cpu
import harness
import locks
import psycopg

from coordinator import wire
from coordinator.client import Client

# coord.effective_profile's read, written into the step itself (no function entry)
_PROFILE_READ = ("select {} into {} from coord.principals as pr join coord.tenants as n on n.id = pr.tenant_id "
                 "join coord.profiles as f on f.tenant_id = pr.tenant_id and f.id = coalesce(pr.profile_id, "
                 "n.default_profile_id) where pr.tenant_id = v.tenant_id and pr.id = v.principal_id; return 1;")

# (name, declarations, body): each a security definer function shaped like an api function
# (search_path and the two caches reset on entry), so its entry costs what an api entry costs.
STEPS: list[tuple[str, str, str]] = [
    ("entry", "", "return 1;"),
    ("verify", "v coord.caller;", "v := coord.principal(); return 1;"),
    ("profile", "v coord.caller; p coord.profiles;",
     "v := coord.principal(); p := coord.effective_profile(v); return 1;"),
    ("action", "v coord.caller; r record;",
     "v := coord.principal(); select a.scope, a.roles, a.mutating, (select e.engine from authz.tenant_engines as e "
     "where e.tenant_id = v.tenant_id) as engine into r from authz.actions as a where a.action = 'lock.list'; "
     "return 1;"),
    ("decide", "v coord.caller; d authz.decision;",
     "v := coord.principal(); d := authz.decide('lock.list', null, '{}', null, null, v); return 1;"),
    ("read_gate", "v coord.caller;", "v := authz.require_read('lock.list'); return 1;"),
    ("profile_as_auth", "v coord.caller; p coord.profiles;",
     "v := coord.principal(); p := bench_steps.profile_as_auth(v); return 1;"),
    ("profile_inline", "v coord.caller; p coord.profiles;",
     f"v := coord.principal(); {_PROFILE_READ.format('f.*', 'p')}"),
    ("trust_only", "v coord.caller; t smallint;",
     f"v := coord.principal(); {_PROFILE_READ.format('f.trust_level', 't')}"),
]

# What each row adds, and the row it adds it to.
ROWS: list[tuple[str, str, str | None]] = [
    ("bare", "a transaction of `select 1` (no begin_request)", None),
    ("begin_request", "api.begin_request alone: request context, token lookup, vouch MAC, role switch", "bare"),
    ("then select 1", "begin_request, then a second statement doing nothing", "begin_request"),
    ("entry", "the second statement calls an api-shaped function doing nothing", "then select 1"),
    ("verify", "... which verifies the caller (coord.principal: the MAC again, the claims)", "entry"),
    ("profile", "... and reads the effective profile", "verify"),
    ("action", "... or, instead, reads the gate's action row", "verify"),
    ("decide", "... or, instead, runs the gate (authz.decide, caller passed)", "verify"),
    ("profile_as_auth", "... the effective profile read by a copy owned by coord_auth (BYPASSRLS: no policy)",
     "verify"),
    ("profile_inline", "... the same read written into the step (no function entry)", "verify"),
    ("trust_only", "... only the profile's trust level, written into the step", "verify"),
    ("read_gate", "the read gate api reads use (authz.require_read: decide, then the caller)", "entry"),
    ("my_locks plain", "api.my_locks as a plain call (the read gate, one query, nothing held)", "read_gate"),
    ("my_locks", "api.my_locks in PostgREST's shape, as the client sends it (bin/bench cpu's api_read)",
     "my_locks plain"),
]


def create_steps(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists bench_steps authorization coord_owner")
        conn.execute("grant usage on schema bench_steps to coord_agent, coord_auth")
        # coord.effective_profile, as a copy owned by coord_auth (this scratch server's grants only)
        source = conn.execute(
            "select pg_get_functiondef('coord.effective_profile(coord.caller)'::regprocedure)").fetchone()
        assert source is not None
        conn.execute(source[0].replace("FUNCTION coord.effective_profile(", "FUNCTION bench_steps.profile_as_auth("))
        conn.execute("grant select on coord.profiles, coord.principals, coord.tenants to coord_auth")
        conn.execute("alter function bench_steps.profile_as_auth(coord.caller) owner to coord_auth")
        conn.execute("grant execute on function bench_steps.profile_as_auth(coord.caller) to coord_owner")
        for name, declarations, body in STEPS:
            conn.execute(f"""
                create or replace function bench_steps.{name}() returns integer language plpgsql stable
                security definer set search_path = pg_catalog, pg_temp
                set coord.principal_cache = '' set coord.event_tenant = ''
                as $$ declare {declarations} begin {body} end $$""")
            conn.execute(f"alter function bench_steps.{name}() owner to coord_owner")
            conn.execute(f"grant execute on function bench_steps.{name}() to coord_agent")


def variants(client: Client) -> dict[str, Sequence[tuple[wire.Statement, Sequence[bytes | None]]]]:
    headers = json.dumps(client.request_headers()).encode()  # as the client renders them
    begin = (wire.statement('select "api"."begin_request"($1, $2, $3)'), (b"my_locks", headers, b"t"))
    one = (wire.statement("select 1"), ())
    out: dict[str, Sequence[tuple[wire.Statement, Sequence[bytes | None]]]] = {
        "bare": [one], "begin_request": [begin], "then select 1": [begin, one]}
    for name, _, _ in STEPS:
        out[name] = [begin, (wire.statement(f"select bench_steps.{name}()"), ())]
    out["my_locks plain"] = [begin, (wire.statement('select * from "api"."my_locks"()'), ())]
    out["my_locks"] = [begin, (wire.statement('WITH pgrst_source AS (SELECT "pgrst_call".* FROM "api"."my_locks"() '
                                              'pgrst_call) SELECT * FROM pgrst_source'), ())]
    return out


def measure(client: Client, ops: int, warmup: int, rounds: int) -> dict[str, tuple[float, float]]:
    conn = client.connection
    pid = conn.info.backend_pid
    chosen = variants(client)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
    for round_no in range(rounds):
        order = list(chosen.items())
        for name, steps in order if round_no % 2 == 0 else reversed(order):  # drift cancels over rounds
            for _ in range(warmup):
                wire.execute(conn, steps)
            server0, client0 = cpu.backend_cpu_ns(pid), time.process_time()
            for _ in range(ops):
                wire.execute(conn, steps)
            client1, server1 = time.process_time(), cpu.backend_cpu_ns(pid)
            samples[name].append(((server1 - server0) / 1000 / ops, (client1 - client0) * 1e6 / ops))
        print(f"round {round_no + 1}/{rounds} done", flush=True)
    return {name: (statistics.median(s for s, _ in xs), statistics.median(c for _, c in xs))
            for name, xs in samples.items()}


def render(results: dict[str, tuple[float, float]]) -> list[str]:
    lines = ["| step | what the call does | server us | client us | server us over |",
             "|---|---|---|---|---|"]
    for name, what, over in ROWS:
        server, client = results[name]
        delta = f"{server - results[over][0]:+,.0f} ({over})" if over else "–"
        lines.append(f"| {name} | {what} | {server:,.0f} | {client:,.0f} | {delta} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000, help="calls per variant and round")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls before each measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with harness.bench_server() as up:
        cpu.setup(up.admin_dsn)
        harness.server_settings(up.admin_dsn, synchronous_commit="off")
        create_steps(up.admin_dsn)
        token = locks.agents(up.admin_dsn, "fixed", 1)[0]
        assert up.dsn is not None
        with Client(cpu.same_transport(up.dsn, up.admin_dsn), token) as client:
            results = measure(client, args.ops, args.warmup, args.rounds)
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, args.rounds, 0).split(" | ")[:4])
        print(f"{facts} | {args.rounds} rounds x {args.ops} calls per step, median of rounds | Unix socket | "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("\n".join(render(results)))


if __name__ == "__main__":
    main()
