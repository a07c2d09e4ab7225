"""coord task: the work queue."""

from __future__ import annotations

import json
from typing import Any

import click

from coordinator.client import Client, parse_json
from coordinator.git_fallback import GitFallback

from .context import Invocation, client_command, root_option
from .fallback import fallback_command
from .render import cell, out, plain


def _json_arg(value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return parse_json(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from None


def _ids(value: str | None) -> list[int] | None:
    return [int(v) for v in value.split(",") if v.strip()] if value else None


@click.group()
def task() -> None:
    """Submit, claim, complete and inspect tasks of the work queue."""


@task.command("submit")
@click.argument("kind")
@click.option("--payload", help="JSON payload (at most 64 KiB).")
@click.option("--priority", type=int, help="-1000..1000, higher first (default 0).")
@click.option("--depends-on", help="Comma-separated task ids that must complete first.")
@click.option("--run-after", help="Not before this timestamp.")
@click.option("--max-attempts", type=int, help="1..100 (default 3).")
@click.option("--required-trust", type=int, help="0..4: claimants need at least this trust.")
@click.option("--unique-key", help="Dedupes pending work of the kind.")
@click.option("--lock", "locks", multiple=True,
              help="A path the claim leases exclusively, with everything below it (repeatable).")
@click.option("--verify", "verify", multiple=True,
              type=click.Choice(["static", "unit", "integration", "system", "manual"]),
              help="A verification tier that needs a passing record (coord verify) before the task completes "
                   "(repeatable).")
@root_option
@client_command
def task_submit(invocation: Invocation, client: Client, kind: str, payload: str | None, priority: int | None,
                depends_on: str | None, run_after: str | None, max_attempts: int | None,
                required_trust: int | None, unique_key: str | None, locks: tuple[str, ...],
                verify: tuple[str, ...]) -> None:
    """Queue a task of KIND."""
    invocation.result(client.submit_task(kind, _json_arg(payload, "--payload"), priority=priority,
                                         depends_on=_ids(depends_on), run_after=run_after,
                                         max_attempts=max_attempts, required_trust=required_trust,
                                         unique_key=unique_key, locks=invocation.repository_paths(locks) or None,
                                         verify=list(verify) or None))


@task.command("claim")
@click.argument("kinds", nargs=-1)
@click.option("--lease", help="Claim lease, e.g. '5 minutes' (default).")
@click.option("--wait", type=float, default=0, show_default=True,
              help="Seconds to wait for work (LISTEN/NOTIFY wake-up, re-checked every 2 s).")
@click.option("--task-id", type=int,
              help="Claim this task (one you know of) instead of the best ready one of KINDS; the form the "
                   "git fallback takes, since the queue itself is in the database.")
@fallback_command
def task_claim(invocation: Invocation, client: Client | None, git: GitFallback | None, kinds: tuple[str, ...],
               lease: str | None, wait: float, task_id: int | None) -> None:
    """Claim the best ready task of KINDS, or the task --task-id. Exit 1 when there is none.

    With --fallback git and --task-id, when the database cannot be reached the claim is taken
    on the git remote instead (coord git-sync imports it later)."""
    if (task_id is None) == (not kinds):
        raise click.UsageError("pass KINDS, or --task-id N (not both)")
    if git is not None:
        if task_id is None:
            raise click.UsageError("the queue is in the database: the git fallback claims a --task-id you know of")
        invocation.result(git.claim(task_id, lease))
        return
    assert client is not None
    if task_id is not None:
        invocation.result(client.claim_task_by_id(task_id, lease))
        return
    invocation.result(client.wait_for_task(list(kinds), lease, wait=wait))


@task.command("complete")
@click.argument("task_ids", metavar="[TASK_ID...]", type=int, nargs=-1)
@click.option("--claim", "claims", type=int, multiple=True,
              help="The claim token claim returned; once per TASK_ID, in the same order.")
@click.option("--result", help="JSON result (at most 64 KiB), the same for every TASK_ID.")
@click.option("--batch", type=click.File("r"),
              help='A JSON array of {"task_id", "claim", "result"} (a file, or - for stdin) instead of TASK_IDs.')
@client_command
def task_complete(invocation: Invocation, client: Client, task_ids: tuple[int, ...], claims: tuple[int, ...],
                  result: str | None, batch: Any) -> None:
    """Complete TASK_ID with your live claim. Several TASK_IDs, or a --batch of up to 1000, are
    completed all or none in one call (complete_tasks): when one claim is stale, none is
    completed, and each row says why. Exit 1 when not completed."""
    if batch is not None:
        if task_ids or claims or result is not None:
            raise click.UsageError("--batch replaces TASK_IDs, --claim and --result")
        invocation.results(client.complete_tasks(_json_arg(batch.read(), "--batch")))
        return
    if not task_ids or len(claims) != len(task_ids):
        raise click.UsageError("pass TASK_IDs with one --claim each, in order (or --batch FILE)")
    payload = _json_arg(result, "--result")
    if len(task_ids) == 1:
        invocation.result(client.complete_task(task_ids[0], claims[0], payload))
        return
    invocation.results(client.complete_tasks([
        {"task_id": t, "claim": c, **({"result": payload} if payload is not None else {})}
        for t, c in zip(task_ids, claims, strict=True)]))


@task.command("fail")
@click.argument("task_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim token claim returned.")
@click.option("--error", "error_text", required=True, help="What went wrong.")
@click.option("--final", is_flag=True, help="Not retryable: the task fails for good.")
@client_command
def task_fail(invocation: Invocation, client: Client, task_id: int, claim: int, error_text: str,
              final: bool) -> None:
    """Report that your claim on TASK_ID failed (retried with backoff unless --final)."""
    invocation.result(client.fail_task(task_id, claim, error_text, retryable=not final))


@task.command("cancel")
@click.argument("task_id", type=int)
@client_command
def task_cancel(invocation: Invocation, client: Client, task_id: int) -> None:
    """Cancel TASK_ID and the tasks that depend on it."""
    invocation.result(client.cancel_task(task_id))


@task.command("redrive")
@click.argument("task_id", type=int)
@client_command
def task_redrive(invocation: Invocation, client: Client, task_id: int) -> None:
    """Operators: return a dead or failed TASK_ID to the queue."""
    invocation.result(client.redrive_task(task_id))


@task.command("prune")
@click.option("--finished-before", default="7 days", show_default=True,
              help="Delete completed, failed and cancelled tasks that finished longer ago than this.")
@client_command
def task_prune(invocation: Invocation, client: Client, finished_before: str) -> None:
    """Operators: delete old finished tasks (their history stays in the audit log)."""
    invocation.result(client.prune_tasks(finished_before))


@task.command("get")
@click.argument("task_id", type=int)
@client_command
def task_get(invocation: Invocation, client: Client, task_id: int) -> None:
    """Show one task."""
    row = client.get_task(task_id)
    if invocation.as_json:
        invocation.json(row)
    else:
        for key, value in plain(row).items():
            out.print(f"{key}: {cell(value)}")


@task.command("verifications")
@click.argument("task_id", type=int)
@client_command
def task_verifications(invocation: Invocation, client: Client, task_id: int) -> None:
    """The verification records of TASK_ID (coord verify, CI, reviewers), oldest first."""
    invocation.listing(client.list_verifications(task_id),
                       ["verification_id", "claim", "tier", "status", "executor", "recorded_by", "recorded_at",
                        "output_digest"], empty="(no verification records)")


@task.command("list")
@click.option("--state", type=click.Choice(["queued", "claimed", "completed", "failed", "cancelled", "dead"]))
@click.option("--kind")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before-id", type=int, help="Page: tasks older than this id.")
@client_command
def task_list(invocation: Invocation, client: Client, state: str | None, kind: str | None, limit: int,
              before_id: int | None) -> None:
    """Tasks of your tenant, newest first."""
    invocation.listing(client.list_tasks(state=state, kind=kind, limit=limit, before_id=before_id),
                       ["task_id", "kind", "state", "priority", "attempts", "pending_deps", "claimed_by",
                        "lease_expires_at", "last_event"], empty="(no tasks)")


COMMANDS = [task]
