"""Where a call's server CPU goes inside PostgreSQL: the backend's on-CPU samples (perf, with
call stacks) of one bin/bench cpu workload, sorted into the engine's parts.

bin/bench profile says which PL/pgSQL function and statement spend the time; this says what the
server does with it: setting up each PL/pgSQL expression again in every transaction, starting the
executor for each nested statement, checking cached plans, parsing CHECK constraints and trigger
WHEN clauses from their text for every statement that writes, JSON, SHA-256, index and heap
writes, WAL, commit. Those costs are spread over every function and statement, which is why
trimming one function at a time moves the total by a percent or two.

One workload of bin/bench cpu (api_lock by default) runs on one connection: --warmup untimed
operations, then --ops operations while `perf record --call-graph dwarf` samples that backend
only. Each sample goes to the part named by the innermost frame of its stack that names one (a
CHECK parsed inside the executor's start counts as the parse, not as the start; a catalog lookup
made while a PL/pgSQL expression is set up counts as the setup); stacks deeper than
perf's copy of the stack lose their outer frames, so the outer parts (the PL/pgSQL interpreter,
the executor's run) read a little low. us/op is the part's share of the samples times the
backend's on-CPU time per operation over the same window (schedstat, as bin/bench cpu).

Needs `perf` (Debian: linux-perf) and a kernel that lets root sample a process.

Usage: bin/bench cpumap [--only api_lock,api_task] [--ops 3000] [--warmup 200] [--frequency 997] [--stacks]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import cpu
import harness
import locks

# The parts: a sample goes to the part its innermost naming frame names (the first in this list
# when a frame would match two).
PARTS: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(pattern)) for name, pattern in [
    ("CHECK / trigger WHEN parsed from text", r"^stringToNode$"),
    ("SHA-256", r"^(SHA256_|pg_cryptohash_|sha256_bytea|pg_sha256_)"),
    ("JSON", r"(?i)json"),
    ("WAL records", r"^(XLogInsert|XLogInsertRecord|XLogRegister)"),
    ("index writes", r"^(ExecInsertIndexTuples|index_insert|btinsert|_bt_doinsert)$"),
    ("heap writes", r"^(heap_insert|heap_update|heap_delete|heap_multi_insert|simple_heap_)"),
    ("PL/pgSQL expression setup (each transaction)", r"^ExecInitExprWithParams$"),
    ("ACL checks of a statement", r"^ExecCheckPermissions$"),
    ("plan cache checks and locks", r"^(GetCachedPlan|RevalidateCachedQuery|AcquireExecutorLocks"
                                    r"|CachedPlanIsSimplyValid|CheckCachedPlan|AcquirePlannerLocks)$"),
    ("planning", r"^(standard_planner|pg_plan_queries|pg_plan_query|BuildCachedPlan)$"),
    ("executor start of a statement", r"^(standard_ExecutorStart|ExecInitNode|InitPlan)$"),
    ("executor end of a statement", r"^(standard_ExecutorEnd|ExecEndNode|FreeExecutorState|ExecEndPlan)$"),
    ("trigger queue", r"^(AfterTrigger|ExecAR|ExecBR)"),
    ("GUC and SET clauses", r"^(set_config_option|set_config_with_handle|AtEOXact_GUC|NewGUCNestLevel|ProcessGUCArray"
                            r"|set_config_by_name|GetConfigOption|current_setting|show_config_by_name)"),
    ("function entry (SET clauses, security definer)", r"^fmgr_security_definer$"),
    ("commit and transaction start/end", r"^(CommitTransaction|StartTransaction|AbortTransaction|CleanupTransaction)$"),
    ("protocol: parse, bind, send", r"^(exec_parse_message|exec_bind_message|pq_|socket_|internal_flush|ReadCommand"
                                    r"|printtup|SendRowDescriptionMessage)"),
    ("PL/pgSQL interpreter", r"^(plpgsql_|exec_stmt|exec_assign|exec_eval|exec_move_row|copy_plpgsql_datums)"),
    ("expressions and scans (executor run)", r"^(standard_ExecutorRun|ExecInterpExpr|ExecScan|ExecProcNode)"),
]]
OTHER = "other"


def part_of(stack: list[str]) -> str:
    """The part a sample's stack (leaf first) belongs to."""
    for frame in stack:
        for name, pattern in PARTS:
            if pattern.search(frame):
                return name
    return OTHER


def read_stacks(script: str) -> list[list[str]]:
    """The stacks (leaf first, symbol names only) of `perf script -F comm,pid,ip,sym`'s text."""
    stacks: list[list[str]] = []
    current: list[str] | None = None
    for line in script.splitlines():
        if not line.strip():
            if current:
                stacks.append(current)
            current = None
        elif not line[0].isspace():
            current = []
        elif current is not None:
            fields = line.split(None, 1)
            if len(fields) == 2:
                current.append(fields[1].split(" (")[0].split("+0x")[0])
    if current:
        stacks.append(current)
    return stacks


def record(workload: cpu.CpuWorkload, ops: int, warmup: int, frequency: int,
           data: Path) -> tuple[float, list[list[str]]]:
    """The backend's on-CPU us per op over --ops operations, and its sampled stacks."""
    with ExitStack() as stack:
        conn, op = workload.make(stack)
        pid = conn.info.backend_pid
        for _ in range(warmup):
            op()
        perf = subprocess.Popen(["perf", "record", "-q", "-F", str(frequency), "-p", str(pid),
                                 "--call-graph", "dwarf,32768", "-o", str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # perf attaches asynchronously: wait until it has written its header, not a fixed time
        deadline = time.monotonic() + 30
        while (not data.exists() or data.stat().st_size == 0) and perf.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if perf.poll() is not None:
            raise SystemExit(f"perf record failed: {perf.stderr.read() if perf.stderr else ''}")
        server0 = cpu.backend_cpu_ns(pid)
        for _ in range(ops):
            op()
        server1 = cpu.backend_cpu_ns(pid)
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=120)
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,pid,ip,sym"],
                            capture_output=True, text=True, check=True).stdout
    return (server1 - server0) / 1000 / (ops * workload.items), read_stacks(script)


def render(name: str, server_us: float, stacks: list[list[str]], top_stacks: int) -> list[str]:
    counts = collections.Counter(part_of(s) for s in stacks)
    total = sum(counts.values()) or 1
    lines = [f"#### {name}: {server_us:,.0f} us of server CPU per op, {total:,} samples", "",
             "| part | share | us per op |", "|---|---|---|"]
    for part, n in counts.most_common():
        lines.append(f"| {part} | {n / total:.1%} | {server_us * n / total:,.0f} |")
    if top_stacks:  # each part's commonest innermost frames
        leaves = collections.Counter((part_of(s), " < ".join(s[:3])) for s in stacks)
        lines += ["", "| part | innermost frames (leaf < caller < caller) | share |", "|---|---|---|"]
        for part, _ in counts.most_common():
            lines += [f"| {part} | `{k}` | {n / total:.1%} |"
                      for (p, k), n in leaves.most_common() if p == part][:top_stacks]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="api_lock", help=f"comma-separated subset of: {','.join(cpu.ORDER)}")
    parser.add_argument("--ops", type=int, default=3000, help="sampled operations per workload")
    parser.add_argument("--warmup", type=int, default=200, help="untimed operations before sampling")
    parser.add_argument("--frequency", type=int, default=997, help="samples per second of CPU")
    parser.add_argument("--stacks", type=int, default=0, metavar="N", help="also list the N commonest innermost frames")
    args = parser.parse_args()
    names = args.only.split(",")
    if unknown := set(names) - set(cpu.ORDER):
        parser.error(f"unknown workload {', '.join(sorted(unknown))}; choose from {', '.join(cpu.ORDER)}")
    if shutil.which("perf") is None:
        sys.exit("bin/bench cpumap needs perf (Debian: apt install linux-perf)")

    with harness.bench_server() as up, tempfile.TemporaryDirectory(prefix="cpumap-") as tmp:
        assert up.dsn is not None
        cpu.setup(up.admin_dsn)
        harness.server_settings(up.admin_dsn, synchronous_commit="off")
        token = locks.agents(up.admin_dsn, "cpumap", 1)[0]
        chosen = cpu.workloads(cpu.same_transport(up.dsn, up.admin_dsn), up.admin_dsn, token)
        out: list[str] = []
        for name in names:
            print(f"sampling {name} ({args.ops} ops)", file=sys.stderr)
            server_us, stacks = record(chosen[name], args.ops, args.warmup, args.frequency, Path(tmp, f"{name}.data"))
            out += [*render(name, server_us, stacks, args.stacks), ""]
        load = os.getloadavg()
        facts = " | ".join(harness.header(up, 1, 0).split(" | ")[:4])
        print(f"{facts} | {args.ops} ops per workload, perf at {args.frequency} Hz | "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()
        print("\n".join(out))


if __name__ == "__main__":
    main()
