"""Who may act: coord agent, device, token and login (credential tiers), and coord apply (team files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from coordinator import admin
from coordinator.client import Client
from coordinator.errors import EXIT_NOT_OK

from .context import (
    Invocation,
    admin_dsn_option,
    client_command,
    connection_options,
    data_dir_option,
    json_option,
    with_invocation,
)
from .render import emit_json, out, show_result, table


def _scopes(value: str | None) -> list[str] | None:
    return [s.strip() for s in value.split(",") if s.strip()] if value else None


def _show_grant(grant: Any, as_json: bool) -> None:
    if as_json:
        emit_json(grant)
        if not grant.ok:
            sys.exit(EXIT_NOT_OK)
        return
    if not grant.ok:
        show_result(grant, False)
    out.print(f"{grant.role} [bold]{grant.principal_name}[/bold] in tenant {grant.tenant_name}")
    out.print(f"  token id: {grant.token_id}   scopes: {','.join(grant.scopes or [])}"
              + (f"   expires: {grant.expires_at.isoformat()}" if grant.expires_at else ""))
    out.print(f"  token (shown once): [bold]{grant.token}[/bold]")


# --- agents --------------------------------------------------------------------------------------

@click.group()
def agent() -> None:
    """Register and list agents."""


@agent.command("add")
@click.argument("name")
@click.option("--tenant", help="Tenant (admin path; created if missing). Default: the operator's tenant "
                               "with --token, else 'default'.")
@click.option("--role", type=click.Choice(["agent", "operator", "auditor"]), default="agent", show_default=True)
@click.option("--scopes", help="Comma-separated token scopes, e.g. locks:write,locks:read (default *).")
@click.option("--expires-in", help="Token lifetime, e.g. '30 days' (default: no expiry).")
@connection_options
@admin_dsn_option
@json_option
@with_invocation
def agent_add(invocation: Invocation, name: str, tenant: str | None, role: str, scopes: str | None,
              expires_in: str | None) -> None:
    """Register NAME and print its token once.

    With an operator token (--token / COORD_TOKEN) and no --tenant, the agent is created
    through api.create_agent in the operator's tenant; otherwise through the admin path.
    """
    settings = invocation.settings()
    if settings.bearer() and tenant is None and role == "agent":
        with Client(settings.client_dsn(), settings.bearer(), session_id=settings.session_id()) as client:
            grant = client.create_agent(name, _scopes(scopes), expires_in)
    else:
        grant = admin.add_principal(settings.superuser_dsn(), name, tenant=tenant or admin.DEFAULT_TENANT,
                                    role=role, scopes=_scopes(scopes), expires_in=expires_in)
    _show_grant(grant, invocation.as_json)


@agent.command("list")
@client_command
def agent_list(invocation: Invocation, client: Client) -> None:
    """Principals of your tenant (operator or auditor token)."""
    invocation.listing(client.list_principals(),
                       ["name", "role", "kind", "live_tokens", "live_locks", "created_at", "principal_id"])


@agent.command("discover")
@click.option("--capability", help="Only sessions offering this capability.")
@click.option("--presence", type=click.Choice(["online", "idle", "offline"]))
@client_command
def agent_discover(invocation: Invocation, client: Client, capability: str | None, presence: str | None) -> None:
    """Agent sessions with their presence (online / idle / offline from heartbeat age)."""
    invocation.listing(client.discover_agents(capability=capability, presence=presence),
                       ["name", "presence", "status", "agent_type", "capabilities", "current_task_id",
                        "last_heartbeat_at", "session_id"], empty="(no sessions)")


# --- tokens --------------------------------------------------------------------------------------

@click.group()
def token() -> None:
    """Issue, list and revoke tokens."""


@token.command("issue")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@click.option("--scopes", help="Comma-separated scopes (default *).")
@click.option("--expires-in", help="Token lifetime, e.g. '12 hours'.")
@click.option("--label", help="Free-text label shown in coord token list.")
@click.option("--repository", envvar="COORD_REPOSITORY",
              help="Repository the token's calls act in outside a session (default: default) [env COORD_REPOSITORY].")
@click.option("--jwt", "as_jwt", is_flag=True,
              help="Mint an HS256 JWT (for Authorization: Bearer; expires in 24 hours unless --expires-in).")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def token_issue(invocation: Invocation, name: str, tenant: str, scopes: str | None, expires_in: str | None,
                label: str | None, repository: str | None, as_jwt: bool) -> None:
    """Issue another token for an existing principal (admin path)."""
    grant = admin.issue_token(invocation.superuser_dsn(), name, tenant=tenant, scopes=_scopes(scopes),
                              expires_in=expires_in, label=label, repository=repository, jwt=as_jwt)
    _show_grant(grant, invocation.as_json)
    if repository and not invocation.as_json:
        out.print(f"  repository: {repository}")


@token.command("jwt-keys")
@data_dir_option
@admin_dsn_option
@with_invocation
def token_jwt_keys(invocation: Invocation) -> None:
    """Print the JWT keys that verify as a JWK set: PostgREST's jwt-secret (secret material)."""
    click.echo(json.dumps(admin.jwt_keys(invocation.superuser_dsn())))


@token.command("jwt-rotate")
@data_dir_option
@admin_dsn_option
@with_invocation
def token_jwt_rotate(invocation: Invocation) -> None:
    """Add a JWT key that signs from now on (older keys verify until retired); prints its kid."""
    click.echo(admin.rotate_jwt_key(invocation.superuser_dsn()))


@token.command("jwt-retire")
@click.argument("kid")
@data_dir_option
@admin_dsn_option
@with_invocation
def token_jwt_retire(invocation: Invocation, kid: str) -> None:
    """Retire JWT key KID: the JWTs it signed stop verifying."""
    click.echo(admin.retire_jwt_key(invocation.superuser_dsn(), kid))


@token.command("list")
@client_command
def token_list(invocation: Invocation, client: Client) -> None:
    """Tokens of your tenant (never their text)."""
    invocation.listing(client.list_tokens(),
                       ["token_id", "principal_name", "prefix", "scopes", "expires_at", "revoked_at", "label"])


@token.command("revoke")
@click.argument("token_ref")
@connection_options
@admin_dsn_option
@json_option
@with_invocation
def token_revoke(invocation: Invocation, token_ref: str) -> None:
    """Revoke TOKEN_REF (a token id, or with the admin path also the token text)."""
    settings = invocation.settings()
    if settings.bearer():
        with Client(settings.client_dsn(), settings.bearer(), session_id=settings.session_id()) as client:
            result = client.revoke_token(token_ref)
    else:
        result = admin.revoke_token(settings.superuser_dsn(), token_ref)
    invocation.result(result)


@token.command("rotate")
@click.argument("name")
@click.option("--grace", help="Keep the old token working this long, e.g. '10 minutes' (default: refused at once).")
@click.option("--token-id", help="The token to replace (default: NAME's newest live token).")
@client_command
def token_rotate(invocation: Invocation, client: Client, name: str, grace: str | None, token_id: str | None) -> None:
    """Replace NAME's token with a new one of the same scopes, printed once (operators: any principal of
    the tenant; agents: themselves and their devices). No superuser DSN needed."""
    _show_grant(client.rotate_token(name, grace, token_id), invocation.as_json)


# --- devices -------------------------------------------------------------------------------------

@click.group()
def device() -> None:
    """Devices: principals you own that act as agents held to their own token scopes."""


@device.command("add")
@click.argument("name")
@click.option("--scopes", required=True, help="Comma-separated token scopes, e.g. sessions:write,tasks:read.")
@click.option("--expires-in", help="Token lifetime, e.g. '90 days' (default: no expiry).")
@client_command
def device_add(invocation: Invocation, client: Client, name: str, scopes: str, expires_in: str | None) -> None:
    """Add device NAME, owned by you, and print its token once (agent or operator token)."""
    _show_grant(client.add_device(name, _scopes(scopes) or [], expires_in), invocation.as_json)


@device.command("list")
@click.option("--presence", type=click.Choice(["online", "offline"]))
@client_command
def device_list(invocation: Invocation, client: Client, presence: str | None) -> None:
    """Devices of your tenant with owner, scopes and presence (online: seen within 2 minutes, or a
    session heartbeat within twice its ttl)."""
    invocation.listing(client.list_devices(presence),
                       ["name", "presence", "owner_name", "scopes", "last_seen_at", "disabled_at", "principal_id"],
                       empty="(no devices)")


@device.command("discover")
@click.option("--presence", type=click.Choice(["online", "offline"]))
@click.option("--scope", help="Only devices whose tokens grant this scope, e.g. actions:claim.")
@client_command
def device_discover(invocation: Invocation, client: Client, presence: str | None, scope: str | None) -> None:
    """Devices of your tenant that are not revoked, with scopes, presence (online: seen within 2
    minutes by heartbeat or an action call, or a session heartbeat within twice its ttl) and the
    approved actions waiting for them (agent, operator or auditor token; devices: presence:read)."""
    invocation.listing(client.discover_devices(presence, scope),
                       ["name", "presence", "last_seen_at", "scopes", "claimable_actions", "owner_name"],
                       empty="(no devices)")


@device.command("heartbeat")
@client_command
def device_heartbeat(invocation: Invocation, client: Client) -> None:
    """Say this device is alive (device token with presence:write): online for 2 minutes."""
    invocation.result(client.device_heartbeat())


@device.command("rotate")
@click.argument("name")
@click.option("--grace", help="Keep the old token working this long, e.g. '10 minutes' (default: refused at once).")
@client_command
def device_rotate(invocation: Invocation, client: Client, name: str, grace: str | None) -> None:
    """Replace device NAME's token; print the new one once."""
    _show_grant(client.rotate_token(name, grace), invocation.as_json)


@device.command("revoke")
@click.argument("name")
@client_command
def device_revoke(invocation: Invocation, client: Client, name: str) -> None:
    """Disable device NAME and revoke its tokens: its next call is refused."""
    invocation.result(client.revoke_device(name))


# --- client logins (credential tier: a DSN bound to one tenant) ----------------------------------

@click.group()
def login() -> None:
    """DSNs bound to one tenant, for holders that connect directly (admin path).

    The gateway DSN coord up prints is for infrastructure (PostgREST, this CLI on the server);
    an agent host, CI runner or DBA gets a login of its own: it only accepts tokens of its
    tenant, and whatever its holder does to it (settings, password) affects only that holder.
    """


@login.command("add")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@click.option("--connection-limit", type=int, default=20, show_default=True,
              help="Connections the login may hold at once (its holder cannot raise it).")
@click.option("--comment", help="Who holds it and why (kept with the login, audited).")
@click.option("--host", help="Host clients use to reach the server (default: 127.0.0.1 for the embedded "
                             "server, else the admin DSN's host).")
@click.option("--port", "client_port", type=int, help="Port clients use (default: the server's).")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def login_add(invocation: Invocation, name: str, tenant: str, connection_limit: int, comment: str | None,
              host: str | None, client_port: int | None) -> None:
    """Create login NAME bound to TENANT and print its DSN once."""
    settings = invocation.settings()
    endpoint = settings.client_endpoint()
    endpoint.update({k: v for k, v in (("host", host), ("port", client_port)) if v is not None})
    grant = admin.add_login(settings.superuser_dsn(), name, tenant=tenant, connection_limit=connection_limit,
                            comment=comment, endpoint=endpoint)
    if invocation.as_json:
        invocation.json(grant.to_dict())
        return
    out.print(f"login [bold]{grant.name}[/bold] (role {grant.role_name}) bound to tenant {grant.tenant}, "
              f"at most {grant.connection_limit} connections")
    out.print(f"  DSN (shown once): [bold]{grant.dsn}[/bold]")
    out.print("  use it with a token of this tenant: COORD_DSN=<DSN> COORD_TOKEN=<token>")


@login.command("list")
@click.option("--tenant", help="Only this tenant's logins.")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def login_list(invocation: Invocation, tenant: str | None) -> None:
    """Logins bound to tenants, with their live connections and any drift of their settings."""
    invocation.listing(admin.list_logins(invocation.superuser_dsn(), tenant=tenant),
                       ["tenant", "name", "role_name", "connections", "connection_limit", "drift", "comment"])


@login.command("remove")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def login_remove(invocation: Invocation, name: str, tenant: str) -> None:
    """End login NAME's sessions and drop its role."""
    role_name = admin.remove_login(invocation.superuser_dsn(), name, tenant=tenant)
    if invocation.as_json:
        invocation.json({"removed": name, "tenant": tenant, "role_name": role_name})
    else:
        out.print(f"removed login {name} ({role_name}) of tenant {tenant}")


# --- teams ---------------------------------------------------------------------------------------

def _show_team(result: Any, as_json: bool) -> None:
    """The diff api.apply_team computed: one line per principal, then the new tokens once."""
    if as_json or not result.ok:
        show_result(result, as_json)
        return
    details = result.details
    dry_run = details.get("dry_run")
    out.print(f"[green]{result.code}[/green]" + (" (dry run, nothing written)" if dry_run else "")
              + f": {result.reason}")
    rows: list[dict[str, Any]] = []
    for kind, mark in (("create", "+"), ("change", "~"), ("disable", "-"), ("unchanged", "=")):
        for entry in details.get(kind, []):
            what = ",".join(entry.get("scopes", []))
            if kind == "change":
                revoked = ", ".join(t["prefix"] for t in entry.get("revoke", []))
                change = entry.get("change")
                what = ("enable" if change == "enable" else "" if change == "profile" else f"scopes -> {what}") + \
                       (f"; revoke {revoked}" if revoked else "")
                if entry.get("profile_changes"):
                    profile = f"profile {entry.get('profile_before') or '(default)'} -> " \
                              f"{entry.get('profile') or '(default)'}"
                    what = f"{what}; {profile}" if what else profile
            rows.append({"": mark, "action": kind, "name": entry["name"], "role": entry["role"], "detail": what})
    if rows:
        table(rows, ["", "action", "name", "role", "detail"])
    tokens = details.get("tokens") or {}
    if tokens:
        out.print("[bold]new tokens (shown once; store them now):[/bold]")
        for name, value in tokens.items():
            out.print(f"  {name}: [bold]{value}[/bold]")


@click.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the diff the database computes; write nothing.")
@click.option("--prune", is_flag=True, help="Also disable principals the file does not declare (never you).")
@connection_options
@json_option
@with_invocation
def apply_cmd(invocation: Invocation, file: Path, dry_run: bool, prune: bool) -> None:
    """Declare the agents of your tenant from a team file (operator token): coord apply team.yaml.

    The database compares the file with the tenant and creates, changes or (with --prune)
    disables principals; applying the same file again changes nothing. New tokens are printed
    once. Format: docs/teams.md.
    """
    from coordinator import teams

    document = teams.load_team(file)
    with invocation.client() as client:
        result = teams.apply_team(client, document, dry_run=dry_run, prune=prune)
    _show_team(result, invocation.as_json)


COMMANDS = [agent, device, token, login, apply_cmd]
