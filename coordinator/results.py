"""Typed results of the api functions, one frozen dataclass per result shape.

Generated from the catalog by `coord docs` (coordinator/codegen.py); do not edit by hand.
Field names and order are the columns the functions return.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID


class _Row:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class Action(_Row):
    """An action as list_actions and get_action show it: what (kind, payload, required scopes), who proposed it
    for which target, its approval request, state, the current claim (fence) and attempts, and its result or
    error.
    """

    action_id: int | None
    kind: str | None
    state: str | None
    payload: Any
    required_scopes: list[str] | None
    proposer: str | None
    target: str | None
    approval_id: int | None
    claim: int | None
    attempts: int | None
    max_attempts: int | None
    lease_expires_at: datetime | None
    result: Any
    error: str | None
    created_at: datetime | None
    approved_at: datetime | None
    expires_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ActionResult(_Row):
    """Outcome of propose_action, claim_action, renew_action, complete_action and fail_action: ok and code
    always; the action, its state after the call, the claim (fence) and lease; kind and payload when claimed.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    action_id: int | None
    state: str | None
    claim: int | None
    approval_id: int | None
    lease_expires_at: datetime | None
    kind: str | None
    payload: Any
    details: Any


@dataclass(frozen=True)
class AgentPresence(_Row):
    """One session of an agent as discover_agents shows it; presence is online, idle or offline from heartbeat
    age.
    """

    principal_id: UUID | None
    name: str | None
    session_id: UUID | None
    agent_type: str | None
    capabilities: list[str] | None
    status: str | None
    presence: str | None
    current_task_id: int | None
    started_at: datetime | None
    last_heartbeat_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Alert(_Row):
    """A row of api.list_alerts."""

    alert_id: int | None
    rule: str | None
    severity: str | None
    state: str | None
    actor_type: str | None
    actor_name: str | None
    event_count: int | None
    first_event_id: int | None
    last_event_id: int | None
    first_event_at: datetime | None
    last_event_at: datetime | None
    raised_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


@dataclass(frozen=True)
class AlertRule(_Row):
    """A row of api.list_alert_rules."""

    rule_id: int | None
    name: str | None
    action_pattern: str | None
    decisions: list[str] | None
    threshold: int | None
    within: timedelta | None
    severity: str | None
    enabled: bool | None
    description: str | None
    open_alerts: int | None
    updated_at: datetime | None


@dataclass(frozen=True)
class Approval(_Row):
    """An approval request as list_approvals and get_approval show it: the operation (canonical, operation_hash
    its sha256 in hex), requester, target, the rules that asked and the scopes a policy must cover, state and
    who decided (decided_by, or the policy).
    """

    approval_id: int | None
    state: str | None
    requester: str | None
    session_id: UUID | None
    kind: str | None
    operation: Any
    operation_hash: str | None
    target_type: str | None
    target_id: str | None
    rules: list[str] | None
    scopes: list[str] | None
    trust: int | None
    context: Any
    created_at: datetime | None
    expires_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    policy: str | None
    decision_reason: str | None
    used_at: datetime | None


@dataclass(frozen=True)
class ApprovalPolicy(_Row):
    """An auto-approval policy of the tenant (list_approval_policies)."""

    policy_id: int | None
    name: str | None
    kinds: list[str] | None
    rules: list[str] | None
    min_trust: int | None
    path_prefix: str | None
    scopes: list[str] | None
    description: str | None
    created_by: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class ApprovalResult(_Row):
    """Outcome of approve_request, deny_request, cancel_approval and wait_for_approval: ok and code always, the
    request and its state after the call.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    approval_id: int | None
    state: str | None
    expires_at: datetime | None
    details: Any


@dataclass(frozen=True)
class ArchiveRow(_Row):
    """A row of api.list_archives."""

    partition_name: str | None
    month: date | None
    archived_at: datetime | None
    file_name: str | None
    file_sha256: str | None
    content_sha256: str | None
    events: int | None
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    event_id: int | None
    restored: bool | None


@dataclass(frozen=True)
class AuditEvent(_Row):
    """A row of api.query_audit."""

    id: int | None
    occurred_at: datetime | None
    actor_type: str | None
    actor_name: str | None
    action: str | None
    target_type: str | None
    target_id: str | None
    decision: str | None
    severity: str | None
    rule: str | None
    reason: str | None
    details: Any


@dataclass(frozen=True)
class AuditSinceRow(_Row):
    """A row of api.audit_since."""

    id: int | None
    occurred_at: datetime | None
    actor_type: str | None
    actor_name: str | None
    action: str | None
    target_type: str | None
    target_id: str | None
    decision: str | None
    severity: str | None
    rule: str | None
    reason: str | None
    details: Any


@dataclass(frozen=True)
class CedarPolicyHistoryRow(_Row):
    """A row of api.cedar_policy_history."""

    version: int | None
    reason: str | None
    created_by: str | None
    created_at: datetime | None
    rolled_back_from: int | None
    sha256: str | None
    current: bool | None


@dataclass(frozen=True)
class CedarPolicyRow(_Row):
    """A row of api.cedar_policy."""

    engine: str | None
    cedar_available: bool | None
    version: int | None
    policy: str | None
    reason: str | None
    created_by: str | None
    created_at: datetime | None
    rolled_back_from: int | None
    schema: str | None


@dataclass(frozen=True)
class CheckMessageRouteRow(_Row):
    """A row of api.check_message_route."""

    recipient: str | None
    allowed: bool | None
    side: str | None
    rule_id: int | None
    send_action: str | None
    send_rule_id: int | None
    receive_action: str | None
    receive_rule_id: int | None


@dataclass(frozen=True)
class ClaimResult(_Row):
    """A claimed task with its claim token and lease (and the fences of the leases it declared), or ok=false with
    why nothing was claimed.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    task_id: int | None
    kind: str | None
    payload: Any
    priority: int | None
    claim: int | None
    attempt: int | None
    max_attempts: int | None
    lease_expires_at: datetime | None
    locks: Any
    details: Any
    repository: str | None


@dataclass(frozen=True)
class DiscoverDevicesRow(_Row):
    """A row of api.discover_devices."""

    name: str | None
    owner_name: str | None
    scopes: list[str] | None
    presence: str | None
    last_seen_at: datetime | None
    claimable_actions: int | None


@dataclass(frozen=True)
class EventsHeadRow(_Row):
    """A row of api.events_head."""

    id: int | None
    held: int | None


@dataclass(frozen=True)
class EventsSinceRow(_Row):
    """A row of api.events_since."""

    id: int | None
    event_type: str | None
    occurred_at: datetime | None
    action: str | None
    actor_type: str | None
    actor_name: str | None
    target_type: str | None
    target_id: str | None
    decision: str | None
    severity: str | None
    reason: str | None
    details: Any


@dataclass(frozen=True)
class GetSkillRow(_Row):
    """A row of api.get_skill."""

    skill_id: int | None
    name: str | None
    version: str | None
    manifest: Any
    registered_by: str | None
    registered_at: datetime | None
    approval_id: int | None
    retired_at: datetime | None
    live_sessions: int | None


@dataclass(frozen=True)
class GetThreadRow(_Row):
    """A row of api.get_thread."""

    message_id: int | None
    thread_id: int | None
    reply_to: int | None
    sender: str | None
    sent_to: str | None
    subject: str | None
    body: str | None
    created_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True)
class GuardrailDecision(_Row):
    """Outcome of check_operation: ok with code allowed (overridden when a matching rule was overridden by
    trust), or blocked / needs_approval / denied; the canonical units that were matched, one per line, and the
    matching rules.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    kind: str | None
    normalized: str | None
    matches: Any
    overridden: bool | None
    trust: int | None
    violation_id: int | None
    details: Any
    approval_id: int | None


@dataclass(frozen=True)
class GuardrailExplanation(_Row):
    """A row of api.explain_operation."""

    ok: bool | None
    code: str | None
    reason: str | None
    kind: str | None
    normalized: str | None
    units: Any
    matches: Any
    trust: int | None


@dataclass(frozen=True)
class GuardrailRule(_Row):
    """A row of api.list_guardrails."""

    name: str | None
    category: str | None
    applies_to: str | None
    actions: list[str] | None
    targets: list[str] | None
    severity: str | None
    override_trust: int | None
    mode: str | None
    enabled: bool | None
    builtin: bool | None
    pattern: str | None
    description: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class GuardrailViolation(_Row):
    """A row of api.list_guardrail_violations."""

    violation_id: int | None
    occurred_at: datetime | None
    principal_name: str | None
    kind: str | None
    operation: str | None
    normalized: str | None
    outcome: str | None
    trust: int | None
    rules: Any
    task_id: int | None


@dataclass(frozen=True)
class GuardrailWord(_Row):
    """A row of api.list_guardrail_vocabulary."""

    kind: str | None
    name: str | None
    meaning: str | None


@dataclass(frozen=True)
class Handoff(_Row):
    """A handoff document as read_handoff returns it."""

    handoff_id: int | None
    author: str | None
    session_id: UUID | None
    task_id: int | None
    to_agent: str | None
    summary: str | None
    completed: list[str] | None
    in_progress: list[str] | None
    decisions: list[str] | None
    next_steps: list[str] | None
    relevant_files: list[str] | None
    created_at: datetime | None
    repository: str | None


@dataclass(frozen=True)
class HeldLock(_Row):
    """A row of api.my_locks."""

    path: str | None
    mode: str | None
    fence: int | None
    reason: str | None
    acquired_at: datetime | None
    renewed_at: datetime | None
    expires_at: datetime | None
    repository: str | None


@dataclass(frozen=True)
class InboxRow(_Row):
    """A row of api.inbox."""

    message_id: int | None
    thread_id: int | None
    reply_to: int | None
    sender: str | None
    sent_to: str | None
    subject: str | None
    body: str | None
    created_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True)
class Lease(_Row):
    """A row of api.list_leases."""

    repository: str | None
    path: str | None
    mode: str | None
    fence: int | None
    holder_name: str | None
    session_id: UUID | None
    task_id: int | None
    reason: str | None
    acquired_at: datetime | None
    renewed_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class ListDevicesRow(_Row):
    """A row of api.list_devices."""

    principal_id: UUID | None
    name: str | None
    owner_name: str | None
    scopes: list[str] | None
    presence: str | None
    last_seen_at: datetime | None
    created_at: datetime | None
    disabled_at: datetime | None


@dataclass(frozen=True)
class ListMemoriesRow(_Row):
    """A row of api.list_memories."""

    memory_id: int | None
    tier: str | None
    visibility: str | None
    author: str | None
    content: str | None
    tags: list[str] | None
    importance: Any
    metadata: Any
    seen_count: int | None
    created_at: datetime | None
    last_seen_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class ListMessageRulesRow(_Row):
    """A row of api.list_message_rules."""

    rule_id: int | None
    action: str | None
    side: str | None
    from_party: str | None
    to_party: str | None
    reason: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class ListSkillsRow(_Row):
    """A row of api.list_skills."""

    skill_id: int | None
    name: str | None
    version: str | None
    manifest: Any
    registered_by: str | None
    registered_at: datetime | None
    approval_id: int | None
    retired_at: datetime | None
    live_sessions: int | None


@dataclass(frozen=True)
class ListThreadsRow(_Row):
    """A row of api.list_threads."""

    thread_id: int | None
    subject: str | None
    started_by: str | None
    messages: int | None
    unread: int | None
    last_at: datetime | None


@dataclass(frozen=True)
class ListWebhookDeliveriesRow(_Row):
    """A row of api.list_webhook_deliveries."""

    delivery_id: int | None
    webhook: str | None
    event_id: int | None
    event_type: str | None
    idempotency_key: UUID | None
    state: str | None
    attempts: int | None
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ListWebhooksRow(_Row):
    """A row of api.list_webhooks."""

    webhook_id: int | None
    name: str | None
    url: str | None
    event_types: list[str] | None
    max_attempts: int | None
    enabled: bool | None
    created_at: datetime | None
    pending: int | None
    delivered: int | None
    dead: int | None


@dataclass(frozen=True)
class LockCheck(_Row):
    """A row of api.check_locks."""

    path: str | None
    locked: bool | None
    lock_path: str | None
    mode: str | None
    holder_id: UUID | None
    holder_name: str | None
    expires_at: datetime | None
    mine: bool | None
    fence: int | None
    repository: str | None


@dataclass(frozen=True)
class LockResult(_Row):
    """Outcome of acquire/release/renew: ok and code always; fence and expires_at when held; holder_* when
    another principal's lease is in the way.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    path: str | None
    mode: str | None
    fence: int | None
    expires_at: datetime | None
    holder_id: UUID | None
    holder_name: str | None
    holder_path: str | None
    holder_mode: str | None
    holder_expires_at: datetime | None
    details: Any
    repository: str | None


@dataclass(frozen=True)
class NetworkDecision(_Row):
    """Outcome of check_network: ok with code allowed, or ok=false with denied; the canonical domain, and the
    rule that decided (decided_by agent, tenant, or default).
    """

    ok: bool | None
    code: str | None
    reason: str | None
    domain: str | None
    rule_id: int | None
    pattern: str | None
    decided_by: str | None
    details: Any


@dataclass(frozen=True)
class NetworkRule(_Row):
    """A row of api.list_network_rules."""

    rule_id: int | None
    pattern: str | None
    action: str | None
    priority: int | None
    agent: str | None
    profile: str | None
    reason: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class PrincipalInfo(_Row):
    """The verified caller: who, in which tenant, as which role, with which token scopes."""

    principal_id: UUID | None
    kind: str | None
    name: str | None
    role: str | None
    tenant_id: UUID | None
    tenant_name: str | None
    scopes: list[str] | None
    session_id: UUID | None
    token_id: UUID | None
    token_expires_at: datetime | None
    repository: str | None


@dataclass(frozen=True)
class PrincipalRow(_Row):
    """A row of api.list_principals."""

    principal_id: UUID | None
    name: str | None
    kind: str | None
    role: str | None
    created_at: datetime | None
    disabled_at: datetime | None
    live_tokens: int | None
    live_locks: int | None


@dataclass(frozen=True)
class Profile(_Row):
    """A profile as the api shows it: trust level, limits (null: none), whether it is the tenant default and how
    many agents have it assigned.
    """

    name: str | None
    trust_level: int | None
    max_locks: int | None
    max_lock_ttl: timedelta | None
    max_concurrent_tasks: int | None
    allowed_task_kinds: list[str] | None
    allowed_operations: list[str] | None
    max_task_duration: timedelta | None
    calls_per_hour: int | None
    network_default: str | None
    description: str | None
    is_default: bool | None
    agents: int | None
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ProfileResult(_Row):
    """Outcome of a profile change: ok with code created, updated, assigned, default_set or deleted; ok=false
    with denied or in_use.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    profile: str | None
    details: Any


@dataclass(frozen=True)
class RecallRow(_Row):
    """A row of api.recall."""

    memory_id: int | None
    tier: str | None
    visibility: str | None
    author: str | None
    content: str | None
    tags: list[str] | None
    importance: Any
    metadata: Any
    seen_count: int | None
    created_at: datetime | None
    last_seen_at: datetime | None
    expires_at: datetime | None
    score: Any
    relevance: Any
    text_rank: Any
    trigram: Any
    vector_similarity: Any
    recency: Any
    ranking: str | None
    note: str | None


@dataclass(frozen=True)
class RestoredEvent(_Row):
    """A row of api.query_restored_audit."""

    partition_name: str | None
    chain_seq: int | None
    event_id: int | None
    occurred_at: datetime | None
    action: str | None
    event: Any
    hash: str | None


@dataclass(frozen=True)
class Result(_Row):
    """Generic outcome of an operation without a richer result type."""

    ok: bool | None
    code: str | None
    reason: str | None
    details: Any


@dataclass(frozen=True)
class SessionResult(_Row):
    """Outcome of start_session/heartbeat/end_session."""

    ok: bool | None
    code: str | None
    reason: str | None
    session_id: UUID | None
    expires_at: datetime | None
    details: Any


@dataclass(frozen=True)
class SkillResult(_Row):
    """Outcome of register_skill: registered or already_registered (skill_id), or needs_approval with the
    approval request (approval_id; repeat with p_approval once granted), or a refusal; details.manifest and
    details.widened.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    skill_id: int | None
    name: str | None
    version: str | None
    approval_id: int | None
    details: Any


@dataclass(frozen=True)
class Task(_Row):
    """A task as get_task and list_tasks show it."""

    task_id: int | None
    kind: str | None
    state: str | None
    priority: int | None
    payload: Any
    depends_on: list[int] | None
    pending_deps: int | None
    run_after: datetime | None
    attempts: int | None
    max_attempts: int | None
    required_trust: int | None
    unique_key: str | None
    locks: list[str] | None
    submitted_by: str | None
    submitted_at: datetime | None
    claimed_by: str | None
    claim: int | None
    lease_expires_at: datetime | None
    finished_at: datetime | None
    result: Any
    last_error: str | None
    last_event: str | None
    repository: str | None
    required_verifications: list[str] | None


@dataclass(frozen=True)
class TaskResult(_Row):
    """Outcome of submit/renew/complete/fail/cancel/redrive: ok and code always; the task's id and resulting
    state when there is one.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    task_id: int | None
    state: str | None
    claim: int | None
    attempt: int | None
    run_after: datetime | None
    details: Any
    approval_id: int | None


@dataclass(frozen=True)
class TokenGrant(_Row):
    """A newly issued token. The token text appears here once and is never stored."""

    ok: bool | None
    code: str | None
    reason: str | None
    principal_id: UUID | None
    principal_name: str | None
    tenant_name: str | None
    role: str | None
    token_id: UUID | None
    token: str | None
    scopes: list[str] | None
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenRow(_Row):
    """A row of api.list_tokens."""

    token_id: UUID | None
    principal_name: str | None
    prefix: str | None
    label: str | None
    scopes: list[str] | None
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ValidateSkillRow(_Row):
    """A row of api.validate_skill."""

    position: int | None
    kind: str | None
    target: str | None
    allowed: bool | None
    code: str | None
    needs: Any
    reason: str | None


@dataclass(frozen=True)
class Verification(_Row):
    """One verification record of a task as list_verifications shows it."""

    verification_id: int | None
    task_id: int | None
    claim: int | None
    tier: str | None
    status: str | None
    executor: str | None
    recorded_by: str | None
    output_digest: str | None
    details: Any
    recorded_at: datetime | None


@dataclass(frozen=True)
class VerificationResult(_Row):
    """Outcome of record_verification: ok and code always; the record's id, task, tier and status when recorded;
    missing: the required tiers still without a passing record under the current claim.
    """

    ok: bool | None
    code: str | None
    reason: str | None
    verification_id: int | None
    task_id: int | None
    tier: str | None
    status: str | None
    missing: list[str] | None
    details: Any
