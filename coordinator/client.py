"""The Python client: one method per ``api`` function, each call in PostgREST's transaction shape.

Every call is::

    BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE   (READ ONLY for stable functions)
    select set_config('search_path', ...), set_config('role', 'coord_anon', ...),
           set_config('request.jwt.claims', ...), ... set_config('request.headers', <token>, ...)
    select "api"."pre_request"()                      (verifies the token, switches role)
    WITH pgrst_source AS (... "api"."fn"("p_x" := pgrst_body."p_x") ...) SELECT ...
    COMMIT

so a rule that holds for PostgREST holds here, and nothing is decided in Python. The five
statements are pipelined (one network round trip); any error rolls the whole request back.
When the connection passed in is already inside a transaction (tests), the call runs in a
savepoint instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg import sql as pgsql
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row, dict_row

from . import adapt, sql
from .errors import from_psycopg, json_too_deep, registered
from .results import (
    AgentPresence,
    Alert,
    AlertRule,
    ArchiveRow,
    AuditEvent,
    ClaimResult,
    GuardrailDecision,
    GuardrailExplanation,
    GuardrailRule,
    GuardrailViolation,
    GuardrailWord,
    Handoff,
    HeldLock,
    LockCheck,
    LockResult,
    NetworkDecision,
    NetworkRule,
    PrincipalInfo,
    PrincipalRow,
    Profile,
    ProfileResult,
    RestoredEvent,
    Result,
    SessionResult,
    Task,
    TaskResult,
    TokenGrant,
    TokenRow,
)

T = TypeVar("T")
ANON_ROLE = "coord_anon"
TOKEN_HEADER = "x-coord-token"
SESSION_HEADER = "x-coord-session"
USER_AGENT = "coord-python/0.1"


@dataclass(frozen=True)
class FunctionSignature:
    """An ``api`` function as the catalog describes it."""

    name: str
    arg_names: tuple[str, ...]
    arg_types: tuple[str, ...]
    n_defaults: int
    volatile: bool
    returns_set: bool
    return_type: str
    comment: str

    @property
    def required(self) -> tuple[str, ...]:
        return self.arg_names[: len(self.arg_names) - self.n_defaults]


def load_signatures(conn: psycopg.Connection) -> dict[str, FunctionSignature]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql.API_FUNCTIONS).fetchall()
    return {row["name"]: FunctionSignature(name=row["name"], arg_names=tuple(row["arg_names"]),
                                           arg_types=tuple(row["arg_types"]), n_defaults=row["n_defaults"],
                                           volatile=row["volatile"], returns_set=row["returns_set"],
                                           return_type=row["return_type"], comment=row["comment"])
            for row in rows}


def rpc_query(signature: FunctionSignature, keys: Sequence[str]) -> pgsql.Composed:
    """PostgREST's call of ``api.<fn>`` with named arguments taken from a JSON body ($1)."""
    function = pgsql.Identifier("api", signature.name)
    if not keys:
        return pgsql.SQL('WITH pgrst_source AS (SELECT "pgrst_call".* FROM {}() pgrst_call) '
                         "SELECT * FROM pgrst_source").format(function)
    types = dict(zip(signature.arg_names, signature.arg_types, strict=True))
    ordered = [name for name in signature.arg_names if name in keys]
    columns = pgsql.SQL(", ").join(pgsql.Identifier(k) for k in ordered)
    typed = pgsql.SQL(", ").join(pgsql.SQL("{} {}").format(pgsql.Identifier(k), pgsql.SQL(types[k])) for k in ordered)
    args = pgsql.SQL(", ").join(
        pgsql.SQL("{} := pgrst_body.{}").format(pgsql.Identifier(k), pgsql.Identifier(k)) for k in ordered)
    return pgsql.SQL(
        'WITH pgrst_source AS (SELECT "pgrst_call".* FROM (SELECT %s::json AS json_data) pgrst_payload, '
        "LATERAL (SELECT {columns} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body, "
        "LATERAL {function}({args}) pgrst_call) SELECT * FROM pgrst_source"
    ).format(columns=columns, typed=typed, function=function, args=args)


def _listed(items: Sequence[Any] | None) -> list[Any] | None:
    """A sequence argument as a JSON array; None stays None (the function's default applies)."""
    return list(items) if items is not None else None


def _json_value(value: Any) -> Any:
    if isinstance(value, timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def to_json_value(value: Any) -> Any:
    """JSON for one argument: intervals as 'N seconds', timestamps in ISO 8601, UUIDs as text."""
    try:
        return _json_value(value)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


def parse_json(text: str) -> Any:
    """A JSON argument typed by a person (coord call p_x:=..., --payload): JSON nested deeper than
    Python can parse is reported as the database reports JSON deeper than it accepts."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


def _json_body(body: Mapping[str, Any]) -> str:
    try:
        return json.dumps(body)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


class Client:
    """A connection to the ``api`` schema that authenticates every call with one token."""

    def __init__(self, dsn: str | None = None, token: str | None = None, *,
                 connection: psycopg.Connection | None = None,
                 headers: Mapping[str, str] | None = None, session_id: UUID | str | None = None) -> None:
        if connection is None:
            if dsn is None:
                raise registered("CO501", "no database to connect to",
                                 hint="pass a DSN (--dsn / COORD_DSN) or run coord up")
            try:
                connection = psycopg.connect(dsn, autocommit=True, application_name="coord")
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
            adapt.install(connection)  # ours alone: once, rather than on every call's cursor
            self._owns_connection = True
        else:
            self._owns_connection = False
        self.connection = connection
        self.token = token
        self.extra_headers = dict(headers or {})
        # Sent as x-coord-session on every call; start_session sets it.
        self.session_id = session_id
        self._signatures: dict[str, FunctionSignature] | None = None
        self._queries: dict[tuple[str, tuple[str, ...]], str] = {}

    def close(self) -> None:
        if self._owns_connection:
            self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- generic call ----------------------------------------------------------------------

    @property
    def signatures(self) -> dict[str, FunctionSignature]:
        if self._signatures is None:
            try:
                self._signatures = load_signatures(self.connection)
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
        return self._signatures

    def signature(self, function: str) -> FunctionSignature:
        try:
            return self.signatures[function]
        except KeyError:
            raise registered("42883", f"unknown api function {function}",
                             hint="list them with coord call --list") from None

    def _query(self, signature: FunctionSignature, keys: tuple[str, ...]) -> str:
        """rpc_query rendered once per function and argument set (composing it costs ~0.1 ms)."""
        cached = self._queries.get((signature.name, keys))
        if cached is None:
            cached = self._queries[(signature.name, keys)] = rpc_query(signature, keys).as_string(self.connection)
        return cached

    def request_headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, **{k.lower(): v for k, v in self.extra_headers.items()}}
        if self.token:
            headers[TOKEN_HEADER] = self.token
        if self.session_id is not None:
            headers[SESSION_HEADER] = str(self.session_id)
        return headers

    def call(self, function: str, arguments: Mapping[str, Any] | None = None,
             *, row_factory: Any = dict_row) -> list[Any]:
        """Call ``api.<function>`` with named arguments (omitted ones take their defaults)."""
        signature = self.signature(function)
        body = {k: to_json_value(v) for k, v in (arguments or {}).items()}
        unknown = sorted(set(body) - set(signature.arg_names))
        if unknown:
            raise registered("42883", f"api.{function} has no argument {', '.join(unknown)}",
                             hint=f"arguments: {', '.join(signature.arg_names) or '(none)'}")
        query = self._query(signature, tuple(body))
        params = [_json_body(body)] if body else []
        context = ('"api"', ANON_ROLE, json.dumps({"role": ANON_ROLE}), "POST", f"/rpc/{signature.name}",
                   json.dumps(self.request_headers()), "{}")
        conn = self.connection
        try:
            with conn.cursor(row_factory=row_factory) as cur:
                if not self._owns_connection:
                    adapt.install(cur)  # the caller's connection keeps its own loaders
                if conn.info.transaction_status == TransactionStatus.IDLE and conn.autocommit:
                    self._own_transaction(cur, signature, context, query, params)
                else:
                    with conn.transaction():  # a savepoint inside the caller's transaction
                        cur.execute(sql.SET_REQUEST_CONTEXT, context)
                        cur.execute(sql.PRE_REQUEST)
                        cur.execute(query, params)
                        rows = cur.fetchall()
                        cur.execute(sql.END_REQUEST)
                        return rows
                return cur.fetchall()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None

    def _own_transaction(self, cur: psycopg.Cursor[Any], signature: FunctionSignature, context: tuple[str, ...],
                         query: str, params: list[str]) -> None:
        """The request's statements, pipelined into one round trip; rolled back on any error.

        When a statement fails, PostgreSQL skips the rest of the pipeline, including a statement
        psycopg chose to prepare there (on its fifth use): psycopg records it as prepared all the
        same and would use the name on every later call (26000, prepared statement does not
        exist). So after the first failure the connection prepares nothing any more; until then
        the prepared statements save about 0.1 ms per call."""
        conn = self.connection
        try:
            with conn.pipeline():
                conn.execute(sql.BEGIN_READ_WRITE if signature.volatile else sql.BEGIN_READ_ONLY)
                conn.execute(sql.SET_REQUEST_CONTEXT, context)
                conn.execute(sql.PRE_REQUEST)
                cur.execute(query, params)
                conn.execute("COMMIT")
        except BaseException:
            if not conn.closed:
                conn.prepare_threshold = None
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
            raise

    def _rows(self, function: str, cls: type[T], **arguments: Any) -> list[T]:
        return self.call(function, {f"p_{k}": v for k, v in arguments.items() if v is not None},
                         row_factory=class_row(cls))

    def _one(self, function: str, cls: type[T], **arguments: Any) -> T:
        return self._rows(function, cls, **arguments)[0]

    # --- one method per api function ------------------------------------------------------

    def authenticate(self) -> PrincipalInfo | None:
        info = self._one("authenticate", PrincipalInfo)
        return info if info.principal_id is not None else None

    def pre_request(self) -> PrincipalInfo | None:
        info = self._one("pre_request", PrincipalInfo)
        return info if info.principal_id is not None else None

    def login(self, token: str) -> PrincipalInfo:
        return self._one("login", PrincipalInfo, token=token)

    def acquire_lock(self, path: str, ttl: timedelta | str | None = None, reason: str | None = None,
                     mode: str | None = None, wait: timedelta | str | None = None) -> LockResult:
        return self._one("acquire_lock", LockResult, path=path, ttl=ttl, reason=reason, mode=mode, wait=wait)

    def release_lock(self, path: str, fence: int) -> LockResult:
        return self._one("release_lock", LockResult, path=path, fence=fence)

    def renew_lock(self, path: str, fence: int, ttl: timedelta | str | None = None) -> LockResult:
        return self._one("renew_lock", LockResult, path=path, fence=fence, ttl=ttl)

    def check_locks(self, paths: Sequence[str]) -> list[LockCheck]:
        return self._rows("check_locks", LockCheck, paths=list(paths))

    def my_locks(self) -> list[HeldLock]:
        return self._rows("my_locks", HeldLock)

    def create_agent(self, name: str, scopes: Sequence[str] | None = None,
                     expires_in: timedelta | str | None = None) -> TokenGrant:
        return self._one("create_agent", TokenGrant, name=name,
                         scopes=_listed(scopes), expires_in=expires_in)

    def revoke_token(self, token_id: UUID | str) -> Result:
        return self._one("revoke_token", Result, token_id=token_id)

    def list_principals(self) -> list[PrincipalRow]:
        return self._rows("list_principals", PrincipalRow)

    def list_tokens(self) -> list[TokenRow]:
        return self._rows("list_tokens", TokenRow)

    def apply_team(self, team: Any, dry_run: bool | None = None) -> Result:
        """Declare the principals of your tenant from a team document (the JSON form of a team.yaml,
        see coordinator.teams); the database validates it and computes the diff."""
        return self._one("apply_team", Result, team=team, dry_run=dry_run)

    def query_audit(self, limit: int | None = None, action: str | None = None, target_id: str | None = None,
                    before_id: int | None = None, after_id: int | None = None, actor: str | None = None,
                    decision: str | None = None, target_type: str | None = None,
                    since: datetime | str | None = None, until: datetime | str | None = None,
                    severity: str | None = None) -> list[AuditEvent]:
        """Audit events; action is a pattern (* matches any run). Newest first, or oldest first
        after after_id (a tail cursor)."""
        return self._rows("query_audit", AuditEvent, limit=limit, action=action, target_id=target_id,
                          before_id=before_id, after_id=after_id, actor=actor, decision=decision,
                          target_type=target_type, since=since, until=until, severity=severity)

    def assert_lease(self, path: str, fence: int) -> LockResult:
        return self._one("assert_lease", LockResult, path=path, fence=fence)

    # --- work queue ------------------------------------------------------------------------

    def submit_task(self, kind: str, payload: Any = None, priority: int | None = None,
                    depends_on: Sequence[int] | None = None, run_after: datetime | str | None = None,
                    max_attempts: int | None = None, required_trust: int | None = None,
                    unique_key: str | None = None, locks: Sequence[str] | None = None) -> TaskResult:
        return self._one("submit_task", TaskResult, kind=kind, payload=payload, priority=priority,
                         depends_on=_listed(depends_on), run_after=run_after,
                         max_attempts=max_attempts, required_trust=required_trust, unique_key=unique_key,
                         locks=_listed(locks))

    def submit_tasks(self, tasks: Sequence[Mapping[str, Any]]) -> list[TaskResult]:
        return self._rows("submit_tasks", TaskResult, tasks=[{k: to_json_value(v) for k, v in t.items()}
                                                             for t in tasks])

    def claim_task(self, kinds: Sequence[str], lease: timedelta | str | None = None) -> ClaimResult:
        return self._one("claim_task", ClaimResult, kinds=list(kinds), lease=lease)

    def wait_for_task(self, kinds: Sequence[str], lease: timedelta | str | None = None, *, wait: float = 30.0,
                      recheck: float = 2.0) -> ClaimResult:
        """claim_task, waiting up to ``wait`` seconds for work without busy polling.

        When the queue is empty the database names the tenant's NOTIFY channel; this LISTENs on
        it and claims again when a task of any kind becomes ready (the wake-up hint) or every
        ``recheck`` seconds (the backstop for tasks whose run_after passes, or a missed hint).
        The claim itself is always the database's decision. Needs an autocommit connection.
        """
        deadline = time.monotonic() + wait
        result = self.claim_task(kinds, lease)
        if result.code != "empty" or wait <= 0:
            return result
        conn = self.connection
        channel = pgsql.Identifier(result.details["channel"])
        try:
            conn.execute(pgsql.SQL("LISTEN {}").format(channel))
            result = self.claim_task(kinds, lease)  # a task may have arrived before LISTEN took effect
            while result.code == "empty" and (remaining := deadline - time.monotonic()) > 0:
                for _ in conn.notifies(timeout=min(recheck, remaining), stop_after=1):
                    break
                result = self.claim_task(kinds, lease)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        finally:
            if not conn.closed:
                conn.execute(pgsql.SQL("UNLISTEN {}").format(channel))
        return result

    def claim_tasks(self, kinds: Sequence[str], lease: timedelta | str | None = None,
                    limit: int | None = None) -> list[ClaimResult]:
        return self._rows("claim_tasks", ClaimResult, kinds=list(kinds), lease=lease, limit=limit)

    def renew_task(self, task_id: int, claim: int, lease: timedelta | str | None = None) -> TaskResult:
        return self._one("renew_task", TaskResult, task_id=task_id, claim=claim, lease=lease)

    def complete_task(self, task_id: int, claim: int, result: Any = None) -> TaskResult:
        return self._one("complete_task", TaskResult, task_id=task_id, claim=claim, result=result)

    def fail_task(self, task_id: int, claim: int, error: str | None,
                  retryable: bool | None = None) -> TaskResult:
        # p_error is required but may be null: pass it explicitly.
        arguments: dict[str, Any] = {"p_task_id": task_id, "p_claim": claim, "p_error": error}
        if retryable is not None:
            arguments["p_retryable"] = retryable
        return self.call("fail_task", arguments, row_factory=class_row(TaskResult))[0]

    def cancel_task(self, task_id: int) -> TaskResult:
        return self._one("cancel_task", TaskResult, task_id=task_id)

    def redrive_task(self, task_id: int) -> TaskResult:
        return self._one("redrive_task", TaskResult, task_id=task_id)

    def get_task(self, task_id: int) -> Task:
        return self._one("get_task", Task, task_id=task_id)

    def list_tasks(self, state: str | None = None, kind: str | None = None, limit: int | None = None,
                   before_id: int | None = None) -> list[Task]:
        return self._rows("list_tasks", Task, state=state, kind=kind, limit=limit, before_id=before_id)

    def prune_tasks(self, finished_before: timedelta | str | None = None) -> Result:
        return self._one("prune_tasks", Result, finished_before=finished_before)

    def maintain(self) -> Result:
        return self._one("maintain", Result)

    # --- sessions and handoffs -------------------------------------------------------------

    def start_session(self, agent_type: str | None = None, capabilities: Sequence[str] | None = None,
                      ttl: timedelta | str | None = None) -> SessionResult:
        """Start a session; later calls of this client then act in it (x-coord-session)."""
        result = self._one("start_session", SessionResult, agent_type=agent_type,
                           capabilities=_listed(capabilities), ttl=ttl)
        if result.ok:
            self.session_id = result.session_id
        return result

    def heartbeat(self, status: str | None = None, current_task: int | None = None) -> SessionResult:
        return self._one("heartbeat", SessionResult, status=status, current_task=current_task)

    def end_session(self) -> SessionResult:
        return self._one("end_session", SessionResult)

    def discover_agents(self, capability: str | None = None, presence: str | None = None) -> list[AgentPresence]:
        return self._rows("discover_agents", AgentPresence, capability=capability, presence=presence)

    def write_handoff(self, summary: str, completed: Sequence[str] | None = None,
                      in_progress: Sequence[str] | None = None, decisions: Sequence[str] | None = None,
                      next_steps: Sequence[str] | None = None, relevant_files: Sequence[str] | None = None,
                      task_id: int | None = None, to_agent: str | None = None) -> Result:
        return self._one("write_handoff", Result, summary=summary, completed=_listed(completed),
                         in_progress=_listed(in_progress), decisions=_listed(decisions),
                         next_steps=_listed(next_steps), relevant_files=_listed(relevant_files),
                         task_id=task_id, to_agent=to_agent)

    def read_handoff(self, handoff_id: int | None = None, task_id: int | None = None,
                     from_agent: str | None = None, for_me: bool | None = None,
                     limit: int | None = None) -> list[Handoff]:
        return self._rows("read_handoff", Handoff, handoff_id=handoff_id, task_id=task_id,
                          from_agent=from_agent, for_me=for_me, limit=limit)

    # --- network policy --------------------------------------------------------------------

    def check_network(self, domain: str) -> NetworkDecision:
        return self._one("check_network", NetworkDecision, domain=domain)

    def add_network_rule(self, pattern: str, action: str, priority: int | None = None,
                         for_agent: str | None = None, reason: str | None = None,
                         for_profile: str | None = None) -> Result:
        return self._one("add_network_rule", Result, pattern=pattern, action=action, priority=priority,
                         for_agent=for_agent, reason=reason, for_profile=for_profile)

    def remove_network_rule(self, rule_id: int) -> Result:
        return self._one("remove_network_rule", Result, rule_id=rule_id)

    def list_network_rules(self) -> list[NetworkRule]:
        return self._rows("list_network_rules", NetworkRule)

    # --- profiles and trust -----------------------------------------------------------------

    def create_profile(self, name: str, trust_level: int, settings: dict[str, Any] | None = None) -> ProfileResult:
        return self._one("create_profile", ProfileResult, name=name, trust_level=trust_level,
                         settings=settings)

    def update_profile(self, name: str, settings: dict[str, Any]) -> ProfileResult:
        return self._one("update_profile", ProfileResult, name=name, settings=settings)

    def assign_profile(self, agent: str, profile: str | None = None) -> ProfileResult:
        return self._one("assign_profile", ProfileResult, agent=agent, profile=profile)

    def set_default_profile(self, profile: str) -> ProfileResult:
        return self._one("set_default_profile", ProfileResult, profile=profile)

    def delete_profile(self, name: str) -> ProfileResult:
        return self._one("delete_profile", ProfileResult, name=name)

    def list_profiles(self) -> list[Profile]:
        return self._rows("list_profiles", Profile)

    def my_profile(self) -> Profile:
        return self._one("my_profile", Profile)

    # --- alerts (issue 4 §5) ---------------------------------------------------------------

    def list_alerts(self, state: str | None = None, severity: str | None = None, rule: str | None = None,
                    actor: str | None = None, limit: int | None = None, before_id: int | None = None) -> list[Alert]:
        return self._rows("list_alerts", Alert, state=state, severity=severity, rule=rule, actor=actor,
                          limit=limit, before_id=before_id)

    def resolve_alert(self, alert_id: int, note: str) -> Result:
        return self._one("resolve_alert", Result, alert_id=alert_id, note=note)

    def list_alert_rules(self) -> list[AlertRule]:
        return self._rows("list_alert_rules", AlertRule)

    def add_alert_rule(self, name: str, action_pattern: str, decisions: Sequence[str], threshold: int,
                       within: timedelta | str, severity: str | None = None,
                       description: str | None = None) -> Result:
        return self._one("add_alert_rule", Result, name=name, action_pattern=action_pattern,
                         decisions=_listed(decisions), threshold=threshold, within=within, severity=severity,
                         description=description)

    def set_alert_rule(self, name: str, enabled: bool | None = None, threshold: int | None = None,
                       within: timedelta | str | None = None, severity: str | None = None,
                       action_pattern: str | None = None, decisions: Sequence[str] | None = None,
                       description: str | None = None) -> Result:
        return self._one("set_alert_rule", Result, name=name, enabled=enabled, threshold=threshold, within=within,
                         severity=severity, action_pattern=action_pattern, decisions=_listed(decisions),
                         description=description)

    # --- audit chain (issue 4 §5) ---------------------------------------------------------

    def verify_audit(self, seal: bool | None = None, head: str | None = None) -> Result:
        return self._one("verify_audit", Result, seal=seal, head=head)

    def audit_head(self, seal: bool | None = None) -> Result:
        return self._one("audit_head", Result, seal=seal)

    def list_archives(self) -> list[ArchiveRow]:
        return self._rows("list_archives", ArchiveRow)

    def query_restored_audit(self, partition: str | None = None, action: str | None = None,
                             limit: int | None = None, before_seq: int | None = None) -> list[RestoredEvent]:
        return self._rows("query_restored_audit", RestoredEvent, partition=partition, action=action, limit=limit,
                          before_seq=before_seq)

    # --- guardrails --------------------------------------------------------------------------

    def check_operation(self, kind: str, text: str) -> GuardrailDecision:
        return self._one("check_operation", GuardrailDecision, kind=kind, text=text)

    def explain_operation(self, kind: str, text: str) -> GuardrailExplanation:
        return self._one("explain_operation", GuardrailExplanation, kind=kind, text=text)

    def add_guardrail(self, name: str, category: str, applies_to: str, severity: str, pattern: str | None = None,
                      mode: str | None = None, description: str | None = None,
                      override_trust: int | None = None, actions: Sequence[str] | None = None,
                      targets: Sequence[str] | None = None) -> Result:
        return self._one("add_guardrail", Result, name=name, category=category, applies_to=applies_to,
                         pattern=pattern, severity=severity, mode=mode, description=description,
                         override_trust=override_trust, actions=_listed(actions), targets=_listed(targets))

    def set_guardrail_enabled(self, name: str, enabled: bool) -> Result:
        return self._one("set_guardrail_enabled", Result, name=name, enabled=enabled)

    def list_guardrails(self, category: str | None = None) -> list[GuardrailRule]:
        return self._rows("list_guardrails", GuardrailRule, category=category)

    def list_guardrail_vocabulary(self) -> list[GuardrailWord]:
        return self._rows("list_guardrail_vocabulary", GuardrailWord)

    def list_guardrail_violations(self, limit: int | None = None,
                                  before_id: int | None = None) -> list[GuardrailViolation]:
        return self._rows("list_guardrail_violations", GuardrailViolation, limit=limit, before_id=before_id)
