"""The same calls through the Python client, PostgREST (replayed) and psql behave identically,
and PostgREST answers each result and error with the documented HTTP status."""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
import pytest

from coordinator.errors import REGISTRY
from tests.conftest import Database, clone_template, make_principal
from tests.interfaces import client_call, postgrest_call, postgrest_status, psql_call

Step = tuple[str, str, dict[str, Any]]  # (actor, function, arguments)

SCENARIO: list[Step] = [
    ("alice", "acquire_lock", {"p_path": "src/a.py", "p_ttl": "10 minutes", "p_reason": "edit"}),
    ("bob", "acquire_lock", {"p_path": "./src/"}),
    ("bob", "acquire_lock", {"p_path": "docs/", "p_mode": "shared"}),
    ("alice", "acquire_lock", {"p_path": "docs/guide.md"}),
    ("alice", "check_locks", {"p_paths": ["src/", "docs/x"]}),
    ("alice", "my_locks", {}),
    ("alice", "release_lock", {"p_path": "src/a.py", "p_fence": "FENCE"}),
    ("alice", "release_lock", {"p_path": "src/a.py", "p_fence": "FENCE"}),
    ("bob", "acquire_lock", {"p_path": "../outside"}),
    ("bob", "acquire_lock", {"p_path": "x.py", "p_ttl": "0 seconds"}),
    ("nobody", "acquire_lock", {"p_path": "x.py"}),
    ("forged", "acquire_lock", {"p_path": "x.py"}),
    ("ops", "query_audit", {"p_limit": 3, "p_action": "lock.release"}),
]

_VOLATILE_KEYS = {"fence", "expires_at", "holder_expires_at", "holder_id", "acquired_at", "renewed_at",
                  "occurred_at", "id", "details"}


def _shape(value: Any) -> Any:
    """Drop what differs between runs (fences, times, ids) and keep the decisions."""
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, str):
        return re.sub(r"fence \d+", "fence N", re.sub(r"\d{4}-\d\d-\d\dT[\d:.+-]+", "<time>", value))
    return value


def _run(database: Database, transport: str) -> list[Any]:
    with database.connect() as conn:
        tokens = {name: make_principal(conn, name, role="operator" if name == "ops" else "agent").token
                  for name in ("alice", "bob", "ops")}
    tokens["forged"] = "coord_" + "f" * 64
    fence: int | None = None
    outcomes = []
    for actor, function, arguments in SCENARIO:
        args = {k: (fence if v == "FENCE" else v) for k, v in arguments.items()}
        token = tokens.get(actor)
        if transport == "client":
            result = client_call(database.client_dsn, function, args, token)
        elif transport == "psql":
            result = psql_call(database.cluster.psql, database.client_dsn, function, args, token)
        else:
            response = postgrest_call(database.client_dsn, function, json.dumps(args),
                                      {"X-Coord-Token": token} if token else {})
            result = response.body if response.status == 200 else {"error": response.body["code"]}
        result = json.loads(json.dumps(result, default=str))
        if actor == "alice" and function == "acquire_lock" and args["p_path"] == "src/a.py":
            fence = result["fence"]
        outcomes.append(_shape(result))
    return outcomes


def test_client_psql_and_postgrest_behave_identically(committed_db: Database, cluster) -> None:
    by_transport = {}
    for transport in ("client", "psql", "postgrest"):
        name = f"{committed_db.name}_{transport}"
        try:
            by_transport[transport] = _run(clone_template(cluster, name), transport)
        finally:
            with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
                conn.execute(f'drop database "{name}" with (force)')
    client = by_transport["client"]
    assert [o.get("code", o.get("error")) if isinstance(o, dict) else len(o) for o in client] == [
        "granted", "busy", "granted", "busy", 2, 1, "released", "not_held", "CO204", "CO211", "42501", "PT401", 2]
    assert by_transport["psql"] == client
    assert by_transport["postgrest"] == client


def test_postgrest_statuses_for_results_and_errors(shared_db: Database) -> None:
    with shared_db.connect() as conn:
        alice = make_principal(conn, "http-alice", tenant="http")
        bob = make_principal(conn, "http-bob", tenant="http")
    call = postgrest_call
    dsn = shared_db.client_dsn
    granted = call(dsn, "acquire_lock", json.dumps({"p_path": "h.py"}), {"X-Coord-Token": alice.token})
    assert granted.status == 200 and granted.body["code"] == "granted"
    busy = call(dsn, "acquire_lock", json.dumps({"p_path": "h.py"}), {"X-Coord-Token": bob.token})
    assert busy.status == 200 and busy.body["ok"] is False, "busy is a result, not an error"
    listed = call(dsn, "my_locks", "{}", {"X-Coord-Token": alice.token})
    assert listed.status == 200 and [r["path"] for r in listed.body] == ["h.py"]
    expectations = [
        ("acquire_lock", {"p_path": "h.py"}, {}, 401, "42501"),
        ("acquire_lock", {"p_path": "h.py"}, {"X-Coord-Token": "coord_nope"}, 401, "PT401"),
        ("acquire_lock", {"p_path": ""}, {"X-Coord-Token": bob.token}, 400, "CO201"),
        ("acquire_lock", {"p_path": "a\u0000b"}, {"X-Coord-Token": bob.token}, 400, "22P05"),
        ("release_lock", {"p_path": "h.py", "p_fence": "one"}, {"X-Coord-Token": bob.token}, 400, "22P02"),
        ("acquire_lock", {"p_path": "h.py", "p_ttl": "later"}, {"X-Coord-Token": bob.token}, 400, "22007"),
        ("query_audit", {}, {"X-Coord-Token": bob.token}, 401, "42501"),
        ("no_such_function", {}, {"X-Coord-Token": bob.token}, 404, "PGRST202"),
    ]
    for function, body, headers, status, code in expectations:
        response = call(dsn, function, json.dumps(body), headers)
        assert (response.status, response.body["code"]) == (status, code), (function, body)


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_registry_http_status_is_what_postgrest_answers(code: str) -> None:
    entry = REGISTRY[code]
    assert postgrest_status(code, "", authenticated=False) == entry.http_status


def test_postgrest_refuses_a_json_list_sent_as_a_path(shared_db: Database) -> None:
    """PostgREST's json_to_record reads {"p_path": ["src/app.py"]} as the text '["src/app.py"]':
    the database refuses such a path (CO208) rather than leasing it; names that only look like
    JSON (Next.js routes) stay legal."""
    with shared_db.connect() as conn:
        agent = make_principal(conn, "json-path", tenant="json-path")
    headers = {"X-Coord-Token": agent.token}
    for body in ({"p_path": ["src/app.py"]}, {"p_path": ["a", "b"]}, {"p_path": {"path": "src/app.py"}},
                 {"p_path": ' ["src/app.py"]'}):
        refused = postgrest_call(shared_db.client_dsn, "acquire_lock", json.dumps(body), headers)
        assert (refused.status, refused.body["code"]) == (400, "CO208"), body
        assert refused.body["hint"] and "p_paths" in refused.body["hint"]
    checked = postgrest_call(shared_db.client_dsn, "check_locks", json.dumps({"p_paths": ['["x.py"]']}), headers)
    assert checked.body["code"] == "CO208"
    for path in ("app/[id]/page.tsx", "pages/[...slug].tsx", "[...slug].tsx", "[1].txt", "{a}.txt", "[]", "{}"):
        granted = postgrest_call(shared_db.client_dsn, "acquire_lock", json.dumps({"p_path": path}), headers)
        assert (granted.status, granted.body["code"]) == (200, "granted"), path
