"""The git fallback of coord lock and coord task claim, and coord git-sync (docs/git-fallback.md).

A command decorated with ``fallback_command`` opens its client as ``client_command`` does; when
the database cannot be reached at all (a connection error: refused, timed out, no such host) and
``--fallback git`` (or COORD_FALLBACK=git) is given, it gets a ``GitFallback`` on
``--fallback-remote`` (COORD_FALLBACK_REMOTE) instead. A refusal by a server that answered (a
bad token, a wrong password, a busy lease) never falls back.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click

from coordinator.client import Client
from coordinator.errors import CoordError, registered
from coordinator.git_fallback import GitFallback, is_unreachable, sync

from .context import Invocation, client_command, connection_options, json_option, with_invocation
from .render import cell, emit_json, err, out, table

fallback_option = click.option(
    "--fallback", type=click.Choice(["none", "git"]), envvar="COORD_FALLBACK",
    help="When the database cannot be reached (a connection error, never a refusal), use the shared git "
         "remote --fallback-remote instead (docs/git-fallback.md) [env COORD_FALLBACK].")
remote_option = click.option(
    "--fallback-remote", envvar="COORD_FALLBACK_REMOTE", metavar="URL",
    help="The git remote the fallback keeps leases and claims in (any URL git push accepts) "
         "[env COORD_FALLBACK_REMOTE].")


def git_fallback(invocation: Invocation, remote: str | None) -> GitFallback:
    token = invocation.settings().bearer()
    if not token:
        raise registered("PT401", "no token", hint="pass --token or set COORD_TOKEN: the fallback names you by it")
    if not remote:
        raise registered("CO531", "a connection setting has an invalid value", "--fallback git without a remote",
                         "pass --fallback-remote URL or set COORD_FALLBACK_REMOTE")
    return GitFallback(remote, token, repository=os.environ.get("COORD_REPOSITORY") or "default")


def fallback_command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """client_command with the git fallback: fn(invocation, client, git, ...) where exactly one
    of client and git is None."""

    @functools.wraps(fn)
    def with_client(invocation: Invocation, *args: Any, fallback: str | None, fallback_remote: str | None,
                    **kwargs: Any) -> Any:
        try:
            client = invocation.client()
        except CoordError as exc:
            if fallback != "git" or not is_unreachable(exc):
                raise
            git = git_fallback(invocation, fallback_remote)
            err.print(f"[yellow]the database cannot be reached[/yellow] ({cell(exc.message.splitlines()[0])}); "
                      f"using the git fallback {cell(git.remote)}")
            return fn(invocation, None, git, *args, **kwargs)
        with client:
            return fn(invocation, client, None, *args, **kwargs)

    return connection_options(json_option(fallback_option(remote_option(with_invocation(with_client)))))


@click.command("git-sync")
@click.option("--fallback-remote", envvar="COORD_FALLBACK_REMOTE", metavar="URL", required=True,
              help="The git remote of the fallback [env COORD_FALLBACK_REMOTE].")
@click.option("--dry-run", is_flag=True, help="Show what would be imported and cleared; change nothing.")
@click.option("--all", "clear_all", is_flag=True,
              help="Also clear the expired refs of every holder (an operator's clean-up).")
@client_command
def git_sync(invocation: Invocation, client: Client, fallback_remote: str, dry_run: bool, clear_all: bool) -> None:
    """Import your live git-fallback leases and claims into the database, now that it is back.

    Each lease is taken with acquire_lock (reason naming the fallback ref and fence) and each
    claim with claim_task_by_id, oldest first: the database decides and audits each one as it
    decides any other, so a lease that overlaps a live database lease of another holder is
    refused (busy) and reported. Then your refs are cleared with compare-and-swap deletes
    (a ref someone took over since stays theirs); refs of other holders stay for them.
    Exit 1 when anything was refused."""
    report = sync(git_fallback(invocation, fallback_remote), client, dry_run=dry_run, clear_all=clear_all)
    refused = [row for row in report["leases"] + report["claims"] if row.get("action") == "refused"]
    if invocation.as_json:
        emit_json(report)
    else:
        if report["leases"]:
            table(report["leases"], ["path", "git_fence", "action", "code", "fence", "holder_name", "cleared"],
                  title="leases")
        if report["claims"]:
            table(report["claims"], ["task_id", "git_claim", "action", "code", "claim", "cleared"], title="claims")
        if report["cleared_expired"]:
            table(report["cleared_expired"], ["ref", "path", "task_id", "holder", "cleared"], title="expired refs")
        if not (report["leases"] or report["claims"] or report["cleared_expired"]):
            out.print("(nothing of yours in the git fallback)")
    if refused:
        raise SystemExit(1)


COMMANDS = [git_sync]
