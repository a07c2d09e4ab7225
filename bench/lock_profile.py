"""Where one api lock pair's server time goes: calls and self time per function and per statement.

Runs Client.acquire_lock + Client.release_lock on a server started with

    shared_preload_libraries = 'pg_stat_statements', pg_stat_statements.track = 'all',
    track_functions = 'all'

(ALTER SYSTEM, then restart: `bin/coord down` and `up` on the same data directory), after
``--warmup`` untimed pairs, and prints per lock pair: every function's calls and self time
(pg_stat_user_functions) and every statement's calls and time (pg_stat_statements, nested
statements included; a statement's time includes the functions it calls). The counts are exact;
the times include the instrumentation's own overhead, so read them as shares, not absolutes.

Usage: bin/bench lock_profile --admin-dsn '<admin dsn of that server>' [--pairs 1000] [--warmup 200]
"""

from __future__ import annotations

import argparse
import os

import cpu
import locks
import psycopg

from coordinator.client import Client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-dsn", required=True)
    parser.add_argument("--dsn", help="the authenticator's DSN (default: from coord.json beside the admin socket)")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    admin_dsn = args.admin_dsn
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("create extension if not exists pg_stat_statements")
        password = conn.execute("select 1").fetchone()  # connection check
        assert password
    dsn = args.dsn or authenticator_dsn(admin_dsn)
    token = locks.agents(admin_dsn, f"profile-{os.getpid()}", 1)[0]
    with Client(cpu.same_transport(dsn, admin_dsn), token) as client:
        client.authenticate()
        for _ in range(args.warmup):
            cpu.api_lock_pair(client)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute("select pg_stat_reset(), pg_stat_statements_reset()")
            conn.execute("select pg_stat_force_next_flush()")
        for _ in range(args.pairs):
            cpu.api_lock_pair(client)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # the client's backend flushes its function counters when idle (or at exit: closed above)
        funcs = conn.execute(
            "select schemaname || '.' || funcname, calls, self_time, total_time from pg_stat_user_functions "
            "where calls > 0 order by self_time desc").fetchall()
        stmts = conn.execute(
            "select regexp_replace(left(query, 110), '\\s+', ' ', 'g'), calls, total_exec_time, toplevel "
            "from pg_stat_statements where calls >= %s order by total_exec_time desc", (args.pairs,)).fetchall()
    n = args.pairs
    # A backend reports its function counters when idle, so part of the warm-up's may land after
    # the reset: the function table is per api.acquire_lock call, which is one per pair.
    f = next((calls for name, calls, _, _ in funcs if name == "api.acquire_lock"), n)
    print(f"per lock pair (acquire + release), {n} pairs after {args.warmup} warm-up\n")
    print("| function | calls/pair | self us/pair | total us/pair |\n|---|---|---|---|")
    for name, calls, self_ms, total_ms in funcs[:args.top]:
        if name.startswith(("public.", "pg_catalog.obj_description")):
            continue  # the profiler's own reset, the client's catalog load
        print(f"| {name} | {calls / f:g} | {self_ms * 1000 / f:.1f} | {total_ms * 1000 / f:.1f} |")
    mine = [x for x in funcs if not x[0].startswith(("public.", "pg_catalog."))]
    print(f"| all ({sum(x[1] for x in mine) / f:g} calls) | | {sum(x[2] for x in mine) * 1000 / f:.1f} | |")
    print("\n| statement | calls/pair | us/pair (incl. callees) | top level |\n|---|---|---|---|")
    for query, calls, ms, top in stmts[:args.top]:
        print(f"| `{query}` | {calls / n:g} | {ms * 1000 / n:.1f} | {'yes' if top else ''} |")
    print(f"| {sum(s[1] for s in stmts if not s[3]) / n:g} nested statements per pair | | | |")


def authenticator_dsn(admin_dsn: str) -> str:
    import json
    from pathlib import Path
    params = psycopg.conninfo.conninfo_to_dict(admin_dsn)
    facts = json.loads((Path(str(params["host"])).parent / "coord.json").read_text())
    return psycopg.conninfo.make_conninfo(host="127.0.0.1", port=facts["port"], user="coord_authenticator",
                                          password=facts["authenticator_password"], dbname=facts["database"])


if __name__ == "__main__":
    main()
