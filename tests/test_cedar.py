"""The Cedar engine, opt-in per tenant: policies in versions with history and rollback,
validated against the shipped schema before they are stored, the engine a tenant chooses
(native, cedar, both), and failing closed where Cedar cannot run (docs/cedar.md).

What needs Cedar itself runs on Debian's PostgreSQL 15 with PL/Python and cedarpy
(COORD_TEST_SERVER=15, which bin/test runs); failing closed is tested on both servers."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.main import main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator import errors
from coordinator.errors import EXIT_DATAERR, EXIT_UNAVAILABLE
from tests.audit_here import WRITTEN_HERE
from tests.conftest import SERVER, make_principal, requires_plpython

SECRETS = """@id("secrets.locked")
forbid (principal, action == Action::"lock.acquire", resource is File)
when { resource.path like "secrets/*" };
"""



def _events(db: psycopg.Connection, action: str) -> list[tuple[str, str, str]]:
    return db.execute("select decision, rule, coalesce(reason, '') from audit.events where action = %s "
                      "and " + WRITTEN_HERE + " order by id", (action,)).fetchall()


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
    for function in ("cedar_evaluate(text, integer, text, text, jsonb, coord.caller, coord.profiles, text, text[], "
                     "boolean, text, jsonb, jsonb)",
                     "cedar_version()", "cedar_validation_errors(text, text)"):
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
    assert db.execute("select engine from audit.events where action = 'lock.acquire' and " + WRITTEN_HERE + " "
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
                         "and " + WRITTEN_HERE).fetchone()[0]  # type: ignore[index]
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


TRUST_THREE = """@id("trust.three")
forbid (principal, action == Action::"lock.acquire", resource)
when { principal.role == "agent" && principal.trust < 3 };
@id("all") permit (principal, action, resource);
"""


@requires_plpython
def test_what_a_backend_keeps_parsed_follows_every_change(db: psycopg.Connection, agent_factory) -> None:
    """authz.cedar_evaluate keeps the policy set and the caller's entities parsed per backend (one
    connection here, so one backend throughout): a new version, a rollback, a version number
    stored again after a rolled-back one, and a change of the caller's profile decide at once."""
    _, operator = agent_factory(tenant="cedar-cache", role="operator")
    _, agent = agent_factory("cache-agent", tenant="cedar-cache")
    _call(operator, "set_policy_engine", engine="cedar", reason="try")

    def rule(path: str) -> str:
        decided = agent.acquire_lock(path)
        return "granted" if decided.code == "granted" else decided.details["rule"]

    assert rule("secrets/a") == "granted"  # the baseline, parsed now
    _call(operator, "set_cedar_policy", policy=_baseline(db) + SECRETS, reason="lock secrets")  # version 1
    assert rule("secrets/b") == "secrets.locked"
    _call(operator, "set_cedar_policy", policy=_baseline(db), reason="unlock")  # version 2
    assert rule("secrets/c") == "granted"
    _call(operator, "rollback_cedar_policy", version=1, reason="lock again")  # version 3
    assert rule("secrets/d") == "secrets.locked"
    with db.transaction():  # version 4 is stored, decides, and is rolled back ...
        _call(operator, "set_cedar_policy", policy='@id("none") forbid (principal, action, resource) when { false };',
              reason="rolled back")
        assert rule("src/a.py") == "cedar.no_permit"
        raise psycopg.Rollback()
    _call(operator, "set_cedar_policy", policy=TRUST_THREE, reason="trust 3 locks")  # ... and stored again
    assert rule("src/b.py") == "trust.three"  # the standard profile: trust 2
    _call(operator, "create_profile", name="senior", trust_level=3, settings={})
    _call(operator, "assign_profile", agent="cache-agent", profile="senior")
    assert rule("src/c.py") == "granted"
    with db.transaction():  # the profile changed, decided with, and rolled back ...
        _call(operator, "update_profile", name="senior", settings={"trust_level": 2})
        assert rule("src/d.py") == "trust.three"
        raise psycopg.Rollback()
    assert rule("src/e.py") == "granted"  # ... so trust 3 again
    _call(operator, "update_profile", name="senior", settings={"trust_level": 2})  # the same profile, changed
    assert rule("src/f.py") == "trust.three"
    _call(operator, "update_profile", name="senior", settings={"trust_level": 3})  # and back
    assert rule("src/g.py") == "granted"


SCOPED = """@id("agents.short_locks")
forbid (principal, action in Action::"role:agent", resource) when { context has ttl && context.ttl > 3600000000 };
@id("no.renew")
forbid (principal, action == Action::"lock.renew", resource);
@id("no.reads")
forbid (principal, action in [Action::"reads"], resource);
@id("all") permit (principal, action, resource);
"""


@requires_plpython
def test_policies_scoped_to_an_action_or_its_groups_decide_exactly_those(db: psycopg.Connection,
                                                                         agent_factory) -> None:
    """A backend evaluates, per action, only the policies whose action scope can hold for it
    (authz.cedar_evaluate): a scope naming the action, a list holding one of its groups, a group."""
    _, operator = agent_factory(tenant="cedar-scoped", role="operator")
    _, agent = agent_factory(tenant="cedar-scoped")
    _call(operator, "set_cedar_policy", policy=SCOPED, reason="scoped")
    _call(operator, "set_policy_engine", engine="cedar", reason="try")
    refused = agent.acquire_lock("src/a.py", ttl="2 hours")  # lock.acquire is in the group role:agent
    assert (refused.code, refused.details["rule"]) == ("denied", "agents.short_locks")
    held = agent.acquire_lock("src/a.py", ttl="10 minutes")
    assert held.code == "granted"
    refused = agent.renew_lock("src/a.py", held.fence)
    assert (refused.code, refused.details["rule"]) == ("denied", "no.renew")
    with pytest.raises(errors.CoordError, match=r"no\.reads"):  # lock.check is in the group reads
        agent.check_locks(["src/a.py"])


CALLER = {"principal_id": "00000000-0000-4000-8000-000000000001", "kind": "agent", "name": "a", "role": "agent",
          "tenant_id": "00000000-0000-4000-8000-00000000000a", "tenant_name": "t", "scopes": ["*"]}
PROFILE = {"tenant_id": CALLER["tenant_id"], "id": "00000000-0000-4000-8000-000000000002", "name": "p",
           "trust_level": 2, "allowed_operations": ["lock.*"], "allowed_task_kinds": ["build"],
           "max_lock_ttl": "01:00:00", "max_task_duration": "02:00:00", "calls_per_hour": 10}

# Whether authz.cedar_evaluate decides without being handed the caller's entities (null: it kept
# them) or asks for them (o_need 'base'); with_base hands them over, and it keeps them.
NEEDS = """select (authz.cedar_evaluate(authz.cedar_baseline(), null, 'lock.acquire', 'src/a.py', '{}', c, p,
                   'locks:write', array['agent', 'operator'], true, current_setting('IntervalStyle'), null,
                   case when %s then authz.cedar_base_entities(c, p) end)).o_need, authz.cedar_base_entities(c, p)
           from (select jsonb_populate_record(null::coord.caller, %s) as c,
                        jsonb_populate_record(null::coord.profiles, %s) as p) as x"""


@requires_plpython
def test_a_backend_keeps_a_callers_entities_under_every_field_they_are_built_from(db: psycopg.Connection) -> None:
    """A backend keeps a caller's parsed entities under the content of every field
    authz.cedar_base_entities reads (authz.cedar_evaluate): after a change of any of them it asks
    for the entities again, or a changed profile would decide with the entities of its old
    content. A change of a field they are not built from keeps them (nothing to parse)."""
    tag = uuid.uuid4().hex[-12:]  # ids no earlier test in this backend used
    caller = {**CALLER, "principal_id": f"00000000-0000-4000-8000-{tag}"}
    profile = {**PROFILE, "id": f"00000000-0000-4000-8001-{tag}"}

    def needs(caller: dict[str, Any], profile: dict[str, Any] | None, with_base: bool = False) -> tuple[str, Any]:
        return db.execute(NEEDS, (with_base, psycopg.types.json.Jsonb(caller),  # type: ignore[return-value]
                                  psycopg.types.json.Jsonb(profile or {}))).fetchone()

    need, base = needs(caller, profile)
    assert need == "base"
    assert needs(caller, profile, with_base=True) == (None, base)
    assert needs(caller, profile) == (None, base)  # kept
    seen = [base]
    changes: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
        ({**caller, "principal_id": f"00000000-0000-4000-8002-{tag}"}, profile),
        ({**caller, "role": "operator"}, profile),
        ({**caller, "kind": "device"}, profile),
        (caller, {**profile, "id": f"00000000-0000-4000-8003-{tag}"}),
        (caller, {**profile, "name": "q"}),
        (caller, {**profile, "trust_level": 3}),
        (caller, {**profile, "allowed_operations": ["lock.*", "task.*"]}),
        (caller, {**profile, "allowed_operations": None}),
        (caller, {**profile, "allowed_operations": []}),
        (caller, {**profile, "allowed_task_kinds": ["build", "test"]}),
        (caller, {**profile, "max_lock_ttl": "01:00:01"}),
        (caller, {**profile, "max_task_duration": None}),
        (caller, None),
    ]
    for changed_caller, changed_profile in changes:
        need, changed_base = needs(changed_caller, changed_profile)
        assert changed_base not in seen, (changed_caller, changed_profile)  # the change is one the entities show ...
        assert need == "base", (changed_caller, changed_profile)  # ... so they are asked for again
        assert needs(changed_caller, changed_profile, with_base=True)[0] is None
        seen.append(changed_base)
    for same_caller, same_profile in [({**caller, "scopes": ["locks:*"], "name": "b"}, profile),
                                      (caller, {**profile, "calls_per_hour": 20, "description": "x"})]:
        assert needs(same_caller, same_profile) == (None, base)
    # The limits are handed over as text in the session's interval style: another style is another key.
    db.execute("set local intervalstyle = 'iso_8601'")
    assert needs(caller, profile)[0] == "base"


def _request_builder(db: psycopg.Connection) -> tuple[Any, type[Exception]]:
    """The part of authz.cedar_evaluate that builds the Cedar request, run here on its own."""
    source = db.execute("select prosrc from pg_proc where oid = 'authz.cedar_evaluate(text, integer, text, text, "
                        "jsonb, coord.caller, coord.profiles, text, text[], boolean, text, jsonb, jsonb)'::regprocedure"
                        ).fetchone()[0]  # type: ignore[index]
    part = source.split("# request builder: begins")[1].split("# request builder: ends")[0]
    scope: dict[str, Any] = {"json": json}
    exec(textwrap.dedent(part.split("\n", 1)[1]), scope)  # the product's own code
    return scope["build"], scope["Parts"]


UUIDS = ["00000000-0000-4000-8000-000000000009", "0000000000004000800000000000000A",
         "{00000000-0000-4000-8000-00000000000b}", "00000000-0000-4000-8000-00000000000", "x",
         12345678123412341234123456789012, None, True, ["a"]]
DURATIONS = ["00:15:00", "0:05", "1:30", "999999:59:59.999999", "00:15:00.5", "00:15:00.1234567", " 00:15:00",
             "00:15:00 ", "00:60:00", "1000000:00", "5 minutes", "5 minute", "1 day", "2 days", "7 hours",
             "30 seconds", "5  minutes", "5minutes", "5 Minutes", "1 hour 5 minutes", "-00:15:00", "1 mon", "P1D",
             "x", "", 15, 1.5, None, ["00:15:00"], {"a": 1}]
TRUSTS = [0, 3, -5, 999999999, 1000000000, 10**12, "3", "+3", "-3", " 3", "3 ", "03", "1234567890", "abc", "",
          3.0, 1e2, True, None, ["3"]]
SCOPES = ["*", "locks:write", "locks:*", "tasks:write", "principals:write", "profiles:admin"]


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str | None, dict[str, Any], dict[str, Any], dict[str, Any] | None, str]:
    values: dict[str, st.SearchStrategy[Any]] = {
        "ttl": st.sampled_from(DURATIONS), "lease": st.sampled_from(DURATIONS),
        "kinds": st.lists(st.sampled_from(["build", "test", None, 3, ["x"]]), max_size=3)
        | st.sampled_from(["build", None]),
        "grants": st.lists(st.sampled_from([*SCOPES, None, 1]), max_size=3) | st.sampled_from(["*", None]),
        "grants_trust": st.sampled_from(TRUSTS),
        "submitted_by": st.sampled_from(UUIDS), "changes_principal": st.sampled_from(UUIDS),
        "changes_profile": st.sampled_from(UUIDS), "acts_on": st.sampled_from(UUIDS),
        "claimed_at": st.sampled_from(["2026-03-28T12:00:00Z", None]), "mode": st.just("exclusive"),
    }
    context = {key: draw(value) for key, value in values.items() if draw(st.integers(0, 3)) == 0}
    caller = {**CALLER, "scopes": draw(st.lists(st.sampled_from(SCOPES), min_size=1, max_size=3)),
              "tenant_name": draw(st.sampled_from(["t", "another"]))}
    profile = draw(st.sampled_from([None, PROFILE, {**PROFILE, "max_task_duration": None}]))
    return (draw(st.sampled_from(["lock.acquire", "task.claim", "network.connect", "profile.admin", "skill.publish"])),
            draw(st.sampled_from(["src/a.py", "42", "", None])), context, caller, profile,
            draw(st.sampled_from(SCOPES)))


@requires_plpython
def test_the_request_built_in_python_is_the_one_sql_builds(db: psycopg.Connection) -> None:
    """authz.cedar_evaluate builds the request itself where it can compute it exactly as
    authz.cedar_request_parts does, and asks for that one otherwise (Parts): on generated requests,
    plain and not, whatever it builds equals what SQL builds."""
    build, parts_needed = _request_builder(db)
    built = {"python": 0, "sql": 0}

    def same(action: str, resource: str | None, context: dict[str, Any], caller: dict[str, Any],
             profile: dict[str, Any] | None, scope: str) -> None:
        sql = db.execute(
            "select to_jsonb(authz.cedar_request_parts(%s, %s, %s, c, p, %s))"
            " from (select jsonb_populate_record(null::coord.caller, %s) as c,"
            "              jsonb_populate_record(null::coord.profiles, %s) as p) as x",
            (action, resource, psycopg.types.json.Jsonb(context), scope, psycopg.types.json.Jsonb(caller),
             psycopg.types.json.Jsonb(profile or {}))).fetchone()[0]  # type: ignore[index]
        try:
            python = build(action, resource, json.dumps(context), caller, profile, scope)
        except parts_needed:
            built["sql"] += 1
            return
        built["python"] += 1
        assert python == (sql["o_context"], sql["o_resource_type"], sql["o_resource_id"], sql["o_resource_entity"]), \
            (action, resource, context)

    for plain in [{"mode": "exclusive", "ttl": "00:15:00"}, {"lease": "00:05:00", "kinds": ["build"]}, {},
                  {"ttl": "5 minutes", "grants": ["locks:write"], "grants_trust": 3, "submitted_by": UUIDS[0]}]:
        same("lock.acquire", "src/a.py", plain, CALLER, PROFILE, "locks:write")
    assert built == {"python": 4, "sql": 0}  # the requests most calls make never go to SQL

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_requests())
    def agree(request: tuple[str, str | None, dict[str, Any], dict[str, Any], dict[str, Any] | None, str]) -> None:
        same(*request)

    agree()
    assert built["python"] > 100 and built["sql"] > 50, built  # both ways were taken


def _coord(database: Any, token: str, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--dsn", database.client_dsn, "--token", token],
                              env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""}, catch_exceptions=False)


def test_the_cli_shows_the_baseline_and_refuses_cedar_where_it_cannot_run(committed_db: Any) -> None:
    with committed_db.connect() as conn:
        operator = make_principal(conn, "cli-policy", role="operator")
        available = conn.execute("select authz.cedar_available()").fetchone()[0]  # type: ignore[index]
    shown = _coord(committed_db, operator.token, "policy", "cedar", "show")
    assert shown.exit_code == 0 and "the shipped baseline" in shown.stdout and '@id("trust.escalation")' in shown.stdout
    schema = _coord(committed_db, operator.token, "policy", "cedar", "show", "--schema")
    assert schema.exit_code == 0 and "entity AgentType" in schema.stdout
    assert _coord(committed_db, operator.token, "policy", "cedar", "history").stdout.startswith("(no Cedar policy")
    if not available:
        refused = _coord(committed_db, operator.token, "policy", "cedar", "engine", "cedar", "--reason", "try")
        assert refused.exit_code == EXIT_UNAVAILABLE and "CO561" in refused.output


@requires_plpython
def test_the_cli_sets_shows_and_rolls_back(committed_db: Any, tmp_path: Path) -> None:
    with committed_db.connect() as conn:
        operator = make_principal(conn, "cli-policy", role="operator")
        baseline = _baseline(conn)
    first, second = tmp_path / "first.cedar", tmp_path / "second.cedar"
    first.write_text(baseline)
    second.write_text(baseline + SECRETS)
    for path, reason in ((first, "baseline"), (second, "lock secrets")):
        stored = _coord(committed_db, operator.token, "policy", "cedar", "set", str(path), "--reason", reason, "--json")
        assert stored.exit_code == 0 and json.loads(stored.stdout)["code"] == "policy_stored"
    engine = _coord(committed_db, operator.token, "policy", "cedar", "engine", "cedar", "--reason", "adopt", "--json")
    assert json.loads(engine.stdout)["details"] == {"engine": "cedar", "previous": "native"}
    assert SECRETS in _coord(committed_db, operator.token, "policy", "cedar", "show").stdout
    rolled = _coord(committed_db, operator.token, "policy", "cedar", "rollback", "1", "--reason", "too broad", "--json")
    assert json.loads(rolled.stdout)["details"] == {"version": 3, "rolled_back_from": 1}
    history = json.loads(_coord(committed_db, operator.token, "policy", "cedar", "history", "--json").stdout)
    assert [(h["version"], h["reason"], h["rolled_back_from"]) for h in history] == [
        (3, "too broad", 1), (2, "lock secrets", None), (1, "baseline", None)]
    bad = tmp_path / "bad.cedar"
    bad.write_text("permit (principal, action, resource")
    refused = _coord(committed_db, operator.token, "policy", "cedar", "set", str(bad), "--reason", "x")
    assert refused.exit_code == EXIT_DATAERR and "CO562" in refused.output
