"""Typed results of the api functions, one frozen dataclass per result shape.

Field names and order equal the columns the functions return; ``tests/test_client_registry.py``
compares them with the catalog.
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
class PrincipalInfo(_Row):
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


@dataclass(frozen=True)
class LockResult(_Row):
    ok: bool
    code: str
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
    details: dict[str, Any]


@dataclass(frozen=True)
class LockCheck(_Row):
    path: str
    locked: bool
    lock_path: str | None
    mode: str | None
    holder_id: UUID | None
    holder_name: str | None
    expires_at: datetime | None
    mine: bool | None
    fence: int | None


@dataclass(frozen=True)
class HeldLock(_Row):
    path: str
    mode: str
    fence: int
    reason: str | None
    acquired_at: datetime
    renewed_at: datetime | None
    expires_at: datetime


@dataclass(frozen=True)
class TokenGrant(_Row):
    ok: bool
    code: str
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
class Result(_Row):
    ok: bool
    code: str
    reason: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class PrincipalRow(_Row):
    principal_id: UUID
    name: str
    kind: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    live_tokens: int
    live_locks: int


@dataclass(frozen=True)
class TokenRow(_Row):
    token_id: UUID
    principal_name: str
    prefix: str
    label: str | None
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEvent(_Row):
    id: int
    occurred_at: datetime
    actor_type: str
    actor_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    decision: str
    severity: str
    rule: str | None
    reason: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class TaskResult(_Row):
    ok: bool
    code: str
    reason: str | None
    task_id: int | None
    state: str | None
    claim: int | None
    attempt: int | None
    run_after: datetime | None
    details: dict[str, Any]


@dataclass(frozen=True)
class ClaimResult(_Row):
    ok: bool
    code: str
    reason: str | None
    task_id: int | None
    kind: str | None
    payload: Any
    priority: int | None
    claim: int | None
    attempt: int | None
    max_attempts: int | None
    lease_expires_at: datetime | None
    locks: dict[str, int] | None
    details: dict[str, Any]


@dataclass(frozen=True)
class Task(_Row):
    task_id: int
    kind: str
    state: str
    priority: int
    payload: Any
    depends_on: list[int]
    pending_deps: int
    run_after: datetime
    attempts: int
    max_attempts: int
    required_trust: int
    unique_key: str | None
    locks: list[str]
    submitted_by: str
    submitted_at: datetime
    claimed_by: str | None
    claim: int | None
    lease_expires_at: datetime | None
    finished_at: datetime | None
    result: Any
    last_error: str | None
    last_event: str


@dataclass(frozen=True)
class SessionResult(_Row):
    ok: bool
    code: str
    reason: str | None
    session_id: UUID | None
    expires_at: datetime | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AgentPresence(_Row):
    principal_id: UUID
    name: str
    session_id: UUID
    agent_type: str | None
    capabilities: list[str]
    status: str
    presence: str
    current_task_id: int | None
    started_at: datetime
    last_heartbeat_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Handoff(_Row):
    handoff_id: int
    author: str
    session_id: UUID | None
    task_id: int | None
    to_agent: str | None
    summary: str
    completed: list[str]
    in_progress: list[str]
    decisions: list[str]
    next_steps: list[str]
    relevant_files: list[str]
    created_at: datetime


@dataclass(frozen=True)
class NetworkDecision(_Row):
    ok: bool
    code: str
    reason: str | None
    domain: str | None
    rule_id: int | None
    pattern: str | None
    decided_by: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class NetworkRule(_Row):
    rule_id: int
    pattern: str
    action: str
    priority: int
    agent: str | None
    profile: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Profile(_Row):
    name: str
    trust_level: int
    max_locks: int | None
    max_lock_ttl: timedelta | None
    max_concurrent_tasks: int | None
    allowed_task_kinds: list[str] | None
    allowed_operations: list[str] | None
    max_task_duration: timedelta | None
    calls_per_hour: int | None
    network_default: str | None
    description: str | None
    is_default: bool
    agents: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProfileResult(_Row):
    ok: bool
    code: str
    reason: str | None
    profile: str | None
    details: dict[str, Any]


# --- alerts (issue 4 §5) -------------------------------------------------------------------------

@dataclass(frozen=True)
class Alert(_Row):
    alert_id: int
    rule: str
    severity: str
    state: str
    actor_type: str
    actor_name: str | None
    event_count: int
    first_event_id: int
    last_event_id: int
    first_event_at: datetime
    last_event_at: datetime
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


@dataclass(frozen=True)
class AlertRule(_Row):
    rule_id: int
    name: str
    action_pattern: str
    decisions: list[str]
    threshold: int
    within: timedelta
    severity: str
    enabled: bool
    description: str | None
    open_alerts: int
    updated_at: datetime


# --- audit chain and retention (issue 4 §5) ----------------------------------------------------

@dataclass(frozen=True)
class ArchiveRow(_Row):
    partition_name: str
    month: date
    archived_at: datetime
    file_name: str
    file_sha256: str
    content_sha256: str
    events: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    event_id: int | None
    restored: bool


@dataclass(frozen=True)
class RestoredEvent(_Row):
    partition_name: str
    chain_seq: int
    event_id: int
    occurred_at: datetime
    action: str
    event: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class GuardrailDecision(_Row):
    ok: bool
    code: str
    reason: str | None
    kind: str | None
    normalized: str | None
    matches: list[dict[str, Any]]
    overridden: bool | None
    trust: int | None
    violation_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True)
class GuardrailExplanation(_Row):
    ok: bool
    code: str
    reason: str | None
    kind: str | None
    normalized: str | None
    units: list[dict[str, Any]]
    matches: list[dict[str, Any]]
    trust: int | None


@dataclass(frozen=True)
class GuardrailRule(_Row):
    name: str
    category: str
    applies_to: str
    actions: list[str] | None
    targets: list[str] | None
    severity: str
    override_trust: int | None
    mode: str
    enabled: bool
    builtin: bool
    pattern: str | None
    description: str
    updated_at: datetime


@dataclass(frozen=True)
class GuardrailWord(_Row):
    kind: str
    name: str
    meaning: str


@dataclass(frozen=True)
class GuardrailViolation(_Row):
    violation_id: int
    occurred_at: datetime
    principal_name: str | None
    kind: str
    operation: str
    normalized: str
    outcome: str
    trust: int
    rules: list[dict[str, Any]]
    task_id: int | None
