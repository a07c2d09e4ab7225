"""A/B of changed plpgsql/ files on one server: server CPU per api call, base against branch.

Each side is the base tree's or this tree's definitions of the functions the diff changed.

bench/cpu.py compares two servers; on a shared host their spread (±10 %) hides a change of a
few microseconds per call. This runs both sides on one migrated server instead: before each
round it re-creates the changed plpgsql/ files from one tree (CREATE OR REPLACE; nothing else
differs), opens a new client connection (new plans), warms up, and reads the backend's on-CPU
time (/proc/<pid>/schedstat) around ``--ops`` lock pairs and task lifecycles. Rounds alternate
base, branch, branch, base, ... and the table shows each side's median.

Usage: COORD_ADMIN_DSN=... COORD_DSN=... bin/bench inline_ab --base /tmp/base-tree [--rounds 4] [--ops 500]
(the changed files are those of ``git diff --name-status <base commit>`` under plpgsql/;
``--exclude a.sql,b.sql`` keeps those at the base version on both sides).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
from pathlib import Path

import cpu
import psycopg

from coordinator import admin
from coordinator.client import Client

ROOT = Path(__file__).resolve().parent.parent


def changed_files(base_commit: str) -> tuple[list[str], list[str]]:
    """(paths in the base tree, paths in this tree) of the plpgsql/ files the diff touches."""
    out = subprocess.run(["git", "diff", "--name-status", base_commit, "--", "plpgsql/*.sql"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    base, branch = [], []
    for line in filter(None, out):
        status, *paths = line.split("\t")
        if status.startswith("R"):
            base.append(paths[0])
            branch.append(paths[1])
        elif status == "M":
            base.append(paths[0])
            branch.append(paths[0])
        else:
            raise SystemExit(f"inline_ab handles changed and renamed files only: {line}")
    return base, branch


def apply(admin_dsn: str, tree: Path, files: list[str]) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for f in files:
            conn.execute((tree / f).read_text().encode())


def measure(dsn: str, token: str, ops: int, warmup: int) -> dict[str, float]:
    out = {}
    with Client(dsn, token) as client:
        client.authenticate()
        pid = client.connection.execute("select pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        for name, run in (("api_lock", cpu.api_lock_pair), ("api_task", cpu.api_task_lifecycle)):
            for _ in range(warmup):
                run(client)
            before = cpu.backend_cpu_ns(pid)
            for _ in range(ops):
                run(client)
            out[name] = (cpu.backend_cpu_ns(pid) - before) / 1000 / ops
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="a checkout of the base commit")
    parser.add_argument("--commit", default="cc0c6f8", help="the base commit the diff is taken against")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--exclude", default="", help="comma-separated file names to leave at the base version")
    args = parser.parse_args()
    admin_dsn, dsn = os.environ["COORD_ADMIN_DSN"], os.environ["COORD_DSN"]
    base_files, branch_files = changed_files(args.commit)
    excluded = set(filter(None, args.exclude.split(",")))
    pairs = [(a, b) for a, b in zip(base_files, branch_files, strict=True) if Path(b).name not in excluded]
    for a, b in zip(base_files, branch_files, strict=True):
        if Path(b).name in excluded:
            apply(os.environ["COORD_ADMIN_DSN"], args.base, [a])
    base_files, branch_files = [a for a, _ in pairs], [b for _, b in pairs]
    token = admin.add_principal(admin_dsn, f"inline-ab-{os.getpid()}", tenant="bench").token
    sides = {"base": (args.base, base_files), "branch": (ROOT, branch_files)}
    order = [("base", "branch")[(r + r // 2) % 2] for r in range(2 * args.rounds)]  # ABBA...
    results: dict[str, list[dict[str, float]]] = {"base": [], "branch": []}
    for side in order:
        tree, files = sides[side]
        apply(admin_dsn, tree, files)
        results[side].append(measure(dsn, token, args.ops, args.warmup))
        print(side, {k: round(v) for k, v in results[side][-1].items()}, flush=True)
    apply(admin_dsn, ROOT, branch_files)
    print("| workload | base server us/op | branch server us/op | change |")
    print("|---|---|---|---|")
    for name in ("api_lock", "api_task"):
        a = statistics.median(r[name] for r in results["base"])
        b = statistics.median(r[name] for r in results["branch"])
        print(f"| {name} | {a:,.0f} | {b:,.0f} | {100 * (b - a) / a:+.1f} % |")


if __name__ == "__main__":
    main()
