"""CPU per operation of two SQL trees side by side: one embedded server, database coord migrated
from this checkout and coordbase from the tree --base names (a detached worktree of the base
commit), the same workloads as bench/cpu.py, rounds alternating base and branch (the order
flipped each round), and per workload the median of the paired server ratios.

Both databases share the server process, its settings and the host's load at the moment of
each pair, so a difference of a few per cent shows where two separate bin/bench cpu runs on a
shared host scatter by more than that. The Python client is this checkout's for both, and the
roles are the cluster's, set up by whichever tree migrated last (the base): a change of the
client, or of the roles and their settings, is measured with bin/bench cpu and PYTHONPATH instead."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import cpu
import harness
import locks
import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="the base tree (migrations/, plpgsql/, rls/)")
    parser.add_argument("--ops", type=int, default=1000, help="measured operations per sample")
    parser.add_argument("--warmup", type=int, default=100, help="untimed operations before each sample")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--only", default="api_lock,api_task", help=f"comma-separated subset of: {','.join(cpu.ORDER)}")
    args = parser.parse_args()
    names = args.only.split(",")
    if unknown := set(names) - set(cpu.ORDER):
        parser.error(f"unknown workload {', '.join(sorted(unknown))}")

    with harness.bench_server() as up:
        assert up.dsn is not None
        admin_dsn = up.admin_dsn
        harness.server_settings(admin_dsn, synchronous_commit="off")
        base_admin = harness.base_database(admin_dsn, args.base)
        dsn = cpu.same_transport(up.dsn, admin_dsn)
        chosen = {}
        for label, adm, client_dsn in (("base", base_admin, psycopg.conninfo.make_conninfo(dsn, dbname="coordbase")),
                                       ("branch", admin_dsn, dsn)):
            cpu.setup(adm)
            chosen[label] = cpu.workloads(client_dsn, adm, locks.agents(adm, "cpu", 1)[0])
        samples: dict[tuple[str, str], list[cpu.Sample]] = {(lab, n): [] for lab in chosen for n in names}
        for r in range(args.rounds):
            order = ["base", "branch"] if r % 2 == 0 else ["branch", "base"]
            for n in names:
                for label in order:
                    s = cpu.sample(chosen[label][n], args.ops, args.warmup)
                    samples[(label, n)].append(s)
                    print(f"round {r + 1}/{args.rounds}  {n:<22} {label:<6} {s.server_us:8,.0f} + "
                          f"{s.client_us:6,.0f} us/op", file=sys.stderr)
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, args.rounds, 0).split(" | ")[:4])
        print(f"{facts} | base {args.base} | {args.rounds} rounds x {args.ops} ops, paired | "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("| workload | server us/op base | branch | client us/op base | branch | paired server ratio "
              "(median, min-max) |")
        print("|---|---|---|---|---|---|")
        for n in names:
            base, branch = samples[("base", n)], samples[("branch", n)]
            ratios = [b.server_us / a.server_us for a, b in zip(base, branch, strict=True)]
            print(f"| {n} | {statistics.median(s.server_us for s in base):,.0f} | "
                  f"{statistics.median(s.server_us for s in branch):,.0f} | "
                  f"{statistics.median(s.client_us for s in base):,.0f} | "
                  f"{statistics.median(s.client_us for s in branch):,.0f} | "
                  f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")


if __name__ == "__main__":
    main()
