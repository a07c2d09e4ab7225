"""SQL-level specs (pgTAP): one folder per api domain under tests/sql/, each spec one
transaction that rolls back, with the helper schema coord_test (tests/sql/coord_test.sql).

Here each spec runs through psql on PostgreSQL 18 (failures show its TAP diagnostics), in a
database of its own cloned from the migrated template with the helpers installed;
tests/test_pg15.py runs the whole set on Debian's PostgreSQL 15 with pg_prove and the system
psql, exactly as docs/operations.md tells a DBA to.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import Cluster, clone_template

SQL = Path(__file__).parent / "sql"
HELPERS = SQL / "coord_test.sql"
UNINSTALL = SQL / "coord_test_uninstall.sql"
SPECS = sorted(SQL.glob("*/*.sql"))
# The api's domains and their functions: each domain's folder specifies every one of them.
DOMAINS: dict[str, tuple[str, ...]] = {
    "identity": ("authenticate", "pre_request", "login", "begin_request", "create_agent", "revoke_token",
                 "list_principals", "list_tokens", "add_device", "rotate_token", "revoke_device", "list_devices"),
    "locks": ("acquire_lock", "acquire_locks", "release_lock", "release_locks", "renew_lock", "check_locks", "my_locks",
              "assert_lease"),
    "queue": ("submit_task", "submit_tasks", "claim_task", "claim_task_by_id", "claim_tasks", "renew_task",
              "complete_task", "complete_tasks", "fail_task", "cancel_task", "redrive_task", "get_task", "list_tasks",
              "claim_or_wait"),
    "sessions": ("start_session", "heartbeat", "end_session", "discover_agents", "write_handoff", "read_handoff",
                 "session_context"),
    "teams": ("apply_team",),
    "profiles": ("create_profile", "update_profile", "assign_profile", "set_default_profile", "delete_profile",
                 "list_profiles", "my_profile"),
    "network": ("check_network", "add_network_rule", "remove_network_rule", "list_network_rules"),
    "policies": ("set_cedar_policy", "rollback_cedar_policy", "set_policy_engine", "cedar_policy",
                 "cedar_policy_history"),
    "guardrails": ("check_operation", "add_guardrail", "set_guardrail_enabled", "list_guardrails",
                   "list_guardrail_violations", "explain_operation", "list_guardrail_vocabulary"),
    "audit": ("query_audit", "verify_audit", "audit_head", "list_archives", "query_restored_audit", "audit_since"),
    "alerts": ("list_alerts", "resolve_alert", "list_alert_rules", "add_alert_rule", "set_alert_rule"),
    "retention": ("prune_tasks", "maintain"),
    "fleet": ("list_leases", "fleet_status", "watch_fleet"),
    "approvals": ("approve_request", "deny_request", "cancel_approval", "wait_for_approval", "list_approvals",
                  "get_approval", "add_approval_policy", "remove_approval_policy", "list_approval_policies"),
    "memory": ("remember", "recall", "forget", "list_memories"),
    "skills": ("register_skill", "retire_skill", "list_skills", "get_skill", "validate_skill"),
    "verification": ("record_verification", "list_verifications"),
    "messages": ("send_message", "inbox", "ack_messages", "get_thread", "list_threads", "watch_inbox", "allow_messages",
                 "deny_messages", "remove_message_rule", "set_message_default", "list_message_rules",
                 "check_message_route"),
    "actions": ("propose_action", "claim_action", "renew_action", "complete_action", "fail_action", "get_action",
                "list_actions", "device_heartbeat", "discover_devices"),
    "events": ("events_since", "events_head", "follow_events"),
    "webhooks": ("add_webhook", "remove_webhook", "list_webhooks", "list_webhook_deliveries",
                 "claim_webhook_deliveries", "report_webhook_delivery"),
}
SPEC_DB = "coord_specs"
_RESULT = re.compile(r"^(not ok|ok) (\d+)")
_PLAN = re.compile(r"^1\.\.(\d+)$")
_API_CALL = re.compile(r"\bapi\.([a-z_]+)\s*\(")


def install_helpers(psql: Path, dsn: str, script: Path = HELPERS) -> None:
    """Install (or replace) the coord_test helper schema, as a DBA does before pg_prove."""
    run = subprocess.run([str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"{script.name} failed:\n{run.stderr}"


def run_spec(psql: Path, dsn: str, spec: Path) -> None:
    """Run one spec through psql and fail with its TAP output unless every planned test passed."""
    run = subprocess.run([str(psql), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(spec)],
                         capture_output=True, text=True, timeout=120)
    lines = [line.strip() for line in run.stdout.splitlines() if line.strip()]
    assert run.returncode == 0, f"psql failed:\n{run.stderr}\n{run.stdout}"
    plans = [int(m.group(1)) for line in lines if (m := _PLAN.match(line))]
    results = [m.group(1) for line in lines if (m := _RESULT.match(line))]
    report = "\n".join(lines)
    assert plans and plans[0] > 0, f"no plan:\n{report}"
    assert len(results) == plans[0], f"planned {plans[0]}, ran {len(results)}:\n{report}"
    assert "not ok" not in results, report


@pytest.fixture(scope="module")
def spec_db(cluster: Cluster) -> Iterator[str]:
    database = clone_template(cluster, SPEC_DB)
    try:
        install_helpers(cluster.psql, database.admin_dsn)
        yield database.admin_dsn
    finally:
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("drop database {} with (force)").format(pgsql.Identifier(SPEC_DB)))


def test_every_domain_has_specs() -> None:
    folders = sorted(p.name for p in SQL.iterdir() if p.is_dir())
    assert folders == sorted(DOMAINS), "tests/sql/ holds one folder per api domain"
    assert all(list((SQL / domain).glob("*.sql")) for domain in DOMAINS)


def test_every_api_function_is_specified_in_its_domain(shared_db) -> None:
    """Every function of schema api belongs to one domain, and that domain's specs call it."""
    with shared_db.connect() as conn:
        functions = sorted(r[0] for r in conn.execute(
            "select proname from pg_proc where pronamespace = 'api'::regnamespace"))
    owned = [name for names in DOMAINS.values() for name in names]
    assert sorted(owned) == functions, "each api function belongs to exactly one domain in DOMAINS"
    missing = {}
    for domain, names in DOMAINS.items():
        called = {name for spec in (SQL / domain).glob("*.sql") for name in _API_CALL.findall(spec.read_text())}
        missing.update({name: domain for name in names if name not in called})
    assert missing == {}, "api functions their domain's specs never call"


def test_helpers_are_installed_by_the_runner_only(shared_db, cluster: Cluster) -> None:
    """migrate never installs coord_test; the helper script can be run again and removed."""
    schema = "select count(*) from pg_namespace where nspname = 'coord_test'"
    with shared_db.connect() as conn:
        assert conn.execute(schema).fetchone() == (0,), "a migrated database has no coord_test schema"
    database = clone_template(cluster, "coord_helpers")
    try:
        install_helpers(cluster.psql, database.admin_dsn)
        install_helpers(cluster.psql, database.admin_dsn)
        with database.connect() as conn:
            assert conn.execute(schema).fetchone() == (1,)
        install_helpers(cluster.psql, database.admin_dsn, UNINSTALL)
        with database.connect() as conn:
            assert conn.execute(schema).fetchone() == (0,)
    finally:
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute("drop database coord_helpers with (force)")


def test_specs_roll_back() -> None:
    """Each spec is one transaction that rolls back: it leaves nothing behind, on any server."""
    for spec in SPECS:
        statements = [line for line in spec.read_text().splitlines() if line and not line.startswith("--")]
        assert statements[0].startswith("begin"), spec
        assert statements[-1] == "rollback;", spec
        assert not re.search(r"^\s*(commit|end)\s*;", spec.read_text(), re.IGNORECASE | re.MULTILINE), spec


@pytest.mark.parametrize("spec", SPECS, ids=[f"{p.parent.name}/{p.stem}" for p in SPECS])
def test_pgtap(spec: Path, spec_db: str, cluster: Cluster) -> None:
    run_spec(cluster.psql, spec_db, spec)


def run_pg_prove(dsn: str, psql: Path | None = None) -> None:
    """The DBA's command from docs/operations.md (pg_prove with -h -p -U -d) on every spec."""
    pg_prove = shutil.which("pg_prove")
    assert pg_prove, "pg_prove is missing: apt-get install libtap-parser-sourcehandler-pgtap-perl (bin/test does this)"
    params = conninfo_to_dict(dsn)
    root = SQL.parent.parent
    command = [pg_prove, *(["--psql-bin", str(psql)] if psql else []), "-h", str(params["host"]),
               "-p", str(params["port"]), "-U", str(params["user"]), "-d", str(params["dbname"]),
               *(str(s.relative_to(root)) for s in SPECS)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=root)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert "All tests successful." in run.stdout
    assert f"Files={len(SPECS)}," in run.stdout
