"""Soak: the queue state machine of tests/test_queue_state_machine.py for many more steps than
CI runs (10,000), on its own embedded server. Not a benchmark of speed: it looks for rare
interleavings (claim races, dying sessions, zombies, moving clock) that break an invariant.

Usage: bin/bench soak [--steps 200000] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200_000,
                        help="state machine steps (calls that reached the database)")
    args, extra = parser.parse_known_args()
    env = {**os.environ, "COORD_QUEUE_STEPS": str(args.steps)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/test_queue_state_machine.py", "tests/test_lock_state_machine.py", *extra]
    print(f"soak: {args.steps:,} queue steps: {' '.join(command)}", flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
