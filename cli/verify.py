"""coord verify: run a verification command for a claimed task and record its outcome.

The command runs here, on the agent's machine (the database cannot run it); its output is
streamed as it comes and hashed, and api.record_verification stores the tier, pass or fail (the
exit status) and the digest. Who may record which tier, which claim it counts for and whether
complete_task may then complete are the database's rules.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
import time

import click

from coordinator.client import Client

from .context import Invocation, client_command

TIERS = ["static", "unit", "integration", "system", "manual"]
NOT_STARTED = 127  # what a shell answers for a command it cannot run


def run_streaming(command: list[str], to_stderr: bool) -> tuple[int, str, int, float]:
    """Runs COMMAND with its output (stdout and stderr, merged) streamed as it comes; returns the exit
    status, the sha256 of the output, its length in bytes and the seconds it took."""
    sink = sys.stderr.buffer if to_stderr else sys.stdout.buffer
    digest = hashlib.sha256()
    size = 0
    started = time.monotonic()
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    except OSError as exc:
        message = f"coord verify: cannot run {command[0]}: {exc.strerror or exc}\n".encode()
        sink.write(message)
        sink.flush()
        digest.update(message)
        return NOT_STARTED, digest.hexdigest(), len(message), time.monotonic() - started
    assert process.stdout is not None
    while chunk := process.stdout.read(65536):  # unbuffered: returns what is there
        sink.write(chunk)
        sink.flush()
        digest.update(chunk)
        size += len(chunk)
    return process.wait(), digest.hexdigest(), size, time.monotonic() - started


@click.command("verify", context_settings={"allow_interspersed_args": False})
@click.option("--task", "task_id", type=int, required=True, help="The claimed task whose work is verified.")
@click.option("--tier", type=click.Choice(TIERS), required=True, help="The verification tier this command checks.")
@click.option("--claim", type=int, help="The claim whose work this verifies [default: the live one at the start].")
@click.option("--executor", default="coord verify", show_default=True, help="What ran it, as the record says.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@client_command
def verify(invocation: Invocation, client: Client, task_id: int, tier: str, claim: int | None, executor: str,
           command: tuple[str, ...]) -> None:
    """Run COMMAND (after --) and record its outcome as a TIER verification of TASK.

    Exit status 0 records pass, anything else fail; the output is streamed (to stderr with
    --json) and its sha256 recorded. Exits with the command's status when it failed, 1 when the
    record was refused, else 0. Example: coord verify --task 42 --tier unit -- pytest -q
    """
    if claim is None:
        # The claim live when the run starts is the one whose work this verifies: a record
        # refused as stale is better than one that counts for a later claim's work.
        claim = client.get_task(task_id).claim
        if claim is None:
            raise click.UsageError(f"task {task_id} is not claimed: only a claimed task's work is verified")
    status, digest, size, seconds = run_streaming(list(command), invocation.as_json)
    result = client.record_verification(
        task_id, tier, executor, "pass" if status == 0 else "fail", digest,
        {"command": shlex.join(command)[:1000], "exit_status": status, "output_bytes": size,
         "seconds": round(seconds, 3)},
        claim)
    invocation.result(result)  # exits 1 when the record was refused
    if status != 0:
        raise SystemExit(status)


COMMANDS = [verify]
