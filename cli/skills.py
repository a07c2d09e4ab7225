"""coord skills: permission manifests a session may run under (docs/skills.md)."""

from __future__ import annotations

from pathlib import Path

import click

from coordinator.client import Client
from coordinator.skills import load_document

from .context import Invocation, client_command

COLUMNS = ["name", "version", "registered_by", "registered_at", "retired_at", "live_sessions", "approval_id"]


@click.group()
def skills() -> None:
    """Skills: named, versioned permission manifests {network, files, env}. A session started
    with --skill NAME@VERSION is held to its skill's manifest as well as to its profile."""


@skills.command("register")
@click.argument("name")
@click.argument("version")
@click.argument("manifest", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--reason", help="Why (kept in the audit log and in an approval request).")
@click.option("--approval", type=int, help="The approval id a needs_approval answer gave, once it is granted.")
@client_command
def skills_register(invocation: Invocation, client: Client, name: str, version: str, manifest: Path,
                    reason: str | None, approval: int | None) -> None:
    """Register VERSION (MAJOR.MINOR.PATCH) of skill NAME with the manifest in MANIFEST (YAML or
    JSON; - reads stdin). Versions are immutable and only grow. A manifest wider than the
    previous version's needs an approval when an agent registers it: the answer is
    needs_approval with an approval id; once granted, repeat with --approval ID."""
    invocation.result(client.register_skill(name, version, load_document(manifest), reason=reason, approval=approval))


@skills.command("list")
@click.option("--name", help="Only the versions of this skill.")
@click.option("--all", "include_retired", is_flag=True, help="Include retired versions.")
@client_command
def skills_list(invocation: Invocation, client: Client, name: str | None, include_retired: bool) -> None:
    """Skill versions of your tenant, newest first."""
    invocation.listing(client.list_skills(name, include_retired), COLUMNS, empty="(no skills)")


@skills.command("show")
@click.argument("skill")
@client_command
def skills_show(invocation: Invocation, client: Client, skill: str) -> None:
    """One skill version (NAME@VERSION, or NAME for its newest version) with its manifest."""
    rows = client.get_skill(skill)
    if invocation.as_json:
        invocation.json(rows[0] if rows else None)
        return
    invocation.listing(rows, COLUMNS)
    for row in rows:
        manifest = row.manifest or {}
        for domain in manifest.get("network", []):
            click.echo(f"network  {domain}")
        for entry in manifest.get("files", []):
            click.echo(f"files    {entry['path']} ({entry['access']})")
        for variable in manifest.get("env", []):
            click.echo(f"env      {variable}")


@skills.command("retire")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--reason", help="Why (kept in the audit log).")
@client_command
def skills_retire(invocation: Invocation, client: Client, name: str, version: str | None, reason: str | None) -> None:
    """Retire VERSION of skill NAME (every version without VERSION): no session starts under it
    any more; running sessions stay held to it."""
    invocation.result(client.retire_skill(name, version, reason))


@skills.command("validate")
@click.argument("skill")
@click.argument("operations", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@client_command
def skills_validate(invocation: Invocation, client: Client, skill: str, operations: Path) -> None:
    """Dry run: what a session running SKILL would be answered for each operation in OPERATIONS
    (YAML or JSON list of {kind: network, domain}, {kind: lock, path, mode}, {kind: path, path},
    {kind: env, name}). Writes nothing. Exit 1 when any operation is refused."""
    rows = client.validate_skill(skill, load_document(operations, "operations"))
    invocation.listing(rows, ["position", "kind", "target", "code", "needs", "reason"], empty="(no operations)")
    if any(not row.allowed for row in rows):
        raise SystemExit(1)


COMMANDS = [skills]
