"""Guardrail check cost: api.check_operation against api.check_network (the cheapest audited
api call) side by side, for a harmless command, a blocked one, and the whole golden corpus.

    bin/bench guardrails --clients 1,4 --seconds 3 --rounds 2
"""

from __future__ import annotations

import argparse
import itertools
import sys
from contextlib import ExitStack
from pathlib import Path

import harness
from harness import Op, Tally, Workload
from locks import agents

from coordinator.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_guardrails_corpus import DANGEROUS, HARMLESS


def check_network(dsn: str, tokens: list[str]) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))

        def op() -> Tally:
            client.check_network("pypi.org")
            return Tally(1)
        return op
    return Workload("check_network", make_op)


def check(name: str, dsn: str, tokens: list[str], operations: list[tuple[str, str]]) -> Workload:
    def make_op(i: int, stack: ExitStack) -> Op:
        client = stack.enter_context(Client(dsn, tokens[i]))
        cycle = itertools.cycle(operations)

        def op() -> Tally:
            client.check_operation(*next(cycle))
            return Tally(1)
        return op
    return Workload(name, make_op, baselines=("check_network",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    with harness.bench_server() as up:
        dsn, admin_dsn = up.dsn, up.admin_dsn
        assert dsn is not None
        workloads = [
            check_network(dsn, agents(admin_dsn, "net", max(levels))),
            check("check_harmless", dsn, agents(admin_dsn, "harmless", max(levels)),
                  [("command", "git push origin main")]),
            check("check_blocked", dsn, agents(admin_dsn, "blocked", max(levels)),
                  [("command", "sudo bash -lc 'rm -rf /'")]),
            check("check_corpus", dsn, agents(admin_dsn, "corpus", max(levels)), DANGEROUS + HARMLESS),
        ]
        results = harness.run(workloads, levels, args.rounds, args.seconds)
        print(harness.header(up, args.rounds, args.seconds))
        print()
        print("\n".join(harness.render(workloads, levels, results)))


if __name__ == "__main__":
    main()
