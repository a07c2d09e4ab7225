"""Fault injection at full size (tests/test_faults.py runs the same code small in CI): not a
benchmark of speed but of what survives. Each part runs on an embedded server of its own in a
temporary directory, with fsync on and synchronous_commit on (durable defaults), never the
shared test cluster.

* crash      8 clients (7 agents: locks, tasks with leases and dependencies, sessions,
             guardrail checks; 1 operator: audit queries) through the Python client while the
             server is killed (SIGKILL of the postmaster and pg_ctl stop -m immediate by turns)
             and restarted, --cycles times. After each restart: acknowledged commits missing,
             double completions, overlapping exclusive leases, acknowledged mutations without
             their audit event, the audit chain (audit.verify_chain per tenant).
* killed     pg_terminate_backend of a random client waiting inside complete_task (after it
             dropped the task's lease, completed the task and wrote the audit event), and of an
             acquire_lock holding its advisory locks, --rounds times each.
* frozen     an agent process holding a session lease, a sessionless lease and a claim is
             SIGSTOPped, the clock moves past every expiry, others take over, SIGCONT: 13 calls
             with its old fences and claim, --rounds times.
* disk       the data directory on a 96 MB tmpfs filled during writes (heap full, then WAL full),
             --rounds times each (needs root to mount the tmpfs).

Usage: bin/bench faults [--cycles 20] [--calls 150] [--rounds 10] [--parts crash,killed,frozen,disk]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import faults  # noqa: E402  (the fault code the tests run small)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def crash(args: argparse.Namespace) -> list[str]:
    started = time.monotonic()
    with faults.fault_server(durable=True) as server:
        report = faults.crash_cycles(server, cycles=args.cycles, clients=8, calls_per_cycle=args.calls,
                                     seed=args.seed, progress=say)
    totals = report.totals()
    ambiguous = report.checks[-1].ambiguous
    retried = ", ".join(f"{k} {v}" for k, v in sorted(report.retried.items())) or "none"
    return [
        f"crash: {report.cycles} cycles (SIGKILL of the postmaster and pg_ctl stop -m immediate by turns), "
        f"8 clients, {report.acknowledged:,} calls acknowledged, {report.submitted:,} tasks submitted, "
        f"{report.completed:,} completed, {ambiguous} calls cut by a crash (answer lost), "
        f"{time.monotonic() - started:.0f} s",
        f"  after every restart: {totals['missing']} acknowledged commits missing, {totals['doubled']} double "
        f"completions, {totals['overlapping']} overlapping exclusive leases, {totals['unaudited']} acknowledged "
        f"mutations without their audit event, chain verified {report.cycles - totals['chain_broken']}/"
        f"{report.cycles}",
        f"  retries of calls whose answer was lost: {retried}",
        *(f"  cycle {n}: {c.missing[:3]} {c.doubled[:3]} {c.overlapping[:3]} {c.unaudited[:3]} {c.chain}"
          for n, c in enumerate(report.checks, 1) if not c.clean),
    ]


def killed(args: argparse.Namespace) -> list[str]:
    rng = random.Random(args.seed)
    lines = []
    with faults.fault_server(durable=True) as server:
        for name, run in (("complete_task", lambda: faults.killed_completion(server, rng, clients=8)),
                          ("acquire_lock", lambda: faults.killed_acquire(server, rng))):
            partial = leaks = 0
            errors: Counter[str] = Counter()
            retries: Counter[str] = Counter()
            for n in range(args.rounds):
                report = run()
                partial += len(report.partial)
                leaks += len(report.leaks)
                errors[report.killed_error.split(":")[0]] += 1
                retries[report.retry] += 1
                say(f"killed {name} {n + 1}/{args.rounds}: {report}")
            lines.append(f"killed {name}: {args.rounds} rounds, {partial} partial writes visible, {leaks} leaks "
                         f"(advisory locks, leases, missing or extra events), killed client told "
                         f"{dict(errors)}, retry answered {dict(retries)}")
    return lines


def frozen(args: argparse.Namespace) -> list[str]:
    rng = random.Random(args.seed)
    refused: Counter[str] = Counter()
    accepted = overwritten = 0
    with faults.fault_server(durable=True) as server:
        for n in range(args.rounds):
            report = faults.frozen_agent(server, rng)
            refused.update(report.refused.values())
            accepted += len(report.accepted)
            overwritten += len(report.overwritten)
            say(f"frozen {n + 1}/{args.rounds}: {report}")
    return [f"frozen: {args.rounds} rounds x 13 calls with old fences and claims: {accepted} accepted, "
            f"{overwritten} overwrites of the new holders' leases or claim; refused as "
            f"{', '.join(f'{k} {v}' for k, v in sorted(refused.items()))}"]


def disk(args: argparse.Namespace) -> list[str]:
    if os.geteuid() != 0:
        return ["disk: not run (mounting a tmpfs needs root)"]
    lines = []
    for wal in (False, True):
        name = "WAL full (pg_switch_wal on the full disk)" if wal else "heap full"
        acked = missing = crashed = broken = 0
        refused: Counter[str] = Counter()
        after: Counter[str] = Counter()
        for n in range(args.rounds):
            with faults.small_tmpfs("96m") as mount:
                server = faults.FaultServer(mount, durable=True)
                try:
                    report = faults.disk_full(server, clients=4, refusals=5, switch_wal=wal)
                finally:
                    server.close()
            acked += report.acknowledged
            missing += report.missing
            crashed += report.crashed
            broken += report.chain.get("ok") is not True
            after[report.after_free] += 1
            for reason, count in report.refused.items():
                refused[reason.split(":")[0]] += count
            say(f"disk {name} {n + 1}/{args.rounds}: {report}")
        lines.append(f"disk, {name}: {args.rounds} rounds, {acked:,} writes acknowledged, {missing} missing, "
                     f"refusals by code {dict(refused)}, server crashed and restarted itself in {crashed} rounds, "
                     f"first write after freeing space {dict(after)}, chain broken in {broken} rounds")
    return lines


PARTS = {"crash": crash, "killed": killed, "frozen": frozen, "disk": disk}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=20, help="server crashes in the crash part")
    parser.add_argument("--calls", type=int, default=150, help="calls acknowledged between two crashes")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the killed, frozen and disk parts")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    print(f"# {datetime.date.today().isoformat()} | {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()} | Python {platform.python_version()} | PostgreSQL 18 embedded, "
          f"fsync=on, synchronous_commit=on | bin/bench faults {' '.join(sys.argv[1:])}")
    for part in args.parts.split(","):
        for line in PARTS[part](args):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
