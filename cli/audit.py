"""coord audit: read the log, verify and keep the hash chain, archive and restore old months."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from coordinator import retention
from coordinator.client import Client

from .context import (
    Invocation,
    admin_dsn_option,
    client_command,
    connection_options,
    data_dir_option,
    json_option,
    with_invocation,
)
from .render import cell, err, out, plain, table

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def audit() -> None:
    """Read the audit log of your tenant."""


# --- reading the log -----------------------------------------------------------------------------

AUDIT_COLUMNS = ["id", "occurred_at", "actor_name", "action", "target_id", "decision", "severity", "reason"]


def audit_filter_options(fn: F) -> F:
    for option in reversed([
        click.option("--action", help="Action pattern; * matches any run (guardrail.*, lock.acquire)."),
        click.option("--actor", help="Only events of this principal (by name)."),
        click.option("--decision", help="Only this decision, e.g. denied, blocked, granted."),
        click.option("--target-type", help="Only events about this kind of target, e.g. token, task."),
        click.option("--target", "target_id", help="Only events about this target id."),
        click.option("--since", help="From this time on (ISO 8601, inclusive)."),
        click.option("--until", help="Before this time (ISO 8601, exclusive)."),
        click.option("--severity", type=click.Choice(["debug", "info", "notice", "warning", "critical"]),
                     help="Minimum severity."),
    ]):
        fn = option(fn)
    return fn


@audit.command("query")
@audit_filter_options
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before-id", type=int, help="Page: events older than this id (newest first).")
@click.option("--after-id", type=int, help="Events after this id, oldest first.")
@client_command
def audit_query(invocation: Invocation, client: Client, action: str | None, actor: str | None,
                decision: str | None, target_type: str | None, target_id: str | None, since: str | None,
                until: str | None, severity: str | None, limit: int, before_id: int | None,
                after_id: int | None) -> None:
    """Audit events of your tenant matching the filters (operator or auditor token)."""
    invocation.listing(client.query_audit(limit=limit, action=action, actor=actor, decision=decision,
                                          target_type=target_type, target_id=target_id, since=since, until=until,
                                          severity=severity, before_id=before_id, after_id=after_id),
                       AUDIT_COLUMNS, empty="(no events)")


@audit.command("tail")
@click.option("--limit", type=int, default=20, show_default=True, help="How many recent events to start with.")
@audit_filter_options
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they are committed (the event "
                                                   "stream's order and visibility rule; woken by NOTIFY).")
@click.option("--interval", type=float, default=5.0, show_default=True,
              help="With --follow: read again at least this often (a backstop for a missed notification).")
@click.option("--polls", type=int, hidden=True, help="Stop after this many reads (tests).")
@client_command
def audit_tail(invocation: Invocation, client: Client, limit: int, action: str | None, actor: str | None,
               decision: str | None, target_type: str | None, target_id: str | None, since: str | None,
               until: str | None, severity: str | None, follow: bool, interval: float, polls: int | None) -> None:
    """The newest audit events, oldest first (operator or auditor token); --follow keeps going
    (with --json: one JSON object per line). Following reads api.audit_since, which hands out
    only events of transactions older than every running one: an event whose transaction
    commits late is printed when it commits, never skipped."""
    filters: dict[str, Any] = {"action": action, "actor": actor, "decision": decision, "target_type": target_type,
                               "target_id": target_id, "since": since, "until": until, "severity": severity}

    def show(rows: Sequence[Any]) -> None:
        if invocation.as_json and not follow:
            invocation.json(rows)
        elif invocation.as_json:
            for row in rows:
                click.echo(json.dumps(plain(row), separators=(",", ":")))
        elif follow:
            for row in rows:
                data = plain(row)
                out.print(" ".join(cell(data.get(c)) for c in AUDIT_COLUMNS))
        elif rows:
            table(rows, AUDIT_COLUMNS)

    # The stream's position before the recent events are read: what follows it and was not
    # shown among them is printed by the follower (duplicates are dropped by id).
    head = client.events_head()[0].id if follow else 0
    rows = list(reversed(client.query_audit(limit=limit, **filters)))
    show(rows)
    if not follow:
        return
    shown = {r.id for r in rows}
    reads = 0

    def enough() -> bool:
        nonlocal reads
        reads += 1
        return polls is not None and reads >= polls

    try:
        for row in client.follow(after=head, audit=True, recheck=interval, stop=enough):
            if row.id not in shown and _matches(row, filters):
                show([row])
    except KeyboardInterrupt:
        return


def _matches(row: Any, filters: dict[str, Any]) -> bool:
    """The tail's filters on a streamed event (what query_audit applies to the recent ones)."""
    levels = ["debug", "info", "notice", "warning", "critical"]
    pattern = filters["action"]
    if pattern and not fnmatch.fnmatchcase(row.action, pattern):
        return False
    if filters["actor"] and row.actor_name != filters["actor"]:
        return False
    if filters["decision"] and row.decision != filters["decision"]:
        return False
    if filters["target_type"] and row.target_type != filters["target_type"]:
        return False
    if filters["target_id"] and row.target_id != filters["target_id"]:
        return False
    return not (filters["severity"] and levels.index(row.severity) < levels.index(filters["severity"]))


# --- the hash chain ------------------------------------------------------------------------------

def _saved_head(value: str) -> str:
    """--head: the printed line itself, or a file holding such lines (the last, newest one counts)
    or the JSON coord audit head --json printed. Only read here; the database parses and checks
    it (CO603 when malformed)."""
    path = Path(value)
    if not value.startswith("coord-audit-head:") and path.is_file():
        text = path.read_text().strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"{value}: not JSON ({exc})", param_hint="--head") from None
            found = data.get("head") or (data.get("details") or {}).get("head") if isinstance(data, dict) else None
            return str(found or text)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else text  # a log of heads: the newest, which commits to all before it
    return value


@audit.command("verify")
@click.option("--no-seal", is_flag=True, help="Verify only what is sealed already (do not run the sealer first).")
@click.option("--head", "saved_head", metavar="HEAD|FILE",
              help="A head coord audit head printed earlier (the line, a file of such lines whose last counts, "
                   "or its --json): the chain must still hold it, which finds its newest links deleted.")
@connection_options
@json_option
@with_invocation
def audit_verify(invocation: Invocation, no_seal: bool, saved_head: str | None) -> None:
    """Seal and verify your tenant's audit hash chain (operator or auditor token), and that the
    DDL guard of the audit trail is in place. Prints the current head (chain_seq and hash), or
    the first problem with what was expected and found; exits 1 when the chain is broken.

    A chain only proves itself: a superuser who deletes the newest events and links leaves a
    shorter chain that verifies. Keep a head (coord audit head) somewhere else and pass it
    with --head: verify then fails when the chain ends before it or holds another link there."""
    head = _saved_head(saved_head) if saved_head is not None else None
    with invocation.client() as client:
        invocation.result(client.verify_audit(seal=False if no_seal else None, head=head))


@audit.command("head")
@click.option("--no-seal", is_flag=True, help="The newest link sealed already (do not run the sealer first).")
@client_command
def audit_head(invocation: Invocation, client: Client, no_seal: bool) -> None:
    """Seal and print your tenant's audit chain head (operator or auditor token): one line,
    coord-audit-head:1:<tenant>:<chain_seq>:<hash>. Keep it outside the database (a ticket, a
    log, another machine); coord audit verify --head finds a chain that lost it. Taking a head
    is audited."""
    result = client.audit_head(seal=False if no_seal else None)
    if invocation.as_json or not result.ok:
        invocation.result(result)
        return
    details = result.details
    click.echo(details["head"])
    err.print(f"[dim]chain_seq {details['chain_seq']}, sealed {details.get('sealed_at') or '-'}; "
              "keep this line outside the database and pass it to coord audit verify --head[/dim]")


@audit.command("seal")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def audit_seal(invocation: Invocation) -> None:
    """Admin: link every tenant's finished audit events into its chain now (coord maintain does
    this on every pass)."""
    counts = retention.seal_all(invocation.superuser_dsn(), wait=True)
    if invocation.as_json:
        invocation.json(counts)
    else:
        out.print(", ".join(f"{name}: {n} sealed" for name, n in counts.items()) or "(no tenants)")


# --- archives ------------------------------------------------------------------------------------

@audit.command("archives")
@client_command
def audit_archives(invocation: Invocation, client: Client) -> None:
    """Archived months of your tenant (operator or auditor token)."""
    invocation.listing(client.list_archives(), ["partition_name", "archived_at", "events", "first_seq", "last_seq",
                                                "file_name", "restored"], empty="(no archives)")


@audit.command("restored")
@click.option("--partition", help="Only this archive, e.g. events_2026_01.")
@click.option("--action", help="Only this action, e.g. lock.acquire.")
@click.option("--limit", type=int, default=50, show_default=True)
@client_command
def audit_restored(invocation: Invocation, client: Client, partition: str | None, action: str | None,
                   limit: int) -> None:
    """Events of restored archives (operator or auditor token), newest chain position first."""
    rows = client.query_restored_audit(partition=partition, action=action, limit=limit)
    if invocation.as_json:
        invocation.json(rows)
    else:
        table([{**plain(r), "actor_name": r.event.get("actor_name"), "target_id": r.event.get("target_id"),
                "decision": r.event.get("decision")} for r in rows],
              ["partition_name", "chain_seq", "occurred_at", "actor_name", "action", "target_id", "decision"])


@audit.command("archive")
@click.option("--before", "before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Archive every whole month that ends on or before this date (at least 90 days ago).")
@click.option("--to", "to_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the .jsonl.gz files and their .manifest.json.")
@click.option("--dry-run", is_flag=True, help="List the months that would be archived.")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def audit_archive(invocation: Invocation, before: datetime, to_dir: Path, dry_run: bool) -> None:
    """Admin: export old months of the audit log (all tenants) to gzip JSON lines with a SHA-256
    manifest; the database verifies the export, records it in each tenant's chain, and only
    then detaches and drops the month. See docs/operations.md (retention)."""
    invocation.listing(retention.archive(invocation.superuser_dsn(), before.date(), to_dir, dry_run=dry_run),
                       ["partition", "events", "archived", "file", "content_sha256"], empty="(no month to archive)")


@audit.command("restore")
@click.option("--from", "from_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Directory coord audit archive --to wrote.")
@click.option("--partition", help="Only this archive, e.g. events_2026_01.")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def audit_restore(invocation: Invocation, from_dir: Path, partition: str | None) -> None:
    """Admin: bring archived months back (read-only, coord audit restored) after the database
    verified each against its recorded archive and every chain link."""
    invocation.listing(retention.restore(invocation.superuser_dsn(), from_dir, partition=partition),
                       ["partition", "rows", "content_sha256"])


COMMANDS = [audit]
