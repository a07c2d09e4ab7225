"""coord guard: check operations against the guardrails and manage the rules."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from coordinator.client import Client
from coordinator.errors import EXIT_NOT_OK

from .context import Invocation, client_command, connection_options, json_option, with_invocation
from .render import cell, out, show_result, table

GUARDRAIL_CATEGORIES = ["filesystem", "git", "database", "deployment", "credentials", "process", "network",
                        "persistence", "privilege", "security", "supply-chain", "infrastructure"]
OPERATION_KINDS = ["command", "sql", "path"]


@click.group()
def guard() -> None:
    """Check operations against the guardrails and manage the rules of your tenant."""


@guard.command("check")
@click.argument("kind", type=click.Choice(OPERATION_KINDS))
@click.argument("text")
@click.option("--approval", type=int, help="Use this approved request (coord approvals) for the check, once.")
@client_command
def guard_check(invocation: Invocation, client: Client, kind: str, text: str, approval: int | None) -> None:
    """May you run TEXT (a shell command, SQL, or a path you will write)? Exit 1 unless allowed.

    needs_approval records an approval request (approval_id); once it is approved, repeat the
    check with --approval ID to be allowed once."""
    decision = client.check_operation(kind, text, approval)
    if invocation.as_json:
        invocation.json(decision)
        if not decision.ok:
            sys.exit(EXIT_NOT_OK)
        return
    show = {"ok": decision.ok, "code": decision.code, "reason": escape(decision.reason or ""),
            "normalized": escape(decision.normalized or ""),
            "rules": [f"{m['name']} ({m['severity']}, {m['category']}, {m['mode']}"
                      + (", overridden" if m["overridden"] else "") + ")" for m in decision.matches],
            "violation_id": decision.violation_id, "approval_id": decision.approval_id}
    show_result(show, False)


@guard.command("list")
@click.option("--category", type=click.Choice(GUARDRAIL_CATEGORIES))
@click.option("--patterns", is_flag=True,
              help="Show what each rule matches (actions on targets, or the pattern) instead of its description.")
@client_command
def guard_list(invocation: Invocation, client: Client, category: str | None, patterns: bool) -> None:
    """The guardrail rules of your tenant."""
    rules = client.list_guardrails(category)
    if invocation.as_json:
        invocation.json(rules)
        return
    table([r.to_dict() | {"matches": escape(r.pattern) if r.pattern is not None
                          else f"{'|'.join(r.actions or [])} on {'|'.join(r.targets) if r.targets else 'anything'}",
                          "description": escape(r.description)} for r in rules],
          ["name", "category", "severity", "override_trust", "mode", "enabled", "builtin",
           "matches" if patterns else "description"])


@guard.command("add")
@click.argument("name")
@click.option("--category", required=True, type=click.Choice(GUARDRAIL_CATEGORIES))
@click.option("--action", "actions", multiple=True,
              help="An operation rule: what it does (repeat; see coord guard vocabulary), e.g. --action delete-tree.")
@click.option("--target", "targets", multiple=True,
              help="With --action: what it touches (repeat; default anything), e.g. --target ci.")
@click.option("--applies-to", type=click.Choice(OPERATION_KINDS),
              help="A pattern rule: the kind of canonical unit --pattern matches.")
@click.option("--pattern", help="A pattern rule: PostgreSQL regular expression over the canonical form (\\y, not \\b).")
@click.option("--severity", required=True, type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--mode", type=click.Choice(["block", "needs_approval"]), help="Default block.")
@click.option("--description")
@click.option("--override-trust", type=int, help="3 or 4 for low/medium (default 3), 4 for high; critical: none.")
@connection_options
@json_option
@with_invocation
def guard_add(invocation: Invocation, name: str, category: str, actions: tuple[str, ...], targets: tuple[str, ...],
              applies_to: str | None, pattern: str | None, severity: str, mode: str | None,
              description: str | None, override_trust: int | None) -> None:
    """Operators: add the rule NAME (audited): an operation on targets (--action, --target) or a
    pattern (--applies-to, --pattern)."""
    if bool(actions) == bool(pattern):
        raise click.UsageError("give --action (an operation rule) or --pattern with --applies-to (a pattern rule)")
    if pattern and not applies_to:
        raise click.UsageError("--pattern needs --applies-to")
    with invocation.client() as client:
        invocation.result(client.add_guardrail(name, category, "any" if actions else applies_to, severity,
                                               pattern=pattern, mode=mode, description=description,
                                               override_trust=override_trust, actions=list(actions) or None,
                                               targets=list(targets) or None))


@guard.command("explain")
@click.argument("text")
@click.option("--kind", type=click.Choice(OPERATION_KINDS), default="command", show_default=True)
@client_command
def guard_explain(invocation: Invocation, client: Client, text: str, kind: str) -> None:
    """How the guardrails see TEXT, without recording a check: each command, statement or path
    parsed (program, subcommand, flags, operands), what it does to what (action, target, target
    classes), and the rules that match at your trust."""
    explanation = client.explain_operation(kind, text)
    if invocation.as_json:
        invocation.json(explanation)
        if not explanation.ok:
            sys.exit(EXIT_NOT_OK)
        return
    out.print(f"[bold]{cell(explanation.code)}[/bold] (trust {explanation.trust}): "
              f"{cell(explanation.reason or '')}")
    for unit in explanation.units:
        out.print(f"\n[bold]{cell(unit['kind'])}[/bold] {cell(unit['unit'])}")
        operation = unit.get("operation") or {}
        if operation.get("prog"):
            parts = [f"program {operation['prog']}"]
            if operation.get("sub"):
                parts.append(f"subcommand {operation['sub']}")
            if operation.get("flags"):
                parts.append("flags " + " ".join(operation["flags"]))
            if operation.get("args"):
                parts.append("operands " + " ".join(operation["args"]))
            out.print("  " + cell("; ".join(parts)))
        for effect in unit["effects"]:
            classes = ", ".join(effect["c"]) or "ordinary file"
            out.print(f"  does [bold]{cell(effect['a'])}[/bold] to {cell(str(effect['t']))} ({cell(classes)})")
    for match in explanation.matches:
        what = f"{match.get('action')} of {match.get('target')}" if match.get("action") else "its pattern"
        out.print(f"\n[bold]{cell(match['name'])}[/bold] ({match['severity']}, {match['mode']}"
                  f"{', overridden' if match['overridden'] else ''}) matches {cell(what)}")
    if not explanation.ok:
        sys.exit(EXIT_NOT_OK)


@guard.command("vocabulary")
@client_command
def guard_vocabulary(invocation: Invocation, client: Client) -> None:
    """The actions and target classes operation rules are written in."""
    words = client.list_guardrail_vocabulary()
    if invocation.as_json:
        invocation.json(words)
    else:
        table([w.to_dict() for w in words], ["kind", "name", "meaning"])


@guard.command("enable")
@click.argument("name")
@client_command
def guard_enable(invocation: Invocation, client: Client, name: str) -> None:
    """Operators: enable the rule NAME (audited)."""
    invocation.result(client.set_guardrail_enabled(name, True))


@guard.command("disable")
@click.argument("name")
@client_command
def guard_disable(invocation: Invocation, client: Client, name: str) -> None:
    """Operators: disable the rule NAME, default rules included (audited)."""
    invocation.result(client.set_guardrail_enabled(name, False))


@guard.command("violations")
@click.option("--limit", type=int, default=20, show_default=True)
@client_command
def guard_violations(invocation: Invocation, client: Client, limit: int) -> None:
    """Operators and auditors: the newest blocked, needs-approval and overridden operations."""
    rows = client.list_guardrail_violations(limit=limit)
    if invocation.as_json:
        invocation.json(rows)
        return
    table([r.to_dict() | {"rules": ", ".join(m["name"] for m in r.rules), "operation": escape(r.operation)}
           for r in rows],
          ["violation_id", "occurred_at", "principal_name", "outcome", "kind", "operation", "rules", "task_id"])


COMMANDS = [guard]
