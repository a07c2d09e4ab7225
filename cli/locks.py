"""coord lock: file and directory leases with fences."""

from __future__ import annotations

from typing import Any

import click

from coordinator.client import Client
from coordinator.git_fallback import GitFallback

from .context import Invocation, client_command, root_option
from .fallback import fallback_command


@click.group()
def lock() -> None:
    """Acquire, release, renew and list file and directory leases.

    A lease covers its path and everything below it: `src` and `src/` are one node, and a
    lease on either overlaps one on `src/app.py` (a file and a directory cannot share a name,
    so no spelling lets two agents write the same file). PATH is absolute or relative to the
    current directory and is sent relative to the repository root (--root, COORD_ROOT, else
    the git toplevel; a path outside it is CO541); a PATH that is a directory here is sent with
    its trailing / (the database cannot see your disk), so the lease says it is a directory,
    and release and renew find it again.
    Leases are kept per repository (your session's, else your token's, else default; see
    `coord token issue --repository`): the same PATH in two repositories never collides.
    """


@lock.command("acquire")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@click.option("--ttl", help="Lease length, e.g. '10 minutes' (default 15 minutes, max 24 hours).")
@click.option("--mode", type=click.Choice(["exclusive", "shared"]), help="Default exclusive.")
@click.option("--reason", help="Why you need it (shown to others, kept in the audit log).")
@click.option("--wait", help="Wait up to this long (max 60 seconds) for the path to become free (one PATH only).")
@root_option
@fallback_command
def lock_acquire(invocation: Invocation, client: Client | None, git: GitFallback | None, paths: tuple[str, ...],
                 ttl: str | None, mode: str | None, reason: str | None, wait: str | None) -> None:
    """Take a lease on each PATH and everything below it (an existing directory is sent as
    PATH/). Several PATHs (at most 100) are taken all or none in one call (acquire_locks): when
    one is busy or refused, none is taken, and each row says why. Exit 1 when not granted.

    With --fallback git, when the database cannot be reached the lease is taken on the git
    remote instead (one exclusive PATH, no --wait; coord git-sync imports it later)."""
    if git is not None:
        if len(paths) != 1 or wait is not None:
            raise click.UsageError("the git fallback takes one PATH at a time, without --wait")
        invocation.result(git.acquire(invocation.repository_path(paths[0]), ttl=ttl, mode=mode or "exclusive"))
        return
    assert client is not None
    if len(paths) == 1:
        invocation.result(client.acquire_lock(invocation.repository_path(paths[0]), ttl=ttl, reason=reason,
                                              mode=mode, wait=wait))
        return
    if wait is not None:
        raise click.UsageError("--wait waits for one PATH; retry a refused batch instead")
    invocation.results(client.acquire_locks(invocation.repository_paths(paths), ttl=ttl, reason=reason, mode=mode))


@lock.command("release")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@click.option("--fence", "fences", type=int, required=True, multiple=True,
              help="The fence acquire returned; once per PATH, in the same order.")
@root_option
@fallback_command
def lock_release(invocation: Invocation, client: Client | None, git: GitFallback | None, paths: tuple[str, ...],
                 fences: tuple[int, ...]) -> None:
    """Release your lease on each PATH. Several PATHs (at most 100) are released all or none in
    one call (release_locks). Exit 1 when a fence is stale or a lease is gone. With --fallback
    git, when the database cannot be reached the git-fallback lease is released (a fence that
    is no longer the lease's is refused: stale_fence)."""
    if len(fences) != len(paths):
        raise click.UsageError(f"{len(paths)} PATHs need {len(paths)} --fence options, one each, in order")
    if git is not None:
        invocation.results([git.release(path, fence)
                            for path, fence in zip(invocation.repository_paths(paths), fences, strict=True)])
        return
    assert client is not None
    if len(paths) == 1:
        invocation.result(client.release_lock(invocation.repository_path(paths[0]), fences[0]))
        return
    invocation.results(client.release_locks(invocation.repository_paths(paths), list(fences)))


@lock.command("renew")
@click.argument("path")
@click.option("--fence", type=int, required=True)
@click.option("--ttl", help="New lease length from now (default 15 minutes).")
@root_option
@client_command
def lock_renew(invocation: Invocation, client: Client, path: str, fence: int, ttl: str | None) -> None:
    """Extend your live lease on PATH."""
    invocation.result(client.renew_lock(invocation.repository_path(path), fence, ttl))


@lock.command("list")
@click.argument("paths", nargs=-1)
@root_option
@client_command
def lock_list(invocation: Invocation, client: Client, paths: tuple[str, ...]) -> None:
    """Your live leases; with PATHS, who holds anything overlapping them. Both in your
    repository: your session's, else your token's, else default."""
    if paths:
        rows: list[Any] = client.check_locks(invocation.repository_paths(paths))
        columns = ["repository", "path", "locked", "lock_path", "mode", "holder_name", "expires_at", "mine", "fence"]
    else:
        rows = client.my_locks()
        columns = ["repository", "path", "mode", "fence", "expires_at", "reason"]
    invocation.listing(rows, columns, empty="(no live leases)")


COMMANDS = [lock]
