"""coord mcp: the api as an MCP server (stdio or streamable HTTP), and coord mcp install."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from coordinator.errors import CoordError, registered
from coordinator.workspace import repository_root

from .context import Invocation, connection_options, root_option, with_invocation
from .render import err, out
from .session import ttl_seconds


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:8765")
    return host or "127.0.0.1", int(port)


@click.group(invoke_without_command=True)
@click.option("--http", "http", metavar="HOST:PORT",
              help="Serve streamable HTTP at http://HOST:PORT/mcp (every request needs Authorization: Bearer "
                   "<token>) instead of stdio.")
@click.option("--ttl", default="60 seconds", show_default=True,
              help="Session ttl; the server heartbeats at a third of it.")
@click.option("--kind", "kinds", multiple=True,
              help="A task kind you work on (repeatable): the session's capabilities and the kinds of the "
                   "coord://tasks/ready resource.")
@click.option("--pool-size", default=10, show_default=True,
              help="HTTP: database connections shared by all clients (the event loop has one more of its own).")
@click.option("--read-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1, max=3600),
              help="HTTP: seconds a request (its head and body) may take to arrive once it began; a client that "
                   "withholds or trickles it is answered 408 and disconnected.")
@click.option("--repository", envvar="COORD_REPOSITORY",
              help="Repository the sessions' leases are kept in (default: the token's, else default) "
                   "[env COORD_REPOSITORY]; give the hooks the same one.")
@click.option("--skill", envvar="COORD_SKILL",
              help="Run every session under this skill (NAME@VERSION, or NAME for its newest version): its calls "
                   "are held to the skill's manifest [env COORD_SKILL].")
@root_option
@connection_options
@click.pass_context
@with_invocation
def mcp(invocation: Invocation, ctx: click.Context, http: str | None, ttl: str, kinds: tuple[str, ...],
        pool_size: int, read_timeout: float, repository: str | None, skill: str | None) -> None:
    """Serve the api as MCP tools: one tool per api function your role may call, generated from
    the catalog, with resources (your leases, ready tasks, latest handoff, recent audit) and
    prompts. Each MCP connection is one coord session: started on initialize, heartbeated,
    ended on close (its leases released, its claims requeued).

    stdio (default): the token comes from --token / COORD_TOKEN; paths in tool arguments
    (p_path, p_paths, p_locks, p_relevant_files, the locks of submit_tasks' tasks) are relative to
    the repository root (--root, COORD_ROOT, else the git toplevel of the directory the server
    started in), whatever that directory is; absolute
    paths are mapped to the root (outside it is CO541). --http HOST:PORT: one server for many
    agents, each sending its own token as Authorization: Bearer <token>; each MCP session belongs
    to the principal that opened it; their paths are passed on as sent (repository-relative).
    """
    if ctx.invoked_subcommand is not None:
        return
    from coordinator import mcp_server

    settings = invocation.settings()
    dsn = settings.client_dsn()
    session_ttl = timedelta(seconds=ttl_seconds(ttl) or 0)
    if http:
        host, port = _host_port(http)
        def listening(bound: int) -> None:
            err.print(f"coord mcp: listening at http://{host}:{bound}/mcp (Authorization: Bearer <token>)")

        mcp_server.serve_http(dsn, host, port, ttl=session_ttl, kinds=kinds, pool_size=pool_size,
                              ready=listening, repository=repository, skill=skill, read_timeout=read_timeout)
        return
    token = settings.bearer()
    if not token:
        raise registered("PT401", "no token", hint="set COORD_TOKEN (or --token); coord agent add prints one")
    mcp_server.serve_stdio(dsn, token, ttl=session_ttl, kinds=kinds, root=_root_or_none(invocation.root),
                           repository=repository, skill=skill)


def _root_or_none(explicit: Path | None) -> Path | None:
    """The repository the stdio server's paths are relative to; none outside a repository
    (then paths pass on as sent, and the database refuses absolute ones)."""
    try:
        return repository_root(Path.cwd(), explicit)
    except CoordError:
        if explicit is not None:
            raise
        return None


@mcp.command("install")
@click.option("--client", "client_name", required=True, type=click.Choice(["claude-code", "codex", "cursor"]))
@click.option("--scope", type=click.Choice(["project", "user"]), default=None,
              help="project: a file in this directory (Codex: .codex/config.toml); user: your home directory. "
                   "Default: project, except Codex (user).")
@click.option("--dry-run", is_flag=True, help="Show the diff, write nothing.")
@click.option("--hooks", is_flag=True, help="Claude Code: also add the coord hooks to .claude/settings.json.")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="The project directory (default: the current one).")
@click.option("--command", "command", default="coord", show_default=True, help="How the client starts coord.")
@with_invocation
def mcp_install(invocation: Invocation, client_name: str, scope: str | None, dry_run: bool, hooks: bool,
                project_dir: Path, command: str) -> None:
    """Add the coord MCP server to a coding agent's own config file, idempotently, showing the
    diff. No token is written: the entry passes COORD_TOKEN and COORD_DSN on from the environment."""
    from coordinator.mcp_install import plan

    scope = scope or ("user" if client_name == "codex" else "project")
    change = plan(client_name, scope, project=project_dir.resolve(), home=Path.home(), command=command)
    if not change.changed:
        out.print(f"{change.path}: coord already configured (no change)")
    else:
        click.echo(change.diff(), nl=False)
        if dry_run:
            out.print(f"dry run: {change.path} not written")
        else:
            change.write()
            out.print(f"wrote {change.path}")
    if hooks:
        _install_hooks(client_name, scope, project_dir, dry_run)


def _install_hooks(client_name: str, scope: str, project_dir: Path, dry_run: bool) -> None:
    """The Claude Code hooks beside the MCP server (coord hook install does the same)."""
    if client_name != "claude-code":
        raise click.UsageError("--hooks is for --client claude-code")
    from .hooks import claude_code_settings_path, install_claude_code_hooks

    root = project_dir.resolve()
    diff = install_claude_code_hooks(root, scope, dry_run)
    path = claude_code_settings_path(root, scope)
    if not diff:
        out.print(f"{path}: coord's hooks already installed (no change)")
    else:
        click.echo(diff, nl=False)
        out.print(f"dry run: {path} not written" if dry_run else f"wrote {path}")


COMMANDS = [mcp]
