"""Hostile input for every argument of every api function, generated from the catalog.

Each argument of each ``api`` function (names and types from pg_proc) gets the hostile values
of its type: non-finite and out-of-range times, huge numbers, multi-dimensional arrays and NULL
elements, deep and large JSON, NUL bytes, lone surrogates, invalid UTF-8, 10 MB strings. Each
call runs as an agent (in a session) and as an operator through the Python client (PostgREST's
statement shape, committed like a real request), and the raw-byte cases also through the
PostgREST replay. A call must either return a result, or raise a registered SQLSTATE with a hint
and commit nothing. Every problem is reported at once.

"Commit nothing" is checked exactly: every transaction id assigned during a failed call must
not have committed a row of the private schemas (xmin/xmax), whatever table it touched.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator.adapt import DeepJson
from coordinator.client import Client, FunctionSignature, load_signatures
from coordinator.errors import CoordError
from tests.conftest import Database, make_principal
from tests.interfaces import PostgrestSession
from tests.personas import private_tables

SEED = 20260314
MB10 = 10 * 1024 * 1024  # bytes in the "10 MB" values
DEEP = 100_000  # levels of the deepest JSON (PostgreSQL's own parser gives up long before)


def nested(depth: int, leaf: Any = 0) -> Any:
    """A JSON array nested depth levels deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_object(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _values() -> dict[str, list[tuple[str, Any]]]:
    """Hostile values per PostgreSQL type name (format_type), each with a label for the report."""
    rng = random.Random(SEED)
    big = "x" * MB10
    surrogate = "a\ud800b"
    texts: list[tuple[str, Any]] = [
        ("empty", ""), ("nul", "a\x00b"), ("lone surrogate", surrogate), ("low surrogate", "\udfff"),
        ("10 MB", big), ("control", "\x01\x1b[2J"), ("rtl", "\u202egnp.exe"), ("astral", "\U0001f600" * 3),
        ("array literal", "{{a}}"), ("sql", "x'); drop table coord.tasks; --"), ("like", "%_\\"),
        ("random", "".join(chr(rng.randrange(0x20, 0xD7FF)) for _ in range(64))),
        ("number", 1), ("object", {"a": 1}), ("list", ["a"]),
    ]
    lists_of_text: list[tuple[str, Any]] = [
        ("empty list", []), ("null element", [None]), ("nested", [["a"]]), ("2-d", [["a", "b"], ["c", "d"]]),
        ("2-d literal", "{{a,b},{c,d}}"), ("lower bound 0", "[0:1]={a,b}"), ("lower bound 5", "[5:5]={a}"),
        ("100k elements", ["a"] * 100_000), ("nul element", ["a\x00b"]), ("surrogate element", [surrogate]),
        ("10 MB element", [big]), ("empty element", [""]), ("not a list", "a"), ("object", {"a": "b"}),
        ("deep", nested(50, "a")),
    ]
    lists_of_ids: list[tuple[str, Any]] = [
        ("empty list", []), ("null element", [None]), ("nested", [[1]]), ("2-d", [[1, 2], [3, 4]]),
        ("2-d literal", "{{1,2},{3,4}}"), ("lower bound 0", "[0:1]={1,2}"), ("overflow", [2**63]),
        ("negative", [-1]), ("zero", [0]), ("text element", ["x"]), ("100k elements", list(range(1, 100_001))),
        ("not a list", 1),
    ]
    integers: list[tuple[str, Any]] = [
        ("zero", 0), ("negative", -1), ("int min", -(2**31)), ("int max", 2**31 - 1), ("int overflow", 2**31),
        ("bigint max", 2**63 - 1), ("bigint overflow", 2**63), ("huge", 10**400), ("fraction", 1.5),
        ("exponent", "1e400"), ("nan", "NaN"), ("text", "x"), ("list", [1]), ("empty", ""),
    ]
    return {
        "text": texts,
        "text[]": lists_of_text,
        "bigint[]": lists_of_ids,
        # memory: importance and embeddings
        "real": [("nan", "NaN"), ("infinity", "Infinity"), ("huge", 10**400), ("negative", -1), ("text", "x"),
                 ("list", [1]), ("empty", "")],
        "real[]": [("empty list", []), ("null element", [None]), ("nested", [[0.5] * 384]), ("nan", ["NaN"] * 384),
                   ("huge", [10**400] * 384), ("383 dimensions", [0.5] * 383), ("100k elements", [0.5] * 100_000),
                   ("text element", ["x"] * 384), ("zero vector", [0] * 384), ("not a list", 0.5)],
        "uuid[]": [("null element", [None]), ("nested", [["00000000-0000-0000-0000-000000000000"]]),
                   ("not uuid", ["x"])],
        "bigint": integers,
        "integer": integers,
        "smallint": [*integers, ("smallint overflow", 2**15)],
        "boolean": [("maybe", "maybe"), ("two", 2), ("list", [True]), ("empty", "")],
        "uuid": [("nil", "00000000-0000-0000-0000-000000000000"), ("short", "1234"), ("text", "x"),
                 ("braces", "{ffffffff-ffff-ffff-ffff-ffffffffffff}"), ("surrogate", surrogate), ("number", 1)],
        "interval": [
            ("infinity", "infinity"), ("-infinity", "-infinity"), ("178M years", "178000000 years"),
            ("-178M years", "-178000000 years"), ("10000 years", "10000 years"), ("overflow", "999999999999 years"),
            ("iso", "P1000Y"), ("zero", "0"), ("negative", "-1 second"), ("microsecond", "1 microsecond"),
            ("month", "1 month"), ("ago", "@ 1 day ago"), ("garbage", "soon"), ("huge hours", "2562047788 hours"),
            ("number", 0.001), ("empty", ""),
        ],
        "timestamp with time zone": [
            ("infinity", "infinity"), ("-infinity", "-infinity"), ("year 294277", "294277-01-01"),
            ("year 12000", "12000-01-01"), ("year 10000 edge", "9999-12-31T23:59:59-12:00"),
            ("BC", "0044-03-15 BC"), ("4713 BC", "4713-01-01 BC"), ("year 1", "0001-01-01T00:00:00Z"),
            ("epoch", "epoch"), ("garbage", "tomorrow-ish"), ("bad month", "2030-13-45"), ("number", 5),
            ("empty", ""),
        ],
        "jsonb": [
            ("deep 64", nested(64)), ("deep 65", nested(65)), ("deep objects", nested_object(200)),
            ("deep 900", nested(900)), ("deep 5000", nested(5000)), (f"deep {DEEP}", nested(DEEP)),
            ("10 MB string", {"blob": big}), ("wide", list(range(200_000))), ("nul key", {"a\x00": 1}),
            ("nul value", {"a": "\x00"}), ("surrogate", {"a": surrogate}), ("scalar", "x"), ("null", None),
            ("huge number", 10**400), ("array", [None]),
        ],
    }


# Valid values for the arguments a function requires, so a hostile value in one argument meets
# the function's own validation rather than a missing neighbour. Type defaults, then overrides.
TYPE_DEFAULTS: dict[str, Any] = {
    "text": "x", "text[]": ["x"], "uuid": "00000000-0000-0000-0000-000000000000", "bigint": 1, "integer": 1,
    "smallint": 3, "boolean": False, "jsonb": {}, "interval": "1 minute", "bigint[]": [1],
    "timestamp with time zone": "2030-01-01T00:00:00Z", "real": 0.5, "real[]": [0.5] * 384,
}
BASE: dict[str, dict[str, Any]] = {
    "acquire_lock": {"p_path": "fuzz/a.py"},
    "release_lock": {"p_path": "fuzz/a.py"},
    "renew_lock": {"p_path": "fuzz/a.py"},
    "assert_lease": {"p_path": "fuzz/a.py"},
    "check_locks": {"p_paths": ["fuzz/a.py"]},
    "create_agent": {"p_name": "fuzz-minted"},
    "submit_task": {"p_kind": "fuzz"},
    "submit_tasks": {"p_tasks": [{"kind": "fuzz"}]},
    "claim_task": {"p_kinds": ["fuzz-none"]},
    "claim_tasks": {"p_kinds": ["fuzz-none"]},
    "write_handoff": {"p_summary": "fuzz"},
    "check_network": {"p_domain": "example.com"},
    "add_network_rule": {"p_pattern": "example.com", "p_action": "deny"},
    "create_profile": {"p_name": "fuzz-profile", "p_trust_level": 2},
    "update_profile": {"p_name": "standard", "p_settings": {}},
    "apply_team": {"p_team": {"version": 1, "agents": []}},
    "add_alert_rule": {"p_name": "fuzz-rule", "p_action_pattern": "fuzz.*", "p_decisions": ["denied"],
                       "p_threshold": 5, "p_within": "1 minute"},
    "set_alert_rule": {"p_name": "policy-denials"},
    "check_operation": {"p_kind": "command", "p_text": "ls"},
    "explain_operation": {"p_kind": "command", "p_text": "ls"},
    "add_guardrail": {"p_name": "fuzz-rule", "p_category": "git", "p_applies_to": "command",
                      "p_pattern": "^fuzz$", "p_severity": "low"},
    "set_guardrail_enabled": {"p_name": "fuzz-none", "p_enabled": True},
    "resolve_alert": {"p_note": "fuzz"},
}
# Values that cost tens of milliseconds each to send and parse: tried once per argument, by the
# first persona granted the function (the others are refused before the body is parsed).
EXPENSIVE = {"10 MB", "10 MB element", "10 MB string", "100k elements", "wide", f"deep {DEEP}"}


@dataclass
class Case:
    persona: str
    function: str
    argument: str
    label: str
    arguments: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.persona} {self.function}({self.argument} = {self.label})"


def cases(signatures: dict[str, FunctionSignature], personas: dict[str, str],
          granted: set[tuple[str, str]]) -> Iterator[Case]:
    """personas: persona -> request role; granted: (role, function) pairs from the catalog."""
    values = _values()
    for name, sig in sorted(signatures.items()):
        types = dict(zip(sig.arg_names, sig.arg_types, strict=True))
        base = {a: BASE.get(name, {}).get(a, TYPE_DEFAULTS.get(types[a])) for a in sig.required}
        allowed = [p for p, role in personas.items() if (role, name) in granted] or list(personas)
        for argument, typ in types.items():
            for label, value in values[typ]:
                for persona in allowed[:1] if label in EXPENSIVE else personas:
                    yield Case(persona, name, argument, label, {**base, argument: value})


def _granted(admin: psycopg.Connection) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in admin.execute(
        "select r.rolname, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "cross join pg_roles r where n.nspname = 'api' and r.rolname like 'coord\\_%' "
        "and has_function_privilege(r.oid, p.oid, 'execute')").fetchall()}


class WriteWatch:
    """Did a call commit anything? The transaction ids assigned since the previous call that
    committed and left a row version (xmin or xmax) in a private table (autovacuum's own commits
    leave none). The watcher's own statements assign no transaction id."""

    def __init__(self, admin: psycopg.Connection) -> None:
        self.admin = admin
        tables = [t for t, _ in private_tables(admin)]
        self.rows_of = pgsql.SQL(" union all ").join(
            pgsql.SQL("select {} from {} where xmin = any(%(x)s::text[]::xid[]) "
                      "or xmax = any(%(x)s::text[]::xid[])").format(pgsql.Literal(t), pgsql.SQL(t))
            for t in tables)
        self.last = self._next_xid()

    def _next_xid(self) -> int:
        return int(self.admin.execute("select pg_snapshot_xmax(pg_current_snapshot())::text").fetchone()[0])

    def committed(self) -> list[str]:
        """Private tables written by transactions committed since the last call of this method."""
        since, self.last = self.last, self._next_xid()
        if since == self.last:
            return []
        xids = [r[0] for r in self.admin.execute(
            "select x::text from generate_series(%s::bigint, %s::bigint - 1) as x "
            "where pg_xact_status(x::text::xid8) = 'committed'", (since, self.last)).fetchall()]
        if not xids:
            return []
        return sorted({r[0] for r in self.admin.execute(self.rows_of, {"x": xids}).fetchall()})


@dataclass
class Run:
    watch: WriteWatch
    registered: dict[str, str | None]  # code -> the registry's hint
    problems: list[str]
    outcomes: dict[str, int]

    def check_error(self, where: str, code: str | None, hint: str | None) -> None:
        self.outcomes["error"] += 1
        if code not in self.registered:
            self.problems.append(f"{where}: unregistered error {code}")
        elif not hint:
            self.problems.append(f"{where}: error {code} without a hint")
        if written := self.watch.committed():
            self.problems.append(f"{where}: failed with {code} but committed rows in {written}")

    def check_result(self) -> None:
        self.outcomes["result"] += 1
        self.watch.committed()  # the next call is judged from here


def _registered(admin: psycopg.Connection) -> dict[str, str | None]:
    return dict(admin.execute("select code, hint from coord.error_registry").fetchall())  # type: ignore[arg-type]


@pytest.fixture
def fuzz_world(committed_db: Database) -> Iterator[tuple[Database, psycopg.Connection, dict[str, Client]]]:
    with committed_db.connect() as admin:
        agent = make_principal(admin, "fuzz-agent", tenant="fuzz")
        operator = make_principal(admin, "fuzz-operator", tenant="fuzz", role="operator")
        clients = {"agent": Client(committed_db.client_dsn, agent.token),
                   "operator": Client(committed_db.client_dsn, operator.token)}
        try:
            assert clients["agent"].start_session("fuzzer", ["fuzz"], "1 hour").ok
            yield committed_db, admin, clients
        finally:
            for client in clients.values():
                client.close()


def test_every_argument_type_has_hostile_values(db: psycopg.Connection) -> None:
    values = _values()
    types = {t for sig in load_signatures(db).values() for t in sig.arg_types}
    assert sorted(types - set(values)) == [], "add hostile values for these argument types"


def test_hostile_arguments_through_the_client(fuzz_world: tuple[Database, psycopg.Connection,
                                                                dict[str, Client]]) -> None:
    _database, admin, clients = fuzz_world
    run = Run(WriteWatch(admin), _registered(admin), [], {"result": 0, "error": 0, "calls": 0})
    signatures = load_signatures(admin)
    personas = {"agent": "coord_agent", "operator": "coord_operator"}
    for case in cases(signatures, personas, _granted(admin)):
        run.outcomes["calls"] += 1
        try:
            clients[case.persona].call(case.function, case.arguments)
        except CoordError as exc:
            run.check_error(str(case), exc.code, exc.hint)
            continue
        except Exception as exc:  # anything the client does not map is a finding
            run.problems.append(f"{case}: {type(exc).__name__}: {str(exc)[:200]}")
            if written := run.watch.committed():
                run.problems.append(f"{case}: raised but committed rows in {written}")
            continue
        run.check_result()
    run.problems += read_back(clients, signatures)
    report = "\n".join(run.problems)
    assert run.problems == [], f"{len(run.problems)} problems in {run.outcomes}:\n{report}"
    assert run.outcomes["calls"] > 2000 and run.outcomes["result"] > 100, run.outcomes


_EXTREMES = (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), datetime.max, datetime.min,
             date.max, date.min, timedelta.max, timedelta.min)


def unrepresentable(value: Any) -> list[str]:
    """Values the client's total loaders had to stand in for (coordinator.adapt): stored data no
    client can represent. Walked without recursion."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, DeepJson):
            found.append(f"JSON too deep ({len(item)} characters)")
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (datetime, date, timedelta)) and item in _EXTREMES:
            found.append(f"unrepresentable time {item!r}")
    return found


def read_back(clients: dict[str, Client], signatures: dict[str, FunctionSignature]) -> list[str]:
    """Whatever the hostile calls stored, every reader still works and returns only values a
    client can represent: each function without required arguments that does not write, and
    get_task for every task, as each persona."""
    problems = []
    readers = [name for name, sig in sorted(signatures.items()) if not sig.required and not sig.volatile]
    for persona, client in clients.items():
        calls = [(name, {}) for name in readers]
        try:
            calls += [("get_task", {"p_task_id": t["task_id"]}) for t in client.call("list_tasks", {"p_limit": 1000})]
        except CoordError as exc:
            problems.append(f"{persona} list_tasks after the fuzz: {exc.code} {exc.message}")
        for name, arguments in calls:
            try:
                rows = client.call(name, arguments)
            except CoordError as exc:
                if exc.code not in ("42501", "PT403"):  # a reader this persona may not use
                    problems.append(f"{persona} {name}({arguments}) after the fuzz: {exc.code} {exc.message}")
                continue
            problems += [f"{persona} {name}({arguments}) returns {what}" for what in unrepresentable(rows)]
    return problems


def _raw_bodies(argument: str, base: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Bodies only a raw HTTP client sends: invalid UTF-8, escapes Python would not produce, JSON
    deeper than Python can encode."""
    prefix = b"{" + b"".join(json.dumps(k).encode() + b": " + json.dumps(v).encode() + b", "
                             for k, v in base.items())
    key = json.dumps(argument).encode()
    return [
        ("invalid utf-8", prefix + key + b': "a\xff\xfeb"}'),
        ("overlong utf-8", prefix + key + b': "\xc0\xaf"}'),
        ("surrogate bytes", prefix + key + b': "\xed\xa0\x80"}'),
        ("lone surrogate escape", prefix + key + b': "\\ud800"}'),
        ("nul escape", prefix + key + b': "\\u0000"}'),
        ("invalid utf-8 in a list", prefix + key + b': ["\xff"]}'),
        (f"deep {DEEP}", prefix + key + b": " + b"[" * DEEP + b"]" * DEEP + b"}"),
        ("deep objects 20000", prefix + key + b": " + b'{"a":' * 20000 + b"1" + b"}" * 20000 + b"}"),
    ]


def test_hostile_bytes_through_postgrest(fuzz_world: tuple[Database, psycopg.Connection,
                                                           dict[str, Client]]) -> None:
    database, admin, clients = fuzz_world
    run = Run(WriteWatch(admin), _registered(admin), [], {"result": 0, "error": 0, "calls": 0})
    tokens = {persona: client.token for persona, client in clients.items()}
    with PostgrestSession(database.client_dsn) as session:
        for name, sig in sorted(session.signatures.items()):
            types = dict(zip(sig.arg_names, sig.arg_types, strict=True))
            base = {a: BASE.get(name, {}).get(a, TYPE_DEFAULTS.get(types[a])) for a in sig.required}
            for argument in sig.arg_names:
                others = {k: v for k, v in base.items() if k != argument}
                for label, body in _raw_bodies(argument, others):
                    run.outcomes["calls"] += 1
                    where = f"POST /rpc/{name} ({argument} = {label})"
                    headers = {"X-Coord-Token": tokens["agent"] or "",
                               "X-Coord-Session": str(clients["agent"].session_id)}
                    response = session.call(name, body, headers)
                    if response.status == 200:
                        run.check_result()
                        continue
                    code = response.body.get("code")
                    # PostgreSQL's own errors carry no hint over HTTP: docs/errors.md has the registry's.
                    hint = response.body.get("hint") or run.registered.get(code)
                    run.check_error(where, code, hint)
    report = "\n".join(run.problems)
    assert run.problems == [], f"{len(run.problems)} problems in {run.outcomes}:\n{report}"
    assert run.outcomes["calls"] > 800, run.outcomes


def test_read_back_sees_unrepresentable_values(committed_db: Database) -> None:
    """The read-back must notice what the loaders stand in for: a task stored with 'infinity'
    (its range check switched off in this throwaway database) and a payload 5000 levels deep."""
    with committed_db.connect() as admin:
        agent = make_principal(admin, "reader", tenant="fuzz")
        with Client(committed_db.client_dsn, agent.token) as client:
            task_id = client.submit_task("k").task_id
            assert read_back({"agent": client}, load_signatures(admin)) == []
            # the range (tasks_run_after_in_range) is the transition trigger's (migration 0044)
            admin.execute("alter table coord.tasks disable trigger tasks_transition")
            admin.execute("update coord.tasks set run_after = 'infinity', payload = %s::jsonb where id = %s",
                          ("[" * 5000 + "]" * 5000, task_id))
            problems = read_back({"agent": client}, load_signatures(admin))
    assert any("list_tasks" in p and "unrepresentable time" in p for p in problems), problems
    assert any("get_task" in p and "JSON too deep" in p for p in problems), problems
