"""Alerts over the audit log: rules as data, evaluation by the trigger on audit.events,
one open alert per rule and actor (also under concurrency), resolving, rule management,
and the revoked-token loopback that records an attempt whose own transaction aborts."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from coordinator import errors
from coordinator.client import Client
from tests.conftest import Database, Principal, advance_clock, make_principal

# Migrations that gave the default rules to the tenants existing then (a block each).
MIGRATIONS = [Path(__file__).parent.parent / "migrations" / name
              for name in ("0011_create_alerts.sql", "0012_create_logins.sql")]
DEFAULT_RULES = {"guardrail-blocks", "policy-denials", "revoked-token-use", "login-drift"}


def emit(conn: psycopg.Connection, who: Principal, action: str, decision: str, severity: str = "warning") -> int:
    """An audit event by `who`, as the guardrails (or any other writer) would record it."""
    row = conn.execute(
        "insert into audit.events (tenant_id, occurred_at, actor_type, actor_id, actor_name, action, decision, "
        "severity) values (%s, coord.now(), 'agent', %s, %s, %s, %s, %s) returning id",
        (who.tenant_id, who.principal_id, who.name, action, decision, severity)).fetchone()
    assert row is not None
    return int(row[0])


def alerts_of(conn: psycopg.Connection, who: Principal) -> list[tuple]:
    return conn.execute(
        "select r.name, a.state::text, a.event_count, a.severity, a.first_event_id, a.last_event_id "
        "from coord.alerts a join coord.alert_rules r on r.id = a.rule_id where a.actor_id = %s order by a.id",
        (who.principal_id,)).fetchall()


def operator_of(db: psycopg.Connection, tenant: str = "t1") -> Client:
    return Client(connection=db, token=make_principal(db, tenant=tenant, role="operator").token)


def test_every_tenant_gets_the_default_rules(db: psycopg.Connection) -> None:
    tenant = db.execute("select coord.ensure_tenant('fresh-tenant')").fetchone()[0]  # type: ignore[index]
    rules = db.execute("select name, action_pattern, decisions, threshold, within::text, severity, enabled "
                       "from coord.alert_rules where tenant_id = %s order by name", (tenant,)).fetchall()
    assert {r[0] for r in rules} == DEFAULT_RULES
    # The tenant's rules are the shipped ones, column for column.
    shipped = db.execute("select name, action_pattern, decisions, threshold, within::text, severity, true "
                         "from coord.shipped_alert_rules order by name").fetchall()
    assert rules == shipped
    assert ("revoked-token-use", "auth.revoked_token", ["refused"], 1, "00:01:00", "critical", True) in rules
    assert ("login-drift", "login.check", ["refused"], 1, "00:01:00", "critical", True) in rules
    # The migrations' blocks for tenants that existed before them give them exactly the same rules.
    db.execute("delete from coord.alert_rules where tenant_id = %s", (tenant,))
    for migration in MIGRATIONS:
        block = re.search(r"-- defaults:begin\n(.*?)-- defaults:end", migration.read_text(), re.S)
        assert block is not None, migration.name
        db.execute(block.group(1))
    again = db.execute("select name, action_pattern, decisions, threshold, within::text, severity, enabled "
                       "from coord.alert_rules where tenant_id = %s order by name", (tenant,)).fetchall()
    assert again == rules


def test_trigger_filter_matches_rule_vocabulary(db: psycopg.Connection) -> None:
    def quoted(text: str) -> set[str]:
        return set(re.findall(r"'([a-z_]+)'::text", text))

    trigger = db.execute("select pg_get_triggerdef(oid) from pg_trigger where tgname = 'events_raise_alerts' "
                         "and tgrelid = 'audit.events'::regclass").fetchone()[0]  # type: ignore[index]
    check = db.execute("select pg_get_constraintdef(oid) from pg_constraint "
                       "where conname = 'alert_rules_values_check'").fetchone()[0]  # type: ignore[index]
    index = db.execute("select pg_get_indexdef('audit.events_alertable_idx'::regclass)").fetchone()[0]  # type: ignore[index]
    vocabulary = {"denied", "blocked", "needs_approval", "refused"}
    assert quoted(trigger) == vocabulary and quoted(index) == vocabulary
    assert vocabulary <= quoted(check)


def test_ordinary_events_never_enter_the_trigger_function(db: psycopg.Connection) -> None:
    db.execute("set local track_functions = 'pl'")
    agent = make_principal(db)

    def calls() -> int:
        row = db.execute("select coalesce(pg_stat_get_xact_function_calls('audit.tg_events__raise_alerts'::regproc),"
                         " 0)").fetchone()
        assert row is not None
        return int(row[0])

    for decision in ("granted", "released", "queued", "allowed"):
        emit(db, agent, "lock.acquire", decision)
    assert calls() == 0
    emit(db, agent, "lock.acquire", "denied")
    assert calls() == 1


def test_one_open_alert_per_rule_and_actor_is_a_constraint(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    emit(db, agent, "auth.revoked_token", "refused")
    db.execute("savepoint again")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("insert into coord.alerts (tenant_id, rule_id, actor_type, actor_id, actor_name, severity, "
                   "event_count, first_event_id, last_event_id, first_event_at, last_event_at, raised_at) "
                   "select tenant_id, rule_id, actor_type, actor_id, actor_name, severity, 1, first_event_id, "
                   "last_event_id, first_event_at, last_event_at, raised_at from coord.alerts where actor_id = %s",
                   (agent.principal_id,))
    db.execute("rollback to savepoint again")


def test_guardrail_blocks_raise_one_alert_and_then_count(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    other = make_principal(db)
    emit(db, agent, "guardrail.check", "blocked")
    emit(db, other, "guardrail.check", "blocked")  # another actor does not add up
    emit(db, agent, "guardrail.check", "allowed")  # not a block: the trigger does not even fire
    assert alerts_of(db, agent) == []
    # complete_task records each blocked operation as guardrail.check and then its own refusal
    # as task.complete: only the guardrail checks count, so a refused completion is not counted twice.
    emit(db, agent, "task.complete", "blocked")
    emit(db, agent, "guardrail.check", "blocked")
    assert alerts_of(db, agent) == []
    third = emit(db, agent, "guardrail.check", "blocked")
    [(rule, state, count, severity, _first, last)] = alerts_of(db, agent)
    assert (rule, state, count, severity, last) == ("guardrail-blocks", "open", 3, "warning", third)
    fourth = emit(db, agent, "guardrail.check", "blocked")
    assert [(a[0], a[2], a[5]) for a in alerts_of(db, agent)] == [("guardrail-blocks", 4, fourth)]
    assert alerts_of(db, other) == []
    raised = db.execute("select actor_type::text, target_id, decision, severity, details ->> 'actor_name', "
                        "(details ->> 'event_count')::int from audit.events where action = 'alert.raise' "
                        "and details ->> 'actor_id' = %s", (str(agent.principal_id),)).fetchall()
    assert len(raised) == 1 and raised[0][0] == "system" and raised[0][2:] == ("raised", "warning", agent.name, 3)


def test_events_outside_the_window_do_not_count(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    emit(db, agent, "guardrail.check", "blocked")
    emit(db, agent, "guardrail.check", "blocked")
    advance_clock(db, "11 minutes")
    emit(db, agent, "guardrail.check", "blocked")
    assert alerts_of(db, agent) == []
    emit(db, agent, "guardrail.check", "blocked")
    emit(db, agent, "guardrail.check", "blocked")
    assert [a[2] for a in alerts_of(db, agent)] == [3]


def test_policy_denials_through_the_api_raise_an_alert(db: psycopg.Connection) -> None:
    agent = make_principal(db, scopes=["locks:read"])
    client = Client(connection=db, token=agent.token)
    for i in range(5):
        result = client.acquire_lock(f"src/{i}.py")  # the token lacks locks:write: denied, audited
        assert (result.ok, result.code) == (False, "denied")
    [(rule, state, count, severity, _first, _last)] = alerts_of(db, agent)
    assert (rule, state, count, severity) == ("policy-denials", "open", 5, "warning")
    ops = operator_of(db)
    [alert] = ops.list_alerts(state="open", rule="policy-denials", actor=agent.name)
    assert (alert.event_count, alert.actor_name, alert.severity) == (5, agent.name, "warning")


def test_resolving_closes_the_alert_and_later_matches_start_over(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    for _ in range(3):
        emit(db, agent, "guardrail.check", "blocked")
    ops = operator_of(db)
    [alert] = ops.list_alerts(actor=agent.name)
    result = ops.resolve_alert(alert.alert_id, "agent re-prompted")
    assert (result.ok, result.code) == (True, "resolved")
    again = ops.resolve_alert(alert.alert_id, "twice")
    assert (again.ok, again.code) == (False, "already_resolved")
    [resolved] = ops.list_alerts(actor=agent.name, state="resolved")
    assert (resolved.state, resolved.resolution, resolved.resolved_by) == ("resolved", "agent re-prompted",
                                                                            ops.authenticate().name)  # type: ignore[union-attr]
    audited = ops.query_audit(action="alert.resolve", target_id=str(alert.alert_id))
    assert [(e.decision, e.reason) for e in audited] == [("resolved", "agent re-prompted")]
    # The three events that raised the resolved alert do not count again.
    emit(db, agent, "guardrail.check", "blocked")
    emit(db, agent, "guardrail.check", "blocked")
    assert [a[1] for a in alerts_of(db, agent)] == ["resolved"]
    emit(db, agent, "guardrail.check", "blocked")
    assert [(a[1], a[2]) for a in alerts_of(db, agent)] == [("resolved", 3), ("open", 3)]
    with pytest.raises(psycopg.Error) as caught:
        db.execute("update coord.alerts set resolution = 'rewritten' where id = %s", (alert.alert_id,))
    assert caught.value.sqlstate == "CO495"


def test_only_operators_resolve_and_agents_cannot_read(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    for _ in range(3):
        emit(db, agent, "guardrail.check", "blocked")
    auditor = Client(connection=db, token=make_principal(db, role="auditor").token)
    [alert] = auditor.list_alerts(actor=agent.name)
    assert [r.name for r in auditor.list_alert_rules()] == sorted(DEFAULT_RULES)
    with pytest.raises(errors.PermissionDenied):
        auditor.resolve_alert(alert.alert_id, "not mine to close")
    agent_client = Client(connection=db, token=agent.token)
    for call in (agent_client.list_alerts, agent_client.list_alert_rules,
                 lambda: agent_client.resolve_alert(alert.alert_id, "hide it")):
        with pytest.raises(errors.PermissionDenied):
            call()
    # An operator token without the alerts scope is denied as a result, and the denial is audited.
    narrow = Client(connection=db, token=make_principal(db, role="operator", scopes=["locks:read"]).token)
    denied = narrow.resolve_alert(alert.alert_id, "no scope")
    assert (denied.ok, denied.code) == (False, "denied")
    assert db.execute("select state::text from coord.alerts where id = %s",
                      (alert.alert_id,)).fetchone() == ("open",)


def test_alerts_stay_inside_their_tenant(db: psycopg.Connection) -> None:
    agent = make_principal(db, tenant="t1")
    for _ in range(3):
        emit(db, agent, "guardrail.check", "blocked")
    foreign = operator_of(db, tenant="t2")
    assert foreign.list_alerts() == []
    [alert_id] = [r[0] for r in db.execute("select id from coord.alerts where actor_id = %s", (agent.principal_id,))]
    with pytest.raises(errors.NotFound):
        foreign.resolve_alert(alert_id, "not my tenant")


def test_rules_are_data(db: psycopg.Connection) -> None:
    ops = operator_of(db)
    agent = make_principal(db)
    added = ops.add_alert_rule("network-denials", "network.*", ["denied"], 2, "5 minutes", "notice",
                               "two network denials")
    assert (added.ok, added.code) == (True, "added")
    assert ops.add_alert_rule("network-denials", "*", ["denied"], 1, "1 minute").code == "exists"
    emit(db, agent, "network.check", "denied")
    emit(db, agent, "network_x.check", "denied")  # _ is literal in patterns: network_x is not network.*
    assert alerts_of(db, agent) == []
    emit(db, agent, "network.check", "denied")
    assert [(a[0], a[2], a[3]) for a in alerts_of(db, agent)] == [("network-denials", 2, "notice")]
    # Disabled rules raise nothing; changes are audited.
    other = make_principal(db)
    assert ops.set_alert_rule("guardrail-blocks", enabled=False).code == "changed"
    for _ in range(4):
        emit(db, other, "guardrail.check", "blocked")
    assert alerts_of(db, other) == []
    assert ops.set_alert_rule("guardrail-blocks", enabled=True, threshold=5).code == "changed"
    emit(db, other, "guardrail.check", "blocked")
    assert [(a[0], a[2]) for a in alerts_of(db, other)] == [("guardrail-blocks", 5)]
    rules = {r.name: r for r in ops.list_alert_rules()}
    assert (rules["guardrail-blocks"].threshold, rules["guardrail-blocks"].open_alerts) == (5, 1)
    changes = ops.query_audit(action="alert.rule_*")
    assert [e.decision for e in changes] == ["changed", "changed", "exists", "added"]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"action_pattern": "Guard!"}, "CO491"),
    ({"decisions": ["granted"]}, "CO492"),
    ({"threshold": 0}, "CO492"),
    ({"within": "8 days"}, "CO492"),
    ({"severity": "loud"}, "CO492"),
])
def test_bad_rules_are_refused_before_anything_is_written(db: psycopg.Connection, kwargs: dict, code: str) -> None:
    ops = operator_of(db)
    before = db.execute("select count(*) from audit.events").fetchone()
    args = {"name": "r1", "action_pattern": "*", "decisions": ["denied"], "threshold": 1, "within": "1 minute",
            "severity": "warning", **kwargs}
    with pytest.raises(errors.CoordError) as caught:
        ops.add_alert_rule(**args)
    assert caught.value.code == code
    assert db.execute("select count(*) from audit.events").fetchone() == before


def test_two_writers_raise_one_alert_and_never_wait_for_each_other(committed_db: Database) -> None:
    """Threshold 2, matching events from two concurrent transactions of one actor: the second
    never waits for the first (an open transaction must not stall the actor's other
    connections); it skips the evaluation the first holds, and the next event recounts the
    window from the log, so exactly one alert is raised (only an open alert's count can miss a
    skipped event: five events, count 4)."""
    with committed_db.connect() as setup:
        agent = make_principal(setup)
        ops = Client(connection=setup, token=make_principal(setup, role="operator").token)
        assert ops.add_alert_rule("pairs", "guardrail.*", ["blocked"], 2, "10 minutes").ok
        assert ops.set_alert_rule("guardrail-blocks", enabled=False).ok
    first = psycopg.connect(committed_db.admin_dsn)
    second = psycopg.connect(committed_db.admin_dsn)
    try:
        second.execute("set lock_timeout = '5s'")  # a wait would fail the test instead of hanging it
        second.commit()
        emit(first, agent, "guardrail.check", "blocked")
        emit(second, agent, "guardrail.check", "blocked")  # the first holds (rule, actor): skipped
        second.commit()
        first.commit()
        with committed_db.connect() as check:
            assert alerts_of(check, agent) == []  # neither saw two committed events
        emit(first, agent, "guardrail.check", "blocked")  # recounts the window: three events
        first.commit()
        emit(first, agent, "guardrail.check", "blocked")  # bumps the open alert (and holds it)
        emit(second, agent, "guardrail.check", "blocked")  # skipped again: no second alert
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    with committed_db.connect() as check:
        assert [(a[0], a[1], a[2]) for a in alerts_of(check, agent)] == [("pairs", "open", 4)]
        assert check.execute("select count(*) from audit.events where action = 'alert.raise'").fetchone() == (1,)


def test_revoked_token_use_is_refused_and_raises_a_critical_alert(committed_db: Database) -> None:
    with committed_db.connect() as setup:
        agent = make_principal(setup)
        operator = make_principal(setup, role="operator")
        ops = Client(connection=setup, token=operator.token)
        assert ops.revoke_token(agent.token_id).code == "revoked"
    with Client(committed_db.client_dsn, agent.token) as client:
        with pytest.raises(errors.Unauthenticated) as caught:
            client.acquire_lock("src/a.py")
        assert "revoked" in (caught.value.detail or "")
        with pytest.raises(errors.Unauthenticated):
            client.my_locks()  # a read-only request is recorded the same way
    with Client(committed_db.client_dsn, operator.token) as ops:
        [alert] = ops.list_alerts(rule="revoked-token-use")
        assert (alert.severity, alert.state, alert.actor_name, alert.event_count) == ("critical", "open", agent.name, 2)
        events = ops.query_audit(action="auth.revoked_token")
        assert [(e.decision, e.severity, e.target_id, e.actor_name) for e in events] == \
            [("refused", "critical", str(agent.token_id), agent.name)] * 2
        assert events[0].details["authenticated"] is False
        assert ops.query_audit(action="alert.raise")[0].details["rule"] == "revoked-token-use"
    with committed_db.connect() as check:
        # Nothing else the refused requests did survived: no lock, no other event by the agent.
        assert check.execute("select count(*) from coord.locks").fetchone() == (0,)
        assert check.execute("select count(*) from audit.events where actor_id = %s and action <> "
                             "'auth.revoked_token'", (agent.principal_id,)).fetchone() == (0,)


def test_recording_a_revoked_token_use_reports_success(committed_db: Database) -> None:
    # The loopback runs the recorder as a statement that returns no rows: a select through
    # dblink_exec failed after the remote side had committed, so every recorded use also logged
    # "was not recorded" and returned false.
    with committed_db.connect() as conn:
        agent = make_principal(conn)
        conn.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
        conn.commit()
        recorded = conn.execute("select coord.record_revoked_token_use(sha256(convert_to(%s, 'UTF8')))",
                                (agent.token,)).fetchone()
        assert recorded == (True,)
        assert conn.execute("select count(*) from audit.events where action = 'auth.revoked_token' and target_id = %s",
                            (str(agent.token_id),)).fetchone() == (1,)


def test_the_loopback_cannot_act_as_anyone(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        live = make_principal(conn)
        # The loopback role calls one function, and that records only for revoked tokens.
        row = conn.execute(
            "select has_function_privilege('coord_loopback', 'coord.note_revoked_token(bytea, jsonb)', 'execute'), "
            "  (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "   where n.nspname in ('api', 'coord', 'audit', 'authz', 'dblink') "
            "     and has_function_privilege('coord_loopback', p.oid, 'execute')), "
            "  (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "   where n.nspname in ('coord', 'audit', 'authz') and c.relkind in ('r', 'p') "
            "     and (has_table_privilege('coord_loopback', c.oid, 'select') "
            "          or has_table_privilege('coord_loopback', c.oid, 'insert'))), "
            "  (select count(*) from pg_auth_members m where m.member = 'coord_loopback'::regrole)").fetchone()
        assert row == (True, 1, 0, 0)
        conn.execute("set role coord_loopback")
        assert conn.execute("select coord.note_revoked_token(sha256(convert_to(%s, 'UTF8')))",
                            (live.token,)).fetchone() == (None,)
        conn.execute("reset role")
        # Callers reach neither dblink nor the recorder.
        for role in ("coord_agent", "coord_operator", "coord_auditor", "coord_anon", "coord_owner"):
            assert conn.execute(
                "select has_schema_privilege(%s, 'dblink', 'usage'), "
                "has_function_privilege(%s, 'coord.record_revoked_token_use(bytea)', 'execute')",
                (role, role)).fetchone() == (False, False), role


def test_an_open_transaction_does_not_suppress_alerts_about_its_agent(committed_db: Database) -> None:
    """An agent has one operation blocked in a transaction it leaves open, then operations blocked
    from another connection: guardrail-blocks (3 within 10 minutes) still raises. An evaluation
    that took a (rule, agent) lock held to commit would find it taken every time and skip the rule."""
    with committed_db.connect() as setup:
        agent = make_principal(setup)
    held = psycopg.connect(committed_db.client_dsn)  # not autocommit: the transaction stays open
    try:
        assert Client(connection=held, token=agent.token).check_operation("command", "git push -f").code == "blocked"
        with Client(committed_db.client_dsn, agent.token) as other:
            for _ in range(5):
                assert other.check_operation("command", "git push --force origin main").code == "blocked"
        with committed_db.connect() as check:
            raised = check.execute(
                "select r.name from coord.alerts a join coord.alert_rules r on r.id = a.rule_id "
                "where a.actor_id = %s", (agent.principal_id,)).fetchall()
        assert ("guardrail-blocks",) in raised
    finally:
        held.rollback()
        held.close()


def test_a_raise_never_waits_for_another_writers_uncommitted_alert(committed_db: Database) -> None:
    """Evaluating a rule takes no lock held to commit. Threshold 1: the first writer raises the
    alert and keeps its transaction open; a second writer's raise conflicts with that uncommitted
    alert and gives up at once (no wait, no second alert); the event is on record and the first
    writer's alert, once committed, is the one."""
    with committed_db.connect() as setup:
        agent = make_principal(setup)
        ops = Client(connection=setup, token=make_principal(setup, role="operator").token)
        assert ops.add_alert_rule("every-block", "guardrail.*", ["blocked"], 1, "10 minutes").ok
    first = psycopg.connect(committed_db.client_dsn)
    try:
        assert Client(connection=first, token=agent.token).check_operation("command", "git push -f").code == "blocked"
        with psycopg.connect(committed_db.client_dsn, autocommit=True) as conn:
            conn.execute("set lock_timeout = '5s'")  # a wait would fail the test instead of hanging it
            assert Client(connection=conn, token=agent.token).check_operation(
                "command", "git push --force").code == "blocked"
        first.commit()
    finally:
        first.close()
    with committed_db.connect() as check:
        rows = check.execute("select r.name, a.event_count from coord.alerts a join coord.alert_rules r "
                             "on r.id = a.rule_id where a.actor_id = %s and r.name = 'every-block'",
                             (agent.principal_id,)).fetchall()
        assert rows == [("every-block", 1)]
        assert check.execute("select count(*) from audit.events where action = 'alert.raise' "
                             "and rule = 'every-block'").fetchone() == (1,)
        assert check.execute("select count(*) from audit.events where action = 'guardrail.check' "
                             "and actor_id = %s and decision = 'blocked'", (agent.principal_id,)).fetchone() == (2,)
