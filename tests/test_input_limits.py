"""The input limits of the api (docs/security.md): finite timestamps in a representable range,
intervals checked before any arithmetic, flat lists, JSON at most 32 levels deep, text that is
UTF-8. Each malformed input gets a registered code with a hint on every path (client, CLI,
psql, PostgREST) and writes nothing; values stored before the limits existed are repaired by
migration 0014 and never break a read. The catalog-wide fuzz is tests/test_input_fuzz.py."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.main import main

from coordinator import errors
from coordinator.client import Client
from coordinator.migrate import migrate
from tests.conftest import Database, make_principal
from tests.interfaces import PostgrestSession, psql_call
from tests.trees import tree_before


def nested(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def _code(fn: Any) -> str:
    with pytest.raises(errors.CoordError) as caught:
        fn()
    assert caught.value.hint, f"{caught.value.code} without a hint"
    assert caught.value.code in errors.REGISTRY
    return caught.value.code


def _tasks(db: psycopg.Connection) -> int:
    return db.execute("select count(*) from coord.tasks").fetchone()[0]  # type: ignore[index]


# --- timestamps ---------------------------------------------------------------------------------

def test_timestamps_must_be_finite_and_representable(db: psycopg.Connection) -> None:
    agent = Client(connection=db, token=make_principal(db).token)
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    before = _tasks(db)
    for value in ("infinity", "-infinity", "12000-01-01", "0044-03-15 BC", "9999-12-31T12:00:00Z"):
        assert _code(lambda v=value: agent.submit_task("k", run_after=v)) == "CO226", value
        assert _code(lambda v=value: agent.submit_tasks([{"kind": "k", "run_after": v}])) == "CO226", value
        assert _code(lambda v=value: operator.query_audit(since=v)) == "CO226", value
        assert _code(lambda v=value: operator.query_audit(until=v)) == "CO226", value
    # Beyond what PostgreSQL holds at all: its own code, registered, with the registry's hint.
    assert _code(lambda: agent.submit_task("k", run_after="294277-01-01")) == "22008"
    assert _code(lambda: operator.query_audit(since="294277-01-01")) == "22008"
    assert _code(lambda: agent.submit_tasks([{"kind": "k", "run_after": "2030-13-45"}])) == "22008"
    assert _tasks(db) == before
    edges = [agent.submit_task("k", run_after=t) for t in ("0001-01-02T00:00:00Z", "9999-12-30T00:00:00Z")]
    assert [e.run_after.year for e in edges] == [1, 9999]
    assert len(agent.list_tasks(kind="k")) == 2 and agent.get_task(edges[1].task_id).run_after.year == 9999


# --- intervals --------------------------------------------------------------------------------------

def test_intervals_are_checked_before_any_arithmetic(db: psycopg.Connection) -> None:
    agent = Client(connection=db, token=make_principal(db).token)
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    task_id = agent.submit_task("k").task_id
    claim = agent.claim_task(["k"]).claim
    huge = ["178000000 years", "-178000000 years", "2562047788 hours"]
    if db.info.server_version >= 170000:  # infinite intervals exist from PostgreSQL 17
        huge += ["infinity", "-infinity"]
    for value in huge:
        assert _code(lambda v=value: agent.renew_task(task_id, claim, v)) == "CO406", value
        assert _code(lambda v=value: agent.acquire_lock("a.py", ttl=v)) == "CO211", value
        assert _code(lambda v=value: agent.acquire_lock("a.py", wait=v)) == "CO212", value
        assert _code(lambda v=value: agent.start_session(ttl=v)) == "CO432", value
        assert _code(lambda v=value: operator.create_agent("late", expires_in=v)) == "CO223", value
        assert _code(lambda v=value: operator.prune_tasks(v)) == "CO420", value
        assert _code(lambda v=value: operator.set_alert_rule("policy-denials", within=v)) == "CO492", value
        assert _code(lambda v=value: operator.create_profile("p", 2, {"max_task_duration": v})) == "CO463", value
    # A token lifetime is at most 100 years: 10000 years expired in year 12026, which no client can load.
    assert _code(lambda: operator.create_agent("late", expires_in="10000 years")) == "CO223"
    assert operator.create_agent("century", expires_in="100 years").ok
    assert operator.prune_tasks("100 years").ok


# --- lists ------------------------------------------------------------------------------------------

def test_lists_must_be_flat(db: psycopg.Connection) -> None:
    agent = Client(connection=db, token=make_principal(db).token)
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    handoffs = db.execute("select count(*) from coord.handoffs").fetchone()
    rule = {"p_name": "r", "p_action_pattern": "*", "p_threshold": 1, "p_within": "1 minute"}
    for decisions in ("{{denied}}", [["denied"]], "[0:1]={denied,blocked}", [None], ["denied", None]):
        assert _code(lambda d=decisions: operator.call("add_alert_rule", {**rule, "p_decisions": d})) == "CO241"
        assert _code(lambda d=decisions: operator.call("set_alert_rule", {"p_name": "policy-denials",
                                                                          "p_decisions": d})) == "CO241"
    shapes = {"text": [[["a"]], [None], "[2:2]={a}"], "ids": [[[1]], [None], "[2:2]={1}"]}
    for function, argument, base in [("check_locks", "p_paths", {}), ("claim_task", "p_kinds", {}),
                                     ("submit_task", "p_locks", {"p_kind": "k"}),
                                     ("submit_task", "p_depends_on", {"p_kind": "k"}),
                                     ("start_session", "p_capabilities", {}),
                                     ("write_handoff", "p_completed", {"p_summary": "s"}),
                                     ("write_handoff", "p_next_steps", {"p_summary": "s"})]:
        for shape in shapes["ids" if argument == "p_depends_on" else "text"]:
            assert _code(lambda f=function, a=argument, b=base, v=shape: agent.call(f, {**b, a: v})) == "CO241", (
                function, argument, shape)
    assert _code(lambda: operator.call("create_agent", {"p_name": "x", "p_scopes": [["*"]]})) == "CO241"
    # Seven dimensions: PostgreSQL refuses the array before any function runs (registered, 54000).
    assert _code(lambda: agent.call("check_locks", {"p_paths": nested(7, "a")})) == "54000"
    assert db.execute("select count(*) from coord.handoffs").fetchone() == handoffs


def test_json_values_of_another_type_are_refused_before_the_call(db: psycopg.Connection) -> None:
    """json_to_record reads a JSON array or object given for a scalar type as its JSON text
    (p_path ["a.py"] would lease the file '["a.py"]'): every argument's JSON type is checked
    against the signature first (22P02). A string stays every type's text form."""
    agent = Client(connection=db, token=make_principal(db).token)
    locks = db.execute("select count(*) from coord.locks").fetchone()
    for function, arguments in [("acquire_lock", {"p_path": ["a.py"]}), ("acquire_lock", {"p_path": {"a": 1}}),
                                ("acquire_lock", {"p_path": 5}), ("acquire_lock", {"p_path": True}),
                                ("acquire_lock", {"p_path": "a.py", "p_ttl": 600}),
                                ("acquire_lock", {"p_path": "a.py", "p_ttl": ["10 minutes"]}),
                                ("release_lock", {"p_path": "a.py", "p_fence": True}),
                                ("release_lock", {"p_path": "a.py", "p_fence": 1.5}),
                                ("release_lock", {"p_path": "a.py", "p_fence": [1]}),
                                ("check_locks", {"p_paths": [1]}), ("check_locks", {"p_paths": [{"p": "a.py"}]}),
                                ("check_locks", {"p_paths": {"p": "a.py"}}),
                                ("read_handoff", {"p_for_me": 1}),
                                ("submit_task", {"p_kind": "k", "p_priority": [1]})]:
        assert _code(lambda f=function, a=arguments: agent.call(f, a)) == "22P02", (function, arguments)
    assert db.execute("select count(*) from coord.locks").fetchone() == locks
    # text forms (coord call name=value) and JSON of the right type pass on to the database
    assert agent.call("acquire_lock", {"p_path": "a.py", "p_ttl": "10 minutes"})[0]["code"] == "granted"
    assert agent.call("release_lock", {"p_path": "a.py", "p_fence": "999"})[0]["ok"] is False
    assert agent.call("check_locks", {"p_paths": "{a.py}"}) != []
    assert agent.submit_task("k", payload=[1, {"any": "json"}]).ok  # jsonb takes any JSON


# --- JSON -----------------------------------------------------------------------------------------

def test_json_arguments_nest_at_most_32_levels(db: psycopg.Connection) -> None:
    agent = Client(connection=db, token=make_principal(db).token)
    operator = Client(connection=db, token=make_principal(db, role="operator").token)
    assert agent.submit_task("k", nested(32)).ok
    assert agent.submit_tasks([{"kind": "k", "payload": nested(32)}])[0].ok  # 32 levels inside the batch too
    deep_object: Any = {}
    for _ in range(33):
        deep_object = {"a": deep_object}
    for payload in (nested(33), deep_object, {"x": nested(40)}, nested(900), nested(100_000)):
        assert _code(lambda p=payload: agent.submit_task("k", p)) == "CO242"
        assert _code(lambda p=payload: agent.submit_tasks([{"kind": "k", "payload": p}])) == "CO242"
        assert _code(lambda p=payload: operator.update_profile("standard", {"description": "x", "y": p})) == "CO242"
        assert _code(lambda p=payload: operator.apply_team({"version": 1, "agents": [], "x": p})) == "CO242"
    task_id = agent.submit_task("done").task_id
    claim = agent.claim_task(["done"]).claim
    assert _code(lambda: agent.complete_task(task_id, claim, {"deep": nested(40)})) == "CO242"
    assert _code(lambda: agent.submit_tasks([{"kind": "k", "payload": {"blob": "x" * 70_000}}])) == "CO404"
    assert _code(lambda: agent.submit_tasks([{"kind": "k", "payload": {"b": "x" * 60_000}}] * 80)) == "CO404"
    assert agent.complete_task(task_id, claim, {"deep": nested(30)}).ok


def test_deep_json_stored_before_the_limit_still_reads(db: psycopg.Connection) -> None:
    """A payload nested 5000 deep (accepted before migration 0014) comes back as its JSON text:
    Python's parser, dataclasses.asdict and the CLI's rendering all recurse per level."""
    agent = Client(connection=db, token=make_principal(db).token)
    shallow, deep = agent.submit_task("deep").task_id, agent.submit_task("deep").task_id
    for task_id, payload in ((shallow, json.dumps({"fine": nested(60)})),
                             (deep, "[" * 5000 + "]" * 5000)):
        db.execute("update coord.tasks set payload = %s::jsonb where id = %s", (payload, task_id))
    listed = {t.task_id: t for t in agent.list_tasks(kind="deep")}
    assert listed[deep].payload == "[" * 5000 + "]" * 5000
    assert listed[shallow].payload == {"fine": nested(60)}
    assert agent.get_task(deep).to_dict()["payload"].startswith("[[[")
    claimed = agent.claim_task(["deep"])
    assert claimed.ok and isinstance(claimed.payload, (dict, str))


# --- text -------------------------------------------------------------------------------------------

def test_invalid_text_gets_registered_codes(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "texter")
    headers = {"X-Coord-Token": agent.token}
    with PostgrestSession(committed_db.client_dsn) as http:
        for body, code in [(b'{"p_path": "a\xff.py"}', "22021"), (b'{"p_path": "a\xed\xa0\x80.py"}', "22021"),
                           (b'{"p_path": "a\\ud800.py"}', "22P02"), (b'{"p_path": "a\\u0000.py"}', "22P05"),
                           (b'{"p_paths": ["\xc0\xaf"]}', "22021"),
                           (b'{"p_kind": "k", "p_payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "54001")]:
            function = "check_locks" if b"p_paths" in body else "submit_task" if b"p_kind" in body else "acquire_lock"
            response = http.call(function, body, headers)
            assert (response.status, response.body["code"]) == (errors.REGISTRY[code].http_status, code), body[:40]
    with Client(committed_db.client_dsn, agent.token) as client:
        assert _code(lambda: client.acquire_lock("a\ud800.py")) == "22P02"
        assert _code(lambda: client.acquire_lock("a\x00.py")) == "22P05"
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)
        assert admin.execute("select count(*) from coord.tasks").fetchone() == (0,)


# --- request headers ---------------------------------------------------------------------------

def test_hostile_headers_get_registered_codes(db: psycopg.Connection) -> None:
    agent = make_principal(db)
    for token in ("a\x00b", "a\ud800b", "x" * 1_000_000, "coord_" + "\u00e9" * 64, "coord_" + "0" * 64):
        assert _code(lambda t=token: Client(connection=db, token=t).my_locks()) in ("22P05", "CO225", "PT401")
    for session in ("a\x00b", "a\ud800b", "x" * 1000, "[1]"):
        assert _code(lambda s=session: Client(connection=db, token=agent.token, session_id=s).my_locks()) in (
            "22P05", "CO225", "CO435")
    assert _code(lambda: Client(connection=db, token=agent.token, headers={"\ud800": "x"}).my_locks()) == "CO225"


# --- one client, many bad calls -------------------------------------------------------------------

def test_a_client_keeps_working_after_failed_calls(committed_db: Database) -> None:
    """A statement whose Parse a failed pipeline skipped must not count as prepared: with
    psycopg's prepared statements (on their fifth use) every later call of the client once
    failed with 26000."""
    with committed_db.connect() as admin:
        token = make_principal(admin, "steady").token
    with Client(committed_db.client_dsn, token) as client:
        for i in range(12):
            if i % 3 == 2:
                assert client.acquire_lock(f"ok{i}.py").ok
            else:
                assert _code(lambda: client.acquire_lock("a\x01b")) == "CO203"
        assert client.my_locks()
    with Client(committed_db.client_dsn, token) as client:  # the authentication fails: the call is skipped
        client.session_id = "not-a-session"
        for _ in range(6):
            assert _code(client.my_locks) == "CO435"
        client.session_id = None
        assert client.my_locks()


# --- the CLI and psql ------------------------------------------------------------------------------

def test_the_cli_exits_with_the_registered_code(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        token = make_principal(admin, "cli-agent").token
    env = {"COORD_TOKEN": token, "COORD_DSN": committed_db.client_dsn, "COORD_ADMIN_DSN": ""}
    runner = CliRunner()
    deep = "[" * 5000 + "]" * 5000
    for args, code in [(["task", "submit", "k", "--run-after", "infinity"], "CO226"),
                       (["task", "submit", "k", "--payload", deep], "CO242"),
                       (["call", "submit_task", "p_kind=k", f"p_payload:={deep}"], "CO242"),
                       (["call", "submit_task", "p_kind=k", "p_payload:=" + json.dumps(nested(40))], "CO242"),
                       (["call", "check_locks", "p_paths={{a}}"], "CO241"),
                       (["call", "acquire_lock", "p_path=a\udcffb"], "22P02"),  # argv byte 0xff, surrogate-escaped
                       (["call", "renew_task", "p_task_id=1", "p_claim=1", "p_lease=178000000 years"], "CO406")]:
        result = runner.invoke(main, [*args, "--json"], env=env, catch_exceptions=False)
        assert result.exit_code == errors.REGISTRY[code].exit_code, (args[:3], result.output[-300:])
        assert json.loads(result.stdout)["code"] == code and json.loads(result.stdout)["hint"]


def test_the_team_file_reader_maps_bad_files(tmp_path: Path) -> None:
    from coordinator.teams import load_team
    deep = tmp_path / "deep.yaml"
    deep.write_text("version: 1\nagents: " + "[" * 5000 + "]" * 5000 + "\n")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"version: 1\nagents: [{name: caf\xe9}]\n")
    assert _code(lambda: load_team(deep)) == "CO242"
    assert _code(lambda: load_team(latin)) == "CO231"


def test_psql_gets_the_same_codes(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "dba-agent").token
        operator = make_principal(admin, "dba-operator", role="operator").token
    psql, dsn = committed_db.cluster.psql, committed_db.client_dsn
    rule = {"p_name": "r", "p_action_pattern": "*", "p_decisions": "{{denied}}", "p_threshold": "1",
            "p_within": "1 minute"}
    assert psql_call(psql, dsn, "add_alert_rule", rule, operator) == {"error": "CO241"}
    assert psql_call(psql, dsn, "submit_task", {"p_kind": "k", "p_run_after": "infinity"}, agent) == {"error": "CO226"}
    assert psql_call(psql, dsn, "query_audit", {"p_since": "294277-01-01"}, operator) == {"error": "22008"}
    # Text that is not UTF-8, pasted into a statement (psql itself refuses it in a :'variable').
    script = b"begin;\nselect api.login('" + agent.encode() + b"') is not null;\n" \
             b"select * from api.acquire_lock('a\xffb.py');\ncommit;\n"
    run = subprocess.run([str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-d", dsn],
                         input=script, capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode != 0 and b"ERROR:  22021:" in run.stderr, run.stderr
    assert psql_call(psql, dsn, "submit_task", {"p_kind": "k", "p_payload": json.dumps(nested(33))},
                     agent) == {"error": "CO242"}


# --- values stored before the limits ----------------------------------------------------------------

def test_migration_repairs_values_stored_before_the_limits(empty_db: Database, tmp_path: Path) -> None:
    migrate(empty_db.admin_dsn, root=tree_before("0014_bound_stored_input.sql", tmp_path))
    with empty_db.connect() as admin:
        agent = make_principal(admin, "old-agent", tenant="old")
        ids = [admin.execute("insert into coord.tasks (tenant_id, kind, run_after, submitted_by, submitted_at) "
                             "values (%s, 'old', %s, %s, now()) returning id",
                             (agent.tenant_id, when, agent.principal_id)).fetchone()[0]
               for when in ("infinity", "-infinity", "12000-01-01", "2030-01-01")]
        admin.execute("update coord.tokens set expires_at = 'infinity' where id = %s", (agent.token_id,))
        admin.execute("insert into coord.handoffs (tenant_id, author_id, summary, completed, decisions, created_at) "
                      "values (%s, %s, 's', '{{a,b},{c,d}}', '[0:1]={x,NULL}', now())",
                      (agent.tenant_id, agent.principal_id))
        with pytest.raises(psycopg.DataError):  # what every list_tasks of the tenant ran into
            admin.execute("select run_after from coord.tasks where id = %s", (ids[0],)).fetchone()
    with Client(empty_db.client_dsn, agent.token) as client:  # the client's loaders are total anyway
        # by name: this release's api.task has fewer fields than the current client's Task
        assert sorted(t["run_after"] for t in client.call("list_tasks", {"p_kind": "old"}))[::3] == [
            datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]
    migrate(empty_db.admin_dsn)
    with empty_db.connect() as admin:
        rows = dict(admin.execute("select id, run_after::text from coord.tasks").fetchall())
        assert [rows[i][:10] for i in ids] == ["9999-12-30", "0001-01-02", "9999-12-30", "2030-01-01"]
        assert admin.execute("select expires_at::text from coord.tokens where id = %s",
                             (agent.token_id,)).fetchone()[0].startswith("9999-12-30")
        assert admin.execute("select completed, decisions from coord.handoffs").fetchone() == (
            ["a", "b", "c", "d"], ["x"])
        with pytest.raises(psycopg.errors.CheckViolation):
            admin.execute("update coord.tasks set run_after = 'infinity' where id = %s", (ids[3],))
    with Client(empty_db.client_dsn, agent.token) as client:
        assert sorted(t.run_after.year for t in client.list_tasks(kind="old")) == [1, 2030, 9999, 9999]
