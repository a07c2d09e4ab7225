"""Error codes raised by the database, mapped to exception classes and CLI exit codes.

The database is the registry (``coord.error_registry``); this module mirrors it so Python code
can catch by class. ``tests/test_errors.py`` fails when the two drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

EXIT_OK = 0
EXIT_NOT_OK = 1  # the call returned a result with ok = false (busy, denied, stale_fence, ...)
EXIT_USAGE = 64
EXIT_DATAERR = 65
EXIT_NOINPUT = 66
EXIT_UNAVAILABLE = 69
EXIT_SOFTWARE = 70
EXIT_TEMPFAIL = 75
EXIT_NOPERM = 77
EXIT_CONFIG = 78


class CoordError(Exception):
    """An error reported by Agent Coordinator (usually raised by the database)."""

    code: str = "XX000"
    name: str = "internal_error"
    http_status: int = 500
    exit_code: int = EXIT_SOFTWARE

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail or None
        self.hint = hint or None

    def to_dict(self) -> dict[str, object]:
        return {"error": self.name, "code": self.code, "message": self.message,
                "detail": self.detail, "hint": self.hint}

    def __str__(self) -> str:
        parts = [f"{self.code} {self.message}"]
        if self.detail:
            parts.append(f"detail: {self.detail}")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class Unauthenticated(CoordError):
    http_status, exit_code = 401, EXIT_NOPERM


class Forbidden(CoordError):
    http_status, exit_code = 403, EXIT_NOPERM


class InvalidArgument(CoordError):
    http_status, exit_code = 400, EXIT_DATAERR


class NotFound(CoordError):
    http_status, exit_code = 400, EXIT_NOINPUT


class Conflict(CoordError):
    http_status, exit_code = 400, EXIT_DATAERR


class Misconfigured(CoordError):
    http_status, exit_code = 400, EXIT_CONFIG


class AuditImmutable(CoordError):
    http_status, exit_code = 400, EXIT_NOPERM


class SettingsError(CoordError):
    """The command's flags and environment do not name one database (raised before connecting)."""

    http_status, exit_code = 400, EXIT_USAGE


class PermissionDenied(CoordError):
    http_status, exit_code = 403, EXIT_NOPERM


class UnknownFunction(CoordError):
    http_status, exit_code = 404, EXIT_USAGE


class Retryable(CoordError):
    http_status, exit_code = 500, EXIT_TEMPFAIL


class ResourcesExhausted(CoordError):
    """The server ran out of disk, memory, connections or a configured limit (PostgreSQL's class
    53: 53100 and 53400 are registered, the rest of the class maps here too): the call wrote
    nothing and may be repeated once an operator made room."""

    http_status, exit_code = 503, EXIT_TEMPFAIL


class Unavailable(CoordError):
    """The database could not be reached."""

    code, name, http_status, exit_code = "08000", "unavailable", 503, EXIT_UNAVAILABLE


class MigrationError(CoordError):
    """A migration could not be applied or the ledger disagrees with the files."""

    code, name, http_status, exit_code = "CO501", "server_misconfigured", 500, EXIT_CONFIG


class ServerError(CoordError):
    """The embedded server could not be started, stopped or found."""

    code, name, http_status, exit_code = "CO501", "server_misconfigured", 500, EXIT_CONFIG


@dataclass(frozen=True)
class ErrorCode:
    code: str
    name: str
    origin: str
    http_status: int
    exit_code: int
    exception: type[CoordError]


def _codes(*rows: tuple[str, str, str, int, int, type[CoordError]]) -> dict[str, ErrorCode]:
    return {row[0]: ErrorCode(*row) for row in rows}


REGISTRY: dict[str, ErrorCode] = _codes(
    ("PT401", "unauthenticated", "coord", 401, EXIT_NOPERM, Unauthenticated),
    ("PT403", "forbidden", "coord", 403, EXIT_NOPERM, Forbidden),
    ("CO201", "path_required", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO202", "path_too_long", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO203", "path_invalid_character", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO204", "path_escapes_root", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO205", "path_is_root", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO206", "path_absolute", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO207", "repository_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO208", "path_is_json", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO211", "ttl_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO212", "wait_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO213", "read_committed_required", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO214", "mode_unknown", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO215", "reason_too_long", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO216", "fence_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO217", "paths_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO218", "lock_batch_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO221", "name_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO222", "scopes_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO223", "expiry_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO224", "limit_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO225", "request_headers_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO226", "timestamp_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO227", "grace_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO241", "list_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO242", "json_too_deep", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO401", "kind_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO402", "kinds_required", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO403", "priority_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO404", "json_too_large", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO405", "max_attempts_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO406", "lease_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO407", "dependency_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO408", "dependency_cycle", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO409", "trust_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO410", "task_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO411", "illegal_transition", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO412", "already_completed", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO413", "claim_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO414", "unique_key_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO415", "tasks_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO416", "error_too_long", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO417", "task_locks_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO418", "task_filter_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO419", "dependency_failed", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO421", "completions_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO422", "verification_tier_unknown", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO423", "verification_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO420", "retention_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO431", "session_required", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO432", "session_ttl_out_of_range", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO433", "capabilities_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO434", "status_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO435", "session_header_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO436", "agent_type_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    # agents' memory
    ("CO439", "memory_query_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO440", "memory_metadata_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO442", "memory_tier_unknown", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO443", "memory_content_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO444", "memory_importance_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO445", "memory_ttl_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO446", "memory_tags_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO447", "memory_embedding_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO448", "memory_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO449", "memory_visibility_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO441", "handoff_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO231", "team_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO232", "team_duplicate_name", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO233", "role_immutable", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO234", "team_changes_caller", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO451", "domain_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO452", "network_action_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO453", "network_rule_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO454", "network_range_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO461", "profile_name_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO462", "profile_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO463", "profile_setting_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    # approvals
    ("CO456", "approval_filter_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO464", "approval_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO465", "approval_transition_illegal", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO466", "approval_reason_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO467", "approval_timing_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO468", "approval_policy_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO469", "approval_policy_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO470", "approval_policy_exists", "coord", 400, EXIT_DATAERR, Conflict),
    # actions
    ("CO457", "action_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO458", "action_input_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO459", "action_target_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO460", "action_transition_illegal", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO478", "action_filter_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),

    # alerts and audit queries
    ("CO491", "action_pattern_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO492", "alert_rule_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO493", "alert_rule_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO494", "alert_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO495", "alert_resolved_final", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO496", "audit_filter_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO497", "resolution_note_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO471", "operation_kind_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO472", "operation_text_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO473", "guardrail_pattern_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO474", "guardrail_rule_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO475", "guardrail_rule_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO476", "guardrail_rule_exists", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO477", "operations_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    # skills
    ("CO760", "skill_name_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO761", "skill_manifest_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO762", "skill_path_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO763", "skill_domain_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO764", "skill_env_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO765", "skill_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO766", "skill_version_not_newer", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO767", "skill_version_exists", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO768", "skill_retired", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO769", "skill_operations_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO770", "env_name_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    # messages
    ("CO710", "message_address_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO711", "message_body_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO712", "message_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO713", "message_subject_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO714", "message_rule_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO715", "message_rule_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO716", "message_ids_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO301", "tenant_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO302", "principal_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO303", "token_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO304", "name_taken", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO305", "principal_tenant_fixed", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO501", "server_misconfigured", "coord", 400, EXIT_CONFIG, Misconfigured),
    ("CO502", "outcome_unregistered", "coord", 400, EXIT_SOFTWARE, CoordError),
    ("CO650", "event_types_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO651", "event_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO652", "webhook_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO653", "webhook_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO654", "delivery_report_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO601", "audit_immutable", "coord", 400, EXIT_NOPERM, AuditImmutable),
    ("CO602", "audit_ddl_refused", "coord", 400, EXIT_NOPERM, AuditImmutable),
    ("CO603", "audit_head_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO604", "audit_head_other_tenant", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO900", "wait_retry", "internal", 400, EXIT_SOFTWARE, CoordError),
    ("22P02", "invalid_text_representation", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22007", "invalid_datetime_format", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22008", "datetime_field_overflow", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22015", "interval_field_overflow", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22003", "numeric_value_out_of_range", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22P05", "untranslatable_character", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("22021", "character_not_in_repertoire", "postgresql", 400, EXIT_DATAERR, InvalidArgument),
    ("54000", "program_limit_exceeded", "postgresql", 500, EXIT_DATAERR, InvalidArgument),
    ("54001", "statement_too_complex", "postgresql", 500, EXIT_DATAERR, InvalidArgument),
    ("42501", "insufficient_privilege", "postgresql", 401, EXIT_NOPERM, PermissionDenied),
    ("42883", "undefined_function", "postgresql", 404, EXIT_USAGE, UnknownFunction),
    ("55P03", "lock_not_available", "postgresql", 500, EXIT_TEMPFAIL, Retryable),
    ("40001", "serialization_failure", "postgresql", 500, EXIT_TEMPFAIL, Retryable),
    ("40P01", "deadlock_detected", "postgresql", 500, EXIT_TEMPFAIL, Retryable),
    ("53100", "disk_full", "postgresql", 503, EXIT_TEMPFAIL, ResourcesExhausted),
    ("53400", "configuration_limit_exceeded", "postgresql", 500, EXIT_TEMPFAIL, ResourcesExhausted),
    # audit chain and retention
    ("CO481", "audit_archive_too_recent", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO482", "audit_archive_unsealed", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO483", "audit_archive_not_prefix", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO484", "audit_partition_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO485", "audit_chain_broken", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO486", "audit_export_mismatch", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO487", "audit_restore_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO488", "audit_restore_exists", "coord", 400, EXIT_DATAERR, Conflict),
    # client logins bound to one tenant
    ("CO521", "login_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO522", "login_exists", "coord", 400, EXIT_DATAERR, Conflict),
    ("CO523", "login_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO524", "login_policy_invalid", "coord", 400, EXIT_CONFIG, Misconfigured),
    # JWT signing keys
    ("CO511", "jwt_key_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO512", "jwt_key_last", "coord", 400, EXIT_DATAERR, Conflict),
    # connection settings of the coord CLI (coordinator.config)
    ("CO530", "connection_conflict", "cli", 400, EXIT_USAGE, SettingsError),
    ("CO531", "setting_invalid", "cli", 400, EXIT_USAGE, SettingsError),
    # the embedded server's data directory (coordinator.server)
    ("CO532", "data_dir_invalid", "cli", 400, EXIT_CONFIG, Misconfigured),
    ("CO533", "server_state_invalid", "cli", 400, EXIT_CONFIG, Misconfigured),
    ("CO534", "server_port_differs", "cli", 400, EXIT_USAGE, SettingsError),
    # the repository a path belongs to (coordinator.workspace)
    ("CO541", "path_outside_repository", "cli", 400, EXIT_DATAERR, InvalidArgument),
    ("CO542", "repository_root_unknown", "cli", 400, EXIT_USAGE, SettingsError),
    # coord mcp: a tool call that failed in the MCP server itself (coordinator.mcp_server)
    ("CO551", "mcp_call_failed", "cli", 400, EXIT_SOFTWARE, CoordError),
    # the Cedar engine (docs/cedar.md)
    ("CO561", "cedar_unavailable", "coord", 400, EXIT_UNAVAILABLE, Misconfigured),
    ("CO562", "cedar_policy_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    ("CO563", "cedar_version_unknown", "coord", 400, EXIT_NOINPUT, NotFound),
    ("CO564", "policy_engine_invalid", "coord", 400, EXIT_DATAERR, InvalidArgument),
    # coord eval: a scenario file that does not follow the format (coordinator.eval_scenarios)
    ("CO590", "scenario_invalid", "cli", 400, EXIT_DATAERR, InvalidArgument),
)

# PostgreSQL raises its own codes without our hints; the registry's hint for each (checked
# against coord.error_registry by tests/test_errors.py) is added when the error has none.
POSTGRESQL_HINTS: dict[str, str] = {
    "22003": "integer arguments are 32-bit, ids, fences and claims 64-bit; check the argument types in docs/api.md",
    "22007": "intervals look like 30 seconds or 00:05:00, timestamps like 2030-01-01T00:00:00Z",
    "22008": "check the month and day; the api accepts timestamps from 0001-01-02 to 9999-12-30",
    "22015": "intervals are limited to about 178 million years; leases to 24 hours",
    "22021": "send text as UTF-8; invalid byte sequences and encoded surrogates are refused",
    "22P02": "check the argument types in docs/api.md; JSON text may not hold a lone surrogate escape such as \\ud800",
    "22P05": "text may not contain NUL bytes",
    "40001": "retry the call",
    "40P01": "retry the call",
    "42501": "the token's role (agent, operator, auditor) is not granted this function; PostgREST answers 401 because "
             "tokens are verified by the database, not as JWTs",
    "42883": "list functions with coord call --list",
    "53100": "an operator frees space on the file system of the data directory; then repeat the call (what was "
             "acknowledged before is kept)",
    "53400": "an operator raises the limit the message names (e.g. temp_file_limit)",
    "54000": "lists are one-dimensional (PostgreSQL stops at 6 dimensions)",
    "54001": "JSON arguments nest at most 32 levels (CO242); PostgreSQL's parser stops after a few thousand",
    "55P03": "another transaction touching an overlapping path has not committed for 2 seconds; retry",
}

# psycopg refuses NUL bytes in text before sending; PostgreSQL itself reports the same input
# as 22P05 when it arrives through JSON (PostgREST). Both mean the same thing to a caller.
_NUL_MESSAGE = "cannot contain NUL"


def from_psycopg(exc: BaseException) -> CoordError:
    """Translate a psycopg exception into the registered CoordError subclass."""
    if isinstance(exc, CoordError):
        return exc
    if isinstance(exc, psycopg.OperationalError) and getattr(exc, "sqlstate", None) is None:
        return Unavailable(str(exc).strip() or "cannot connect to the database")
    if isinstance(exc, psycopg.DataError) and _NUL_MESSAGE in str(exc) and exc.sqlstate is None:
        return _build(REGISTRY["22P05"], "an argument contains a NUL byte", str(exc), POSTGRESQL_HINTS["22P05"])
    diag = getattr(exc, "diag", None)
    sqlstate = getattr(exc, "sqlstate", None)
    message = (diag.message_primary if diag is not None else None) or str(exc).strip()
    detail = diag.message_detail if diag is not None else None
    hint = (diag.message_hint if diag is not None else None) or POSTGRESQL_HINTS.get(sqlstate or "")
    entry = REGISTRY.get(sqlstate or "")
    if entry is None:
        err = CoordError(message, code=sqlstate or "XX000", detail=detail, hint=hint)
        if sqlstate and sqlstate.startswith("22"):
            err = InvalidArgument(message, code=sqlstate, detail=detail, hint=hint)
        elif sqlstate and sqlstate.startswith("53"):  # out of memory, connections: as disk_full
            err = ResourcesExhausted(message, code=sqlstate, detail=detail, hint=hint)
        return err
    return _build(entry, message, detail, hint)


def registered(code: str, message: str, detail: str | None = None, hint: str | None = None) -> CoordError:
    """The registered error ``code`` for a problem found before the database is reached (a team
    file that is not YAML), reported exactly as the database reports its own errors."""
    return _build(REGISTRY[code], message, detail, hint)


def json_too_deep(detail: str) -> CoordError:
    """JSON nested deeper than Python can handle (about 1000 levels) is far deeper than the
    database accepts (32, CO242): reported before sending as the database would report it."""
    return registered("CO242", "a JSON argument nests more than 32 levels of arrays and objects", detail,
                      "flatten the document, or store deep structures elsewhere and pass a reference")


def _build(entry: ErrorCode, message: str, detail: str | None, hint: str | None) -> CoordError:
    err = entry.exception(message, code=entry.code, detail=detail, hint=hint)
    err.name = entry.name
    err.http_status = entry.http_status
    err.exit_code = entry.exit_code
    return err
