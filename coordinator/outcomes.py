"""Outcome codes of the api: the codes of results (ok, code, reason, details), mirrored from
``coord.outcome_registry``.

Results are answers, not errors: a busy lease, a refusal of the policy gate, a stale claim. The
database is the registry (each code, whether it is ok, whether retrying the same call can help,
what it means, which functions return it; docs/outcomes.md); this module mirrors the codes so
Python code can compare with names rather than strings. ``tests/test_outcomes.py`` fails when
the two drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """A result code. Members compare equal to their strings: ``result.code == Outcome.BUSY``."""

    GRANTED = "granted"
    RENEWED = "renewed"
    HELD = "held"
    RELEASED = "released"
    BUSY = "busy"
    STALE_FENCE = "stale_fence"
    NOT_HELD = "not_held"
    HELD_BY_TASK = "held_by_task"
    EXPIRED = "expired"
    SESSION_ENDED = "session_ended"
    AT_LIMIT = "at_limit"
    DENIED = "denied"
    BATCH_REFUSED = "batch_refused"
    ISSUED = "issued"
    ROTATED = "rotated"
    NOT_LIVE = "not_live"
    REVOKED = "revoked"
    ALREADY_REVOKED = "already_revoked"
    PLANNED = "planned"
    APPLIED = "applied"
    NO_CHANGE = "no_change"
    SUBMITTED = "submitted"
    DUPLICATE = "duplicate"
    CLAIMED = "claimed"
    EMPTY = "empty"
    STALE_CLAIM = "stale_claim"
    COMPLETED = "completed"
    UNVERIFIED = "unverified"
    RECORDED = "recorded"
    VERIFIER_NOT_ALLOWED = "verifier_not_allowed"
    BLOCKED = "blocked"
    NEEDS_APPROVAL = "needs_approval"
    APPROVAL_USED = "approval_used"
    APPROVAL_MISMATCH = "approval_mismatch"
    APPROVAL_NOT_GRANTED = "approval_not_granted"
    REQUEUED = "requeued"
    DEAD = "dead"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ALREADY_FINISHED = "already_finished"
    QUEUED = "queued"
    NOT_REDRIVABLE = "not_redrivable"
    PRUNED = "pruned"
    STARTED = "started"
    ALIVE = "alive"
    ENDED = "ended"
    WRITTEN = "written"
    SWEPT = "swept"
    ALLOWED = "allowed"
    ADDED = "added"
    REMOVED = "removed"
    CREATED = "created"
    UPDATED = "updated"
    ASSIGNED = "assigned"
    DEFAULT_SET = "default_set"
    DELETED = "deleted"
    IN_USE = "in_use"
    ENABLED = "enabled"
    DISABLED = "disabled"
    UNCHANGED = "unchanged"
    INTACT = "intact"
    BROKEN = "broken"
    HEAD = "head"
    RESOLVED = "resolved"
    ALREADY_RESOLVED = "already_resolved"
    EXISTS = "exists"
    CHANGED = "changed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SELF_APPROVAL = "self_approval"
    NOT_PENDING = "not_pending"
    NOT_REQUESTER = "not_requester"
    APPROVAL_PENDING = "approval_pending"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_CLOSED = "approval_closed"
    WATCHING = "watching"
    WATCHED_ELSEWHERE = "watched_elsewhere"
    # agents' memory
    REMEMBERED = "remembered"
    REINFORCED = "reinforced"
    FORGOTTEN = "forgotten"
    NOT_AUTHOR = "not_author"
    REGISTERED = "registered"
    ALREADY_REGISTERED = "already_registered"
    RETIRED = "retired"
    ALREADY_RETIRED = "already_retired"
    OUTSIDE_SKILL = "outside_skill"
    # messages
    SENT = "sent"
    REFUSED = "refused"
    NO_RECIPIENTS = "no_recipients"
    ACKED = "acked"
    # actions
    PROPOSED = "proposed"
    EXECUTED = "executed"
    NOT_CLAIMABLE = "not_claimable"
    NOT_TARGET = "not_target"
    FOLLOWING = "following"
    WEBHOOK_EXISTS = "webhook_exists"
    DELIVERIES_CLAIMED = "deliveries_claimed"
    DELIVERED = "delivered"
    RETRY_SCHEDULED = "retry_scheduled"
    DELIVERY_DEAD = "delivery_dead"
    STALE_DELIVERY_CLAIM = "stale_delivery_claim"
    POLICY_STORED = "policy_stored"
    ENGINE_SET = "engine_set"


@dataclass(frozen=True)
class OutcomeCode:
    ok: bool | None  # None: it depends on the function (duplicate: ok for submit, not for redrive)
    retryable: bool  # the same call, repeated later unchanged, can get another answer


REGISTRY: dict[Outcome, OutcomeCode] = {
    Outcome.GRANTED: OutcomeCode(True, False),
    Outcome.RENEWED: OutcomeCode(True, False),
    Outcome.HELD: OutcomeCode(True, False),
    Outcome.RELEASED: OutcomeCode(True, False),
    Outcome.BUSY: OutcomeCode(False, True),
    Outcome.STALE_FENCE: OutcomeCode(False, False),
    Outcome.NOT_HELD: OutcomeCode(False, False),
    Outcome.HELD_BY_TASK: OutcomeCode(False, False),
    Outcome.EXPIRED: OutcomeCode(False, False),
    Outcome.SESSION_ENDED: OutcomeCode(False, False),
    Outcome.AT_LIMIT: OutcomeCode(False, False),
    Outcome.DENIED: OutcomeCode(False, False),
    Outcome.BATCH_REFUSED: OutcomeCode(False, True),
    Outcome.ISSUED: OutcomeCode(True, False),
    Outcome.ROTATED: OutcomeCode(True, False),
    Outcome.NOT_LIVE: OutcomeCode(False, False),
    Outcome.REVOKED: OutcomeCode(True, False),
    Outcome.ALREADY_REVOKED: OutcomeCode(True, False),
    Outcome.PLANNED: OutcomeCode(True, False),
    Outcome.APPLIED: OutcomeCode(True, False),
    Outcome.NO_CHANGE: OutcomeCode(True, False),
    Outcome.SUBMITTED: OutcomeCode(True, False),
    Outcome.DUPLICATE: OutcomeCode(None, True),
    Outcome.CLAIMED: OutcomeCode(True, False),
    Outcome.EMPTY: OutcomeCode(False, True),
    Outcome.STALE_CLAIM: OutcomeCode(False, False),
    Outcome.COMPLETED: OutcomeCode(True, False),
    Outcome.UNVERIFIED: OutcomeCode(False, False),
    Outcome.RECORDED: OutcomeCode(True, False),
    Outcome.VERIFIER_NOT_ALLOWED: OutcomeCode(False, False),
    Outcome.BLOCKED: OutcomeCode(False, False),
    Outcome.NEEDS_APPROVAL: OutcomeCode(False, False),
    Outcome.APPROVAL_USED: OutcomeCode(False, False),
    Outcome.APPROVAL_MISMATCH: OutcomeCode(False, False),
    Outcome.APPROVAL_NOT_GRANTED: OutcomeCode(False, False),
    Outcome.REQUEUED: OutcomeCode(True, False),
    Outcome.DEAD: OutcomeCode(True, False),
    Outcome.FAILED: OutcomeCode(True, False),
    Outcome.CANCELLED: OutcomeCode(True, False),
    Outcome.ALREADY_FINISHED: OutcomeCode(False, False),
    Outcome.QUEUED: OutcomeCode(True, False),
    Outcome.NOT_REDRIVABLE: OutcomeCode(False, False),
    Outcome.PRUNED: OutcomeCode(True, False),
    Outcome.STARTED: OutcomeCode(True, False),
    Outcome.ALIVE: OutcomeCode(True, False),
    Outcome.ENDED: OutcomeCode(True, False),
    Outcome.WRITTEN: OutcomeCode(True, False),
    Outcome.SWEPT: OutcomeCode(True, False),
    Outcome.ALLOWED: OutcomeCode(True, False),
    Outcome.ADDED: OutcomeCode(True, False),
    Outcome.REMOVED: OutcomeCode(True, False),
    Outcome.CREATED: OutcomeCode(True, False),
    Outcome.UPDATED: OutcomeCode(True, False),
    Outcome.ASSIGNED: OutcomeCode(True, False),
    Outcome.DEFAULT_SET: OutcomeCode(True, False),
    Outcome.DELETED: OutcomeCode(True, False),
    Outcome.IN_USE: OutcomeCode(False, False),
    Outcome.ENABLED: OutcomeCode(True, False),
    Outcome.DISABLED: OutcomeCode(True, False),
    Outcome.UNCHANGED: OutcomeCode(True, False),
    Outcome.INTACT: OutcomeCode(True, False),
    Outcome.BROKEN: OutcomeCode(False, False),
    Outcome.HEAD: OutcomeCode(True, False),
    Outcome.RESOLVED: OutcomeCode(True, False),
    Outcome.ALREADY_RESOLVED: OutcomeCode(False, False),
    Outcome.EXISTS: OutcomeCode(False, False),
    Outcome.CHANGED: OutcomeCode(True, False),
    Outcome.APPROVED: OutcomeCode(True, False),
    Outcome.REJECTED: OutcomeCode(True, False),
    Outcome.SELF_APPROVAL: OutcomeCode(False, False),
    Outcome.NOT_PENDING: OutcomeCode(False, False),
    Outcome.NOT_REQUESTER: OutcomeCode(False, False),
    Outcome.APPROVAL_PENDING: OutcomeCode(False, True),
    Outcome.APPROVAL_GRANTED: OutcomeCode(True, False),
    Outcome.APPROVAL_CLOSED: OutcomeCode(False, False),
    Outcome.WATCHING: OutcomeCode(True, False),
    Outcome.WATCHED_ELSEWHERE: OutcomeCode(False, True),
    Outcome.REMEMBERED: OutcomeCode(True, False),
    Outcome.REINFORCED: OutcomeCode(True, False),
    Outcome.FORGOTTEN: OutcomeCode(True, False),
    Outcome.NOT_AUTHOR: OutcomeCode(False, False),
    Outcome.REGISTERED: OutcomeCode(True, False),
    Outcome.ALREADY_REGISTERED: OutcomeCode(True, False),
    Outcome.RETIRED: OutcomeCode(True, False),
    Outcome.ALREADY_RETIRED: OutcomeCode(True, False),
    Outcome.OUTSIDE_SKILL: OutcomeCode(False, False),
    Outcome.SENT: OutcomeCode(True, False),
    Outcome.REFUSED: OutcomeCode(False, False),
    Outcome.NO_RECIPIENTS: OutcomeCode(False, False),
    Outcome.ACKED: OutcomeCode(True, False),
    Outcome.PROPOSED: OutcomeCode(True, False),
    Outcome.EXECUTED: OutcomeCode(True, False),
    Outcome.NOT_CLAIMABLE: OutcomeCode(False, False),
    Outcome.NOT_TARGET: OutcomeCode(False, False),
    Outcome.FOLLOWING: OutcomeCode(True, False),
    Outcome.WEBHOOK_EXISTS: OutcomeCode(False, False),
    Outcome.DELIVERIES_CLAIMED: OutcomeCode(True, False),
    Outcome.DELIVERED: OutcomeCode(True, False),
    Outcome.RETRY_SCHEDULED: OutcomeCode(True, False),
    Outcome.DELIVERY_DEAD: OutcomeCode(False, False),
    Outcome.STALE_DELIVERY_CLAIM: OutcomeCode(False, False),
    Outcome.POLICY_STORED: OutcomeCode(True, False),
    Outcome.ENGINE_SET: OutcomeCode(True, False),
}


# The outcomes that take something away that an agent or operator had (the registry's
# destructive column) and the functions that return each: coord mcp annotates those functions'
# tools destructiveHint.
DESTRUCTIVE: dict[Outcome, frozenset[str]] = {
    Outcome.RELEASED: frozenset({"release_lock", "release_locks"}),
    Outcome.REVOKED: frozenset({"revoke_device", "revoke_token"}),
    Outcome.CANCELLED: frozenset({"cancel_approval", "cancel_task"}),
    Outcome.DELETED: frozenset({"delete_profile"}),
    Outcome.REMOVED: frozenset({"remove_approval_policy", "remove_message_rule", "remove_network_rule",
                                "remove_webhook"}),
    Outcome.PRUNED: frozenset({"prune_tasks"}),
    Outcome.DISABLED: frozenset({"set_guardrail_enabled"}),
    Outcome.FAILED: frozenset({"fail_action", "fail_task"}),
    Outcome.DEAD: frozenset({"fail_task"}),
    Outcome.ENDED: frozenset({"end_session"}),
    Outcome.RETIRED: frozenset({"retire_skill"}),
}
DESTRUCTIVE_FUNCTIONS: frozenset[str] = frozenset().union(*DESTRUCTIVE.values())
