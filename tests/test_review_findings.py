"""Findings of the adversarial review of the governance work (issue 4): each test is an attack
that worked before its fix (or, marked xfail, still works and is documented)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, advance_clock, make_principal


def _agent_with_profile(db: psycopg.Connection, agent_factory: Any, trust: int,
                        settings: dict[str, Any]) -> tuple[Any, Client]:
    operator = agent_factory(role="operator")[1]
    principal, agent = agent_factory()
    assert operator.create_profile(f"p-{principal.name}", trust, settings).code == "created"
    assert operator.assign_profile(principal.name, f"p-{principal.name}").code == "assigned"
    return principal, agent


def test_heartbeats_never_stretch_a_claim_past_the_profile_task_duration(db: psycopg.Connection,
                                                                         agent_factory: Any) -> None:
    """renew_task refuses to extend a claim past claimed_at + max_task_duration; heartbeats of the
    claim's session used to extend it to the session's expiry on every beat, without end."""
    _, agent = _agent_with_profile(db, agent_factory, 2, {"max_task_duration": "20 minutes"})
    assert agent.start_session(ttl="15 minutes").ok
    task = agent.submit_task("build")
    claim = agent.claim_task(["build"], lease="15 minutes")
    assert claim.code == "claimed"
    for _ in range(2):
        advance_clock(db, "9 minutes")
        assert agent.heartbeat().code == "alive"
    life = db.execute("select lease_expires_at - claimed_at from coord.tasks where id = %s",
                      (task.task_id,)).fetchone()[0]  # type: ignore[index]
    assert life.total_seconds() <= 20 * 60, life
    # A claim within its deadline is still extended (up to the deadline, not beyond).
    advance_clock(db, "1 minute")  # 19 minutes after claiming: the lease (20 min) is live
    assert agent.heartbeat().code == "alive"
    assert db.execute("select lease_expires_at - claimed_at from coord.tasks where id = %s",
                      (task.task_id,)).fetchone()[0].total_seconds() == 20 * 60  # type: ignore[index]


@pytest.mark.parametrize("command", [
    "setsid rm -rf /", "unshare rm -rf /", "fakeroot rm -rf /", "systemd-run rm -rf /",
    "systemd-run --unit x -p A=b rm -rf /", "chroot / rm -rf /", "chroot /mnt git push -f",
    "nsenter -t 1 -m rm -rf /", "runuser -u x -- rm -rf /", "runuser x -c 'rm -rf /'",
    "proxychains git push -f", "torsocks git push --force", "script -q -c 'git push -f' /dev/null",
    "sg grp 'git push -f'", "docker exec c rm -rf /", "docker exec -it -u root c git push -f",
])
def test_unlisted_wrappers_do_not_hide_the_command(agent_factory: Any, command: str) -> None:
    """A wrapper the normalizer did not know was taken for the command, and the real command's
    flags were hoisted onto it ('setsid -f -r rm /'): every such wrapper let the operation through."""
    _, agent = agent_factory()
    assert agent.check_operation("command", command).code == "blocked"


@pytest.mark.parametrize("command", ["chroot /mnt ls", "setsid ls -la", "docker exec c ls -la", "runuser -u x -- id"])
def test_known_wrappers_of_harmless_commands_stay_allowed(agent_factory: Any, command: str) -> None:
    _, agent = agent_factory()
    assert agent.check_operation("command", command).code == "allowed"


def test_an_open_transaction_does_not_suppress_alerts_about_its_agent(committed_db: Database) -> None:
    """An agent opens a transaction, has one operation blocked there (its evaluation takes the
    (rule, agent) advisory lock, held to commit) and leaves it open; then from another
    connection it has operations blocked as often as it likes: every evaluation finds the lock
    taken and skips the rule, so guardrail-blocks (3 within 10 minutes) never raises."""
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
    """Guards the fix above (the evaluation no longer takes a lock held to commit).
    Threshold 1: the first writer raises the alert and keeps its transaction open; a second
    writer's raise conflicts with that uncommitted alert and gives up at once (no wait, no
    second alert); the event is on record and the first writer's alert, once committed, is the one."""
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


def test_a_trust_4_agent_cannot_escape_its_own_network_rules_through_tenant_wide_ones(
        db: psycopg.Connection, agent_factory: Any) -> None:
    """Agents (trust 4) may manage network policy but never rules that apply to themselves: rules
    for themselves or their profile were refused, yet a tenant-wide rule (no agent, no profile)
    applies to them too. Adding a high-priority tenant-wide allow overrode the deny an operator
    set for the agent; removing a tenant-wide deny lifted it."""
    operator = agent_factory(role="operator")[1]
    principal, admin = _agent_with_profile(db, agent_factory, 4, {})
    assert operator.add_network_rule("evil.example", "deny", 0, for_agent=principal.name).code == "added"
    assert admin.check_network("evil.example").code == "denied"
    sneaky = admin.add_network_rule("evil.example", "allow", 1000)
    assert (sneaky.ok, sneaky.code) == (False, "denied")
    assert admin.check_network("evil.example").code == "denied"
    tenant_deny = operator.add_network_rule("*.blocked.example", "deny", 0)
    assert tenant_deny.code == "added"
    removed = admin.remove_network_rule(tenant_deny.details["rule_id"])
    assert (removed.ok, removed.code) == (False, "denied")
    assert admin.check_network("a.blocked.example").code == "denied"
    # Rules for other agents and profiles stay the trust-4 agent's to manage.
    other, _ = agent_factory()
    assert admin.add_network_rule("ok.example", "allow", for_agent=other.name).code == "added"


def test_a_session_does_not_stretch_leases_past_the_profile_max_lock_ttl(db: psycopg.Connection,
                                                                         agent_factory: Any) -> None:
    """acquire_lock checked p_ttl against max_lock_ttl and then raised it to what remains of the
    caller's session (up to 1 hour, the agent's choice), so a 1-minute request under a
    5-minute limit became a lease of an hour. A session longer than max_lock_ttl is refused."""
    _, agent = _agent_with_profile(db, agent_factory, 2, {"max_lock_ttl": "5 minutes"})
    started = agent.start_session(ttl="1 hour")
    assert (started.ok, started.code) == (False, "denied")
    rule = db.execute("select rule from audit.events where action = 'session.start' "
                      "and txid = pg_current_xact_id() order by id desc limit 1").fetchone()
    assert rule == ("profile.max_lock_ttl",)
    assert agent.start_session(ttl="5 minutes").ok
    lock = agent.acquire_lock("src/a.py", ttl="1 minute")
    assert lock.code == "granted"
    life = db.execute("select expires_at - coord.clock_now() from coord.locks where path = 'src/a.py'").fetchone()[0]
    assert life.total_seconds() <= 5 * 60, life
