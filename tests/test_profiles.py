"""Profiles and trust levels: every agent acts under exactly one profile (its own or the tenant's
explicit default); the trust level and the limits are enforced by the database on every path."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.audit_here import WRITTEN_HERE
from tests.conftest import Database, advance_clock, in_thread, make_principal, wait_for_backend


@pytest.fixture
def operator(agent_factory: Any) -> Client:
    return agent_factory(role="operator")[1]


def _with_profile(operator: Client, agent_factory: Any, trust: int, settings: dict[str, Any] | None = None,
                  name: str | None = None) -> Client:
    """A new agent assigned a new profile of the given trust and limits."""
    principal, agent = agent_factory(name)
    profile = f"p-{principal.name}"
    assert operator.create_profile(profile, trust, settings).code == "created"
    assert operator.assign_profile(principal.name, profile).code == "assigned"
    return agent


def _rules(db: psycopg.Connection, action: str) -> list[str]:
    """Rules that decided the action in this test's own (rolled-back) transaction."""
    return [r[0] for r in db.execute("select rule from audit.events where action = %s "
                                     "and " + WRITTEN_HERE + " order by id", (action,))]


def operator_of_fresh(agent_factory: Any) -> Client:
    return agent_factory(tenant="fresh-tenant", role="operator")[1]


def test_every_tenant_has_an_explicit_default_profile(db: psycopg.Connection, agent_factory: Any) -> None:
    _, agent = agent_factory(tenant="fresh-tenant")
    mine = agent.my_profile()
    assert (mine.name, mine.trust_level, mine.is_default, mine.max_concurrent_tasks) == ("standard", 2, True, 64)
    # The tenant's profiles are the shipped ones, and its default is the shipped default.
    shipped = db.execute("select name, trust_level, max_concurrent_tasks, is_default, description "
                         "from coord.shipped_profiles order by name").fetchall()
    assert [(p.name, p.trust_level, p.max_concurrent_tasks, p.is_default, p.description)
            for p in operator_of_fresh(agent_factory).list_profiles()] == shipped
    assert db.execute("select count(*) from coord.tenants where default_profile_id is null").fetchone()[0] == 0
    # The default is the tenant's, never another agent's profile.
    _, sibling = agent_factory(tenant="fresh-tenant")
    operator = agent_factory(tenant="fresh-tenant", role="operator")[1]
    operator.create_profile("sibling-only", 4)
    operator.assign_profile(sibling.authenticate().name, "sibling-only")
    assert agent.my_profile().name == "standard"


def test_suspended_agents_read_only_their_own_state(db: psycopg.Connection, operator: Client,
                                                    agent_factory: Any) -> None:
    agent = _with_profile(operator, agent_factory, 0)
    refused = agent.acquire_lock("src/a.py")
    assert (refused.ok, refused.code) == (False, "denied")
    assert agent.submit_task("build").code == "denied"
    assert agent.start_session().code == "denied"
    assert _rules(db, "lock.acquire")[-1] == "trust.suspended"
    assert db.execute("select count(*) from coord.locks where holder_id = %s",
                      (agent.authenticate().principal_id,)).fetchone()[0] == 0
    assert agent.my_locks() == [] and agent.my_profile().trust_level == 0
    with pytest.raises(CoordError) as err:
        agent.list_tasks()
    assert err.value.code == "PT403"


def test_read_only_agents_read_and_keep_a_session_but_change_nothing(operator: Client, agent_factory: Any) -> None:
    agent = _with_profile(operator, agent_factory, 1)
    assert agent.list_tasks() == []
    assert agent.start_session().ok
    assert agent.acquire_lock("src/a.py").code == "denied"
    assert agent.submit_task("build").code == "denied"
    assert agent.check_network("example.com").code == "denied"  # the tenant default, not the gate
    assert "needs trust" in agent.claim_task(["build"]).reason


def test_elevated_agents_manage_others_tasks(operator: Client, agent_factory: Any) -> None:
    _, submitter = agent_factory()
    _, standard = agent_factory()
    elevated = _with_profile(operator, agent_factory, 3)
    first = submitter.submit_task("build").task_id
    second = submitter.submit_task("build").task_id
    assert standard.cancel_task(first).code == "denied"
    assert elevated.cancel_task(first).code == "cancelled"
    assert operator.cancel_task(second).code == "cancelled"


def test_max_locks_is_a_result_and_renewals_do_not_count(operator: Client, agent_factory: Any) -> None:
    agent = _with_profile(operator, agent_factory, 2, {"max_locks": 2})
    assert agent.acquire_lock("a.py").ok and agent.acquire_lock("b.py").ok
    over = agent.acquire_lock("c.py")
    assert (over.ok, over.code, over.details) == (False, "at_limit", {"held": 2, "limit": 2})
    assert agent.acquire_lock("a.py").code == "renewed"
    agent.release_lock("a.py", agent.my_locks()[0].fence)
    assert agent.acquire_lock("c.py").code == "granted"


def test_max_locks_holds_under_concurrent_acquires(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        principal = make_principal(admin, "greedy")
        operator = make_principal(admin, "op", role="operator")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as c0:
        boss = Client(connection=c0, token=operator.token)
        assert boss.create_profile("one-lock", 2, {"max_locks": 1}).ok
        assert boss.assign_profile("greedy", "one-lock").ok
    with psycopg.connect(committed_db.client_dsn) as c1, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as c2:
        first = Client(connection=c1, token=principal.token)
        second = Client(connection=c2, token=principal.token)
        assert first.acquire_lock("a.py").code == "granted"  # uncommitted: c1 keeps the agent's count lock
        thread, out = in_thread(lambda: second.acquire_lock("b.py"))
        wait_for_backend(committed_db, c2.info.backend_pid, "wait_event_type = 'Lock'")
        c1.commit()
        thread.join()
        assert out["result"].code == "at_limit"  # type: ignore[attr-defined]
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone()[0] == 1


def test_lock_ttl_and_task_duration_limits(db: psycopg.Connection, operator: Client, agent_factory: Any) -> None:
    agent = _with_profile(operator, agent_factory, 2, {"max_lock_ttl": "10 minutes", "max_task_duration": "20 minutes"})
    assert agent.acquire_lock("a.py", ttl="11 minutes").code == "denied"
    assert _rules(db, "lock.acquire")[-1] == "profile.max_lock_ttl"
    assert agent.acquire_lock("a.py", ttl="10 minutes").code == "granted"
    agent.submit_task("build")
    assert agent.claim_task(["build"], lease="1 hour").code == "denied"
    claim = agent.claim_task(["build"], lease="15 minutes")
    assert claim.code == "claimed"
    assert agent.renew_task(claim.task_id, claim.claim, "15 minutes").code == "renewed"
    advance_clock(db, "10 minutes")
    late = agent.renew_task(claim.task_id, claim.claim, "15 minutes")  # would end 25 min after claiming
    assert (late.code, _rules(db, "task.renew")[-1]) == ("denied", "profile.max_task_duration")
    assert agent.renew_task(claim.task_id, claim.claim, "9 minutes").code == "renewed"


def test_allowed_kinds_and_operations(db: psycopg.Connection, operator: Client, agent_factory: Any) -> None:
    agent = _with_profile(operator, agent_factory, 2, {"allowed_task_kinds": ["build"],
                                                        "allowed_operations": ["task.*", "session.start"]})
    agent.submit_task("build")
    agent.submit_task("deploy")
    refused = agent.claim_task(["build", "deploy"])
    assert (refused.code, _rules(db, "task.claim")[-1]) == ("denied", "profile.task_kind")
    assert "deploy" in refused.reason
    assert agent.claim_task(["build"]).code == "claimed"
    assert agent.acquire_lock("a.py").code == "denied"
    assert _rules(db, "lock.acquire")[-1] == "profile.operation"
    assert agent.start_session().ok


def test_calls_per_hour_counts_allowed_mutations_in_a_clock_hour(db: psycopg.Connection, operator: Client,
                                                                 agent_factory: Any) -> None:
    db.execute("update coord.clock set offset_by = date_trunc('hour', clock_timestamp()) + interval '1 hour' "
               "- clock_timestamp()")  # start of an hour: the test never straddles one
    agent = _with_profile(operator, agent_factory, 2, {"calls_per_hour": 3})
    codes = [agent.submit_task("k").code for _ in range(3)]
    assert codes == ["submitted"] * 3
    assert agent.list_tasks() and agent.my_profile()  # reads are not counted
    assert agent.submit_task("k").code == "denied"
    assert _rules(db, "task.submit")[-1] == "profile.rate_limit"
    advance_clock(db, "1 hour")
    assert agent.submit_task("k").code == "submitted"


def test_deleting_a_profile_counts_what_goes_with_it(db: psycopg.Connection, operator: Client,
                                                     agent_factory: Any) -> None:
    """Its network rules, the message rules naming it as a team (deny rules too) and its team's
    memories cascade with the profile: the result and the audit event count them, so an allowlist
    rule never vanishes unrecorded."""
    principal, agent = agent_factory()
    assert operator.create_profile("crew", 2).ok
    assert operator.assign_profile(principal.name, "crew").code == "assigned"
    assert agent.remember("semantic", "the crew deploys on fridays", visibility="team").ok
    assert operator.allow_messages("team:crew", "*").ok
    assert operator.deny_messages("*", "team:crew", side="receive").ok
    assert operator.add_network_rule("example.com", "deny", for_profile="crew").ok
    assert operator.assign_profile(principal.name, None).code == "assigned"
    deleted = operator.delete_profile("crew")
    assert deleted.code == "deleted"
    gone = {"network_rules": 1, "message_rules": 2, "team_memories": 1}
    assert {k: deleted.details[k] for k in gone} == gone
    details = db.execute("select details from audit.events where action = 'profile.delete' and decision = 'deleted' "
                         "and " + WRITTEN_HERE).fetchone()[0]
    assert {k: details[k] for k in gone} == gone
    assert db.execute("select count(*) from coord.message_rules as r join coord.principals as p "
                      "on p.tenant_id = r.tenant_id where p.id = %s", (principal.principal_id,)).fetchone()[0] == 0


def test_profile_changes_are_audited_and_apply_on_the_next_call(db: psycopg.Connection, operator: Client,
                                                                agent_factory: Any) -> None:
    principal, agent = agent_factory()
    created = operator.create_profile("ci", 3, {"max_locks": 5, "description": "CI bots"})
    assert created.details["max_locks"] == 5 and created.details["trust_level"] == 3
    assert operator.assign_profile(principal.name, "ci").code == "assigned"
    assert agent.my_profile().name == "ci"
    assert operator.update_profile("ci", {"max_locks": None, "trust_level": 1}).code == "updated"
    assert (agent.my_profile().max_locks, agent.my_profile().trust_level) == (None, 1)
    assert agent.acquire_lock("a.py").code == "denied"
    assert operator.delete_profile("ci").code == "in_use"
    assert operator.assign_profile(principal.name, None).code == "assigned"
    assert agent.my_profile().name == "standard"
    assert operator.create_profile("strict", 2, {"max_locks": 1}).ok
    assert operator.set_default_profile("strict").code == "default_set"
    assert agent.my_profile().name == "strict"
    assert operator.delete_profile("standard").code == "deleted"
    assert operator.delete_profile("strict").code == "in_use"
    events = db.execute("select action, decision from audit.events where action like 'profile.%' "
                        "and " + WRITTEN_HERE + " order by id").fetchall()
    assert events == [("profile.create", "created"), ("profile.assign", "assigned"), ("profile.update", "updated"),
                      ("profile.delete", "in_use"), ("profile.assign", "assigned"), ("profile.create", "created"),
                      ("profile.set_default", "default_set"), ("profile.delete", "deleted"),
                      ("profile.delete", "in_use")]
    listed = {p.name: (p.is_default, p.agents) for p in operator.list_profiles()}
    assert listed == {"ci": (False, 0), "strict": (True, 0)}


def test_nobody_raises_their_own_trust(db: psycopg.Connection, operator: Client, agent_factory: Any) -> None:
    standard_principal, standard = agent_factory()
    assert standard.create_profile("mine", 4).code == "denied"
    assert standard.assign_profile(standard_principal.name, None).code == "denied"
    assert standard.update_profile("standard", {"trust_level": 4}).code == "denied"
    admin_principal, admin = agent_factory()
    operator.create_profile("admins", 4)
    operator.assign_profile(admin_principal.name, "admins")
    # A trust-4 agent manages others, never the profile it acts under.
    assert admin.update_profile("admins", {"calls_per_hour": None}).code == "denied"
    assert admin.assign_profile(admin_principal.name, None).code == "denied"
    assert admin.create_profile("helpers", 3).code == "created"
    assert admin.assign_profile(standard_principal.name, "helpers").code == "assigned"
    assert admin.add_network_rule("example.com", "allow", for_agent=admin_principal.name).code == "denied"
    assert admin.add_network_rule("example.com", "allow", for_profile="admins").code == "denied"
    assert admin.add_network_rule("example.com", "allow", for_profile="helpers").code == "added"
    rules = _rules(db, "profile.update") + _rules(db, "profile.assign")
    assert {"trust.too_low", "profile.self_change"} <= set(rules)
    assert db.execute("select trust_level from coord.profiles where name = 'admins'").fetchone()[0] == 4


def test_settings_are_validated_by_name(operator: Client) -> None:
    for settings, named in [({"max_locks": -1}, "max_locks"), ({"max_lock_ttl": "2 days"}, "max_lock_ttl"),
                            ({"allowed_operations": ["rm.*"]}, "rm.*"), ({"wings": 2}, "wings"),
                            ({"network_default": "maybe"}, "network_default"), ({"calls_per_hour": "x"}, "calls")]:
        with pytest.raises(CoordError) as err:
            operator.create_profile("p", 2, settings)
        assert err.value.code == "CO463" and named in (err.value.detail or ""), settings
    with pytest.raises(CoordError) as err:
        operator.create_profile("p", 5)
    assert err.value.code == "CO463"


def test_network_rules_and_default_by_profile(db: psycopg.Connection, operator: Client, agent_factory: Any) -> None:
    builder = _with_profile(operator, agent_factory, 2, {"network_default": "allow"})
    _, other = agent_factory()
    builder_profile = builder.my_profile().name
    operator.add_network_rule("evil.example", "deny", for_profile=builder_profile)
    assert builder.check_network("pypi.org").code == "allowed"   # the profile's default
    assert other.check_network("pypi.org").code == "denied"      # the tenant's default
    denied = builder.check_network("evil.example")
    assert (denied.code, denied.decided_by) == ("denied", "profile")
    assert [r.profile for r in operator.list_network_rules()] == [builder_profile]


def test_a_narrow_operator_token_cannot_mint_a_broader_agent_token(db: psycopg.Connection,
                                                                   agent_factory: Any) -> None:
    _, narrow = agent_factory(role="operator", scopes=["principals:write", "locks:*"])
    refused = narrow.create_agent("wide-bot")
    assert (refused.ok, refused.code) == (False, "denied") and "*" in (refused.reason or "")
    assert _rules(db, "principal.create")[-1] == "scope.escalation"
    assert narrow.create_agent("lock-bot", scopes=["locks:write"]).ok
    assert db.execute("select count(*) from coord.principals where name in ('wide-bot', 'lock-bot')").fetchone()[0] == 1


def test_heartbeats_never_stretch_a_claim_past_the_profile_task_duration(db: psycopg.Connection, operator: Client,
                                                                         agent_factory: Any) -> None:
    """A heartbeat of the claim's session extends the claim only up to claimed_at +
    max_task_duration, as renew_task does; otherwise every beat would stretch it to the
    session's expiry, without end."""
    agent = _with_profile(operator, agent_factory, 2, {"max_task_duration": "20 minutes"})
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


def test_a_session_does_not_stretch_leases_past_the_profile_max_lock_ttl(db: psycopg.Connection, operator: Client,
                                                                         agent_factory: Any) -> None:
    """A session longer than max_lock_ttl is refused: leases taken in a session live as long as
    what remains of it, so a 1-minute request under a 5-minute limit would become a lease of
    the session's hour."""
    agent = _with_profile(operator, agent_factory, 2, {"max_lock_ttl": "5 minutes"})
    started = agent.start_session(ttl="1 hour")
    assert (started.ok, started.code) == (False, "denied")
    rule = db.execute("select rule from audit.events where action = 'session.start' "
                      "and " + WRITTEN_HERE + " order by id desc limit 1").fetchone()
    assert rule == ("profile.max_lock_ttl",)
    assert agent.start_session(ttl="5 minutes").ok
    lock = agent.acquire_lock("src/a.py", ttl="1 minute")
    assert lock.code == "granted"
    life = db.execute("select expires_at - coord.clock_now() from coord.locks where path = 'src/a.py'").fetchone()[0]
    assert life.total_seconds() <= 5 * 60, life
