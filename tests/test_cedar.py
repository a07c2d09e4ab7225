"""The Cedar engine, opt-in per tenant: policies in versions with history and rollback,
validated against the shipped schema before they are stored, the engine a tenant chooses
(native, cedar, both), and failing closed where Cedar cannot run (docs/cedar.md).

What needs Cedar itself runs on Debian's PostgreSQL 15 with PL/Python and cedarpy
(COORD_TEST_SERVER=15, which bin/test runs); failing closed is tested on both servers."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from coordinator import errors
from tests.conftest import SERVER, requires_plpython

SECRETS = """@id("secrets.locked")
forbid (principal, action == Action::"lock.acquire", resource is File)
when { resource.path like "secrets/*" };
"""


def _events(db: psycopg.Connection, action: str) -> list[tuple[str, str, str]]:
    return db.execute("select decision, rule, coalesce(reason, '') from audit.events where action = %s "
                      "and txid = pg_current_xact_id() order by id", (action,)).fetchall()


def _baseline(db: psycopg.Connection) -> str:
    return db.execute("select authz.cedar_baseline()").fetchone()[0]  # type: ignore[index]


def _call(client: Any, function: str, **arguments: Any) -> Any:
    return client.call(function, {f"p_{k}": v for k, v in arguments.items()})


def _error(client: Any, function: str, **arguments: Any) -> errors.CoordError:
    with pytest.raises(errors.CoordError) as caught:
        _call(client, function, **arguments)
    return caught.value


def test_the_shipped_schema_has_every_action_in_its_groups(db: psycopg.Connection) -> None:
    schema = db.execute("select authz.cedar_schema()").fetchone()[0]  # type: ignore[index]
    for entity in ("Agent", "AgentType", "File", "Domain", "Task", "Skill", "Tenant"):
        assert f"entity {entity}" in schema
    for action, roles, mutating in db.execute("select action, roles, mutating from authz.actions"):
        line = next(x for x in schema.splitlines() if x.startswith(f'action "{action}" in ['))
        assert all(f'"role:{r}"' in line for r in roles) and ('"reads"' in line) == (not mutating), line
    assert ('action "lock.acquire" in ["role:agent", "role:operator"] appliesTo '
            '{ principal: [Agent], resource: [File]') in schema


def _without_cedar(db: psycopg.Connection) -> None:
    """A server without PL/Python: on 15 the Cedar functions are renamed away (rolled back)."""
    for function in ("cedar_evaluate(text, jsonb, jsonb)", "cedar_version()", "cedar_validation_errors(text, text)"):
        if db.execute("select to_regprocedure(%s) is not null", (f"authz.{function}",)).fetchone()[0]:  # type: ignore[index]
            db.execute(f"alter function authz.{function} rename to gone_{function.split('(')[0]}")


def test_without_plpython_choosing_cedar_is_refused_and_a_chosen_cedar_denies(db: psycopg.Connection,
                                                                            agent_factory) -> None:
    if SERVER == "18":
        assert db.execute("select count(*) from pg_available_extensions where name = 'plpython3u'").fetchone() == (0,)
    _without_cedar(db)
    _, operator = agent_factory(tenant="closed", role="operator")
    agent_principal, agent = agent_factory(tenant="closed")
    assert db.execute("select authz.cedar_available()").fetchone() == (False,)
    for engine in ("cedar", "both"):
        assert _error(operator, "set_policy_engine", engine=engine, reason="try").code == "CO561"
    assert _error(operator, "set_cedar_policy", policy=_baseline(db), reason="try").code == "CO561"
    assert _call(operator, "cedar_policy_history") == []
    # A tenant that chose cedar on a server that had it (a restore elsewhere): every call is denied.
    db.execute("insert into authz.tenant_engines (tenant_id, engine, reason, changed_at) "
               "values (%s, 'cedar', 'x', now())",
               (agent_principal.tenant_id,))
    refused = agent.acquire_lock("src/a.py")
    assert (refused.ok, refused.code, refused.details["rule"]) == (False, "denied", "cedar.unavailable")
    assert _events(db, "lock.acquire")[-1][:2] == ("denied", "cedar.unavailable")
    assert _call(operator, "set_policy_engine", engine="native", reason="back")[0]["code"] == "engine_set"
    assert agent.acquire_lock("src/a.py").code == "granted"


@requires_plpython
def test_versions_history_and_rollback(db: psycopg.Connection, agent_factory) -> None:
    operator_principal, operator = agent_factory(tenant="cedar-t", role="operator")
    _, agent = agent_factory(tenant="cedar-t")
    assert _call(operator, "cedar_policy")[0]["engine"] == "native"
    stored = _call(operator, "set_cedar_policy", policy=_baseline(db), reason="start from the baseline")[0]
    assert stored["details"] == {"version": 1}
    assert _call(operator, "set_cedar_policy", policy=_baseline(db) + SECRETS, reason="lock secrets")[0]["details"] == {
        "version": 2}
    # Stored, not yet in force: the tenant still decides natively.
    assert agent.acquire_lock("secrets/key").code == "granted"
    changed = _call(operator, "set_policy_engine", engine="cedar", reason="adopt Cedar")[0]
    assert (changed["code"], changed["details"]) == ("engine_set", {"engine": "cedar", "previous": "native"})
    refused = agent.acquire_lock("secrets/other")
    assert (refused.code, refused.details["rule"]) == ("denied", "secrets.locked")
    assert _events(db, "lock.acquire")[-1][:2] == ("denied", "secrets.locked")
    assert db.execute("select engine from audit.events where action = 'lock.acquire' and txid = pg_current_xact_id() "
                      "order by id desc limit 1").fetchone() == ("cedar",)
    assert agent.acquire_lock("src/a.py").code == "granted"

    rolled = _call(operator, "rollback_cedar_policy", version=1, reason="secrets rule too broad")[0]
    assert (rolled["code"], rolled["details"]) == ("policy_stored", {"version": 3, "rolled_back_from": 1})
    assert agent.acquire_lock("secrets/other").code == "granted"
    history = _call(operator, "cedar_policy_history")
    assert [(h["version"], h["reason"], h["created_by"], h["rolled_back_from"], h["current"]) for h in history] == [
        (3, "secrets rule too broad", operator_principal.name, 1, True),
        (2, "lock secrets", operator_principal.name, None, False),
        (1, "start from the baseline", operator_principal.name, None, False)]
    assert history[0]["sha256"] == history[2]["sha256"] != history[1]["sha256"]
    shown = _call(operator, "cedar_policy", version=2)[0]
    assert shown["policy"].endswith(SECRETS) and shown["engine"] == "cedar" and shown["cedar_available"]
    assert _error(operator, "rollback_cedar_policy", version=9, reason="x").code == "CO563"
    assert [e[0] for e in _events(db, "policy.cedar_set")] == ["stored", "stored"]
    assert [e[0] for e in _events(db, "policy.cedar_rollback")] == ["stored"]
    assert [e[0] for e in _events(db, "policy.engine")] == ["changed"]


@requires_plpython
@pytest.mark.parametrize(("policy", "says"), [
    ("permit (principal, action, resource", "parse error"),
    ('permit (principal, action, resource) when { principal.nickname == "x" };', "nickname"),
    ('permit (principal, action == Action::"lock.steal", resource);', "lock.steal"),
])
def test_an_invalid_policy_is_refused_and_nothing_is_stored(agent_factory, policy: str, says: str) -> None:
    _, operator = agent_factory(tenant="cedar-bad", role="operator")
    refused = _error(operator, "set_cedar_policy", policy=policy, reason="try")
    assert refused.code == "CO562" and says.lower() in str(refused).lower()
    assert _call(operator, "cedar_policy_history") == []


@requires_plpython
def test_both_engines_must_allow_and_a_disagreement_is_audited(db: psycopg.Connection, agent_factory) -> None:
    _, operator = agent_factory(tenant="cedar-both", role="operator")
    _, agent = agent_factory(tenant="cedar-both")
    _call(operator, "set_cedar_policy", policy=_baseline(db) + SECRETS, reason="lock secrets")
    _call(operator, "set_policy_engine", engine="both", reason="compare")
    assert agent.acquire_lock("src/a.py").code == "granted"
    refused = agent.acquire_lock("secrets/key")
    assert (refused.code, refused.details["rule"]) == ("denied", "secrets.locked")
    assert "the engines disagree (native allows, cedar denies)" in (refused.reason or "")
    (decision, rule, reason), = _events(db, "policy.disagreement")
    assert (decision, rule) == ("denied", "secrets.locked") and "disagree" in reason
    details = db.execute("select details from audit.events where action = 'policy.disagreement' "
                         "and txid = pg_current_xact_id()").fetchone()[0]  # type: ignore[index]
    assert details["native"]["allowed"] is True and details["cedar"]["allowed"] is False


@requires_plpython
def test_a_cedar_error_or_no_permit_is_a_deny(db: psycopg.Connection, agent_factory) -> None:
    _, operator = agent_factory(tenant="cedar-err", role="operator")
    _, agent = agent_factory(tenant="cedar-err")
    _call(operator, "set_cedar_policy", reason="overflows on long ttls", policy=(
        '@id("overflow") forbid (principal, action, resource)\n'
        '  when { context has ttl && context.ttl * 10000000000 > 0 };\n'
        '@id("all") permit (principal, action, resource);'))
    _call(operator, "set_policy_engine", engine="cedar", reason="try")
    refused = agent.acquire_lock("src/a.py", ttl="1 hour")
    assert (refused.code, refused.details["rule"]) == ("denied", "cedar.error")
    assert "overflow" in (refused.reason or "")
    _call(operator, "set_cedar_policy", reason="permits nothing",
          policy='@id("none") forbid (principal, action, resource) when { false };')
    refused = agent.acquire_lock("src/a.py")
    assert (refused.code, refused.details["rule"]) == ("denied", "cedar.no_permit")
