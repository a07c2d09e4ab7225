"""coord messages: send, read, ack and follow threads of messages between principals, and the
operators' two-sided allowlist.

Every rule (who an address names, the allowlist decision per recipient, who sees which message,
size limits) lives in the api.send_message, api.inbox, api.ack_messages, api.get_thread,
api.list_threads and the allowlist functions; this module parses and renders.
"""

from __future__ import annotations

import click

from coordinator.client import Client

from .context import Invocation, client_command

INBOX_COLUMNS = ["message_id", "thread_id", "sender", "sent_to", "created_at", "read_at", "subject", "body"]
THREAD_COLUMNS = ["thread_id", "subject", "started_by", "messages", "unread", "last_at"]
RULE_COLUMNS = ["rule_id", "action", "side", "from_party", "to_party", "reason", "created_at"]
ROUTE_COLUMNS = ["recipient", "allowed", "side", "rule_id", "send_action", "send_rule_id", "receive_action",
                 "receive_rule_id"]
SIDES = ["send", "receive", "both"]


@click.group()
def messages() -> None:
    """Messages between agents (and operators) of your tenant, under a two-sided allowlist.

    An address is NAME (or agent:NAME), team:NAME (the agents of a profile) or * (every agent).
    A message reaches a recipient only when the sender may send to it AND it accepts from the
    sender; recipients refused are reported as skipped, with the side and the rule. Operators
    manage the rules (allow, deny, rules, remove, default). See docs/messages.md.
    """


@messages.command("send")
@click.argument("to")
@click.argument("body")
@click.option("--subject", help="At most 200 characters.")
@click.option("--thread", type=int, help="Post into this thread (the id of its first message).")
@click.option("--reply-to", type=int, help="Reply to this message (joins its thread).")
@client_command
def messages_send(invocation: Invocation, client: Client, to: str, body: str, subject: str | None,
                  thread: int | None, reply_to: int | None) -> None:
    """Send BODY to TO: NAME, team:NAME or * (quote it in the shell: '*')."""
    invocation.result(client.send_message(to, body, subject, thread, reply_to))


@messages.command("inbox")
@click.option("--all", "everything", is_flag=True, help="Read messages too, not only unread ones.")
@click.option("--since", help="Only messages sent after this time (ISO 8601).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--wait", type=float, default=0, show_default=True,
              help="Seconds to wait for a message when there is none unread (LISTEN/NOTIFY, no polling).")
@client_command
def messages_inbox(invocation: Invocation, client: Client, everything: bool, since: str | None, limit: int,
                   wait: float) -> None:
    """Your inbox, oldest first (reading does not mark read: use ack)."""
    if wait > 0 and not everything and since is None:
        rows = client.wait_for_messages(wait, limit)
    else:
        rows = client.inbox(not everything, since, limit)
    invocation.listing(rows, INBOX_COLUMNS, empty="(no messages)")


@messages.command("ack")
@click.argument("message_ids", type=int, nargs=-1, required=True)
@client_command
def messages_ack(invocation: Invocation, client: Client, message_ids: tuple[int, ...]) -> None:
    """Mark MESSAGE_IDS of your inbox read."""
    invocation.result(client.ack_messages(list(message_ids)))


@messages.command("thread")
@click.argument("thread_id", type=int, required=False)
@click.option("--limit", type=int, default=100, show_default=True)
@client_command
def messages_thread(invocation: Invocation, client: Client, thread_id: int | None, limit: int) -> None:
    """The messages of THREAD_ID you sent or received; without it, your threads."""
    if thread_id is None:
        invocation.listing(client.list_threads(limit), THREAD_COLUMNS, empty="(no threads)")
    else:
        invocation.listing(client.get_thread(thread_id, limit), INBOX_COLUMNS, empty="(no messages)")


def _rule_command(action: str) -> click.Command:
    @click.argument("sender")
    @click.argument("recipient")
    @click.option("--side", type=click.Choice(SIDES), default="both", show_default=True,
                  help="send: the sender's permission; receive: the recipient's acceptance.")
    @click.option("--reason", help="Why (kept with the rule and in the audit log).")
    @client_command
    def command(invocation: Invocation, client: Client, sender: str, recipient: str, side: str,
                reason: str | None) -> None:
        call = client.allow_messages if action == "allow" else client.deny_messages
        invocation.result(call(sender, recipient, side, reason))

    command.__doc__ = (f"Operators: {action} messages from SENDER to RECIPIENT (each NAME, team:NAME or *). "
                       "On each side a deny wins over any allow, an allow over the tenant default.")
    return messages.command(action)(command)


messages_allow = _rule_command("allow")
messages_deny = _rule_command("deny")


@messages.command("rules")
@client_command
def messages_rules(invocation: Invocation, client: Client) -> None:
    """The allowlist: deny rules, allow rules, and last the tenant default (rule_id empty)."""
    invocation.listing(client.list_message_rules(), RULE_COLUMNS)


@messages.command("remove")
@click.argument("rule_id", type=int)
@client_command
def messages_remove(invocation: Invocation, client: Client, rule_id: int) -> None:
    """Operators: remove allowlist rule RULE_ID."""
    invocation.result(client.remove_message_rule(rule_id))


@messages.command("default")
@click.argument("action", type=click.Choice(["allow", "deny"]))
@client_command
def messages_default(invocation: Invocation, client: Client, action: str) -> None:
    """Operators: what a side decides when none of its rules matches (new tenants: deny)."""
    invocation.result(client.set_message_default(action))


@messages.command("check")
@click.argument("sender")
@click.argument("to")
@client_command
def messages_check(invocation: Invocation, client: Client, sender: str, to: str) -> None:
    """Would a message from SENDER to TO pass? Per recipient and side; nothing is sent."""
    invocation.listing(client.check_message_route(sender, to), ROUTE_COLUMNS, empty="(no recipients)")


COMMANDS = [messages]
