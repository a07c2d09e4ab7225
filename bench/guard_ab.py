"""Server CPU per guardrail check of two SQL trees side by side, over the whole tuning corpus: one
embedded server, database coord migrated from this checkout and coordbase from the tree --base
names, rounds alternating base and branch (the order flipped each round), one agent each.

As bin/bench cpu_ab does for the lock and task paths: both databases share the server and the
host's load at the moment of each pair, so the paired ratio shows a change of the guardrail
normalizer where two separate runs on a shared host scatter. Each round checks every entry of
tests/guardrail_corpus's tuning part (commands, SQL and paths) once through
Client.check_operation after 50 untimed ones, and reads the backend's on-CPU time
(/proc/<pid>/schedstat). Heavy-tailed: the mean per check is well above the p50 that
bin/bench guardrails reports.

Usage: bin/bench guard_ab --base TREE [--rounds 4]
"""

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

from coordinator.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_guardrails_corpus import DANGEROUS, HARMLESS

WARMUP = 50


def server_us_per_check(dsn: str, token: str, corpus: list[tuple[str, str]]) -> float:
    with Client(dsn, token) as client:
        client.authenticate()  # connect and load the catalog before measuring
        pid = client.connection.info.backend_pid
        for kind, text in corpus[:WARMUP]:
            client.check_operation(kind, text)
        before = cpu.backend_cpu_ns(pid)
        for kind, text in corpus:
            client.check_operation(kind, text)
        return (cpu.backend_cpu_ns(pid) - before) / 1000 / len(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="the base tree (migrations/, plpgsql/, rls/)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    corpus = [*HARMLESS, *DANGEROUS]

    with harness.bench_server() as up:
        assert up.dsn is not None
        admin_dsn = up.admin_dsn
        harness.server_settings(admin_dsn, synchronous_commit="off")
        base_admin = harness.base_database(admin_dsn, args.base)
        dsn = cpu.same_transport(up.dsn, admin_dsn)
        base_dsn = psycopg.conninfo.make_conninfo(dsn, dbname="coordbase")
        targets = {"base": (base_dsn, locks.agents(base_admin, "guard", 1)[0]),
                   "branch": (dsn, locks.agents(admin_dsn, "guard", 1)[0])}
        samples: dict[str, list[float]] = {label: [] for label in targets}
        for r in range(args.rounds):
            for label in (["base", "branch"] if r % 2 == 0 else ["branch", "base"]):
                us = server_us_per_check(*targets[label], corpus)
                samples[label].append(us)
                print(f"round {r + 1}/{args.rounds}  {label:<6} {us:8,.0f} us/check", file=sys.stderr)
        ratios = [b / a for a, b in zip(samples["base"], samples["branch"], strict=True)]
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, args.rounds, 0).split(" | ")[:4])
        print(f"{facts} | base {args.base} | {args.rounds} rounds x {len(corpus)} checks, paired | "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("| server us per check, base | branch | paired ratio (median, min-max) |")
        print("|---|---|---|")
        print(f"| {statistics.median(samples['base']):,.0f} | {statistics.median(samples['branch']):,.0f} | "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")


if __name__ == "__main__":
    main()
