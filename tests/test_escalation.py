"""Escalation attempts, all of which must fail cleanly (a registered error or a denied result,
and no write): identity or trust passed as an argument or a header, forged claims and vouches,
revoked and expired tokens on every function, private-schema functions called directly,
objects shadowed through pg_temp or search_path, SQL injection through paths, kinds, domains,
unique keys and payload keys, and agents calling operator-only actions (profiles included).

Functions and tables are enumerated from the catalog, so what is added later is attacked too.
(tests/test_identity.py already covers: the exact identity parameter names, forged claims
without a vouch, a replayed vouch, temp domains for eight types, revocation and expiry of one
call.)
"""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator.client import Client, load_signatures
from coordinator.errors import CoordError
from tests.conftest import Database, advance_clock, make_principal
from tests.personas import (
    PRIVATE_SCHEMAS,
    REQUEST_ROLES,
    World,
    build_world,
    private_tables,
    snapshot,
    snapshot_query,
)
from tests.test_persona_matrix import ARGUMENTS, DEFAULTS, TYPED, run_matrix, typed_variants

# --- identity and trust never come from arguments ---------------------------------------------

IDENTITY_PARAMETER = re.compile(
    r"p_(.*trust.*|tenant.*|principal(_id)?|agent_id|as_.*|on_behalf.*|impersonat.*|sub|subject|claims|jwt.*|vouch"
    r"|role|roles|user(_id)?|actor.*|caller.*|session_id|token_id_self|level)")
# Parameters that match but do not identify the caller, and why.
DOCUMENTED_PARAMETERS = {
    ("submit_task", "p_required_trust"): "the trust a claimant will need for the task, not the caller's own",
    ("create_profile", "p_trust_level"): "the new profile's trust; authz.object_refusal caps it at the caller's own",
    ("add_guardrail", "p_override_trust"): "the trust an agent needs to override the rule, not the caller's own",
    ("query_audit", "p_actor"): "filters events by the actor they record",
    ("list_alerts", "p_actor"): "filters alerts by the actor they are about",
    ("add_approval_policy", "p_min_trust"): "the trust a requester needs for the policy to apply, not the caller's own",
    ("send_message", "p_subject"): "the message's subject line, not a token subject: the sender is the verified caller",
}


def test_no_api_parameter_names_the_callers_identity_or_trust(db: psycopg.Connection) -> None:
    """Broader than the exact names of tests/test_identity.py: any parameter shaped like a trust
    level, a tenant, a principal of the caller, claims or a vouch."""
    rows = db.execute("""select p.proname, a from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                                unnest(coalesce(p.proargnames, '{}')) a
                         where n.nspname = 'api' order by 1, 2""").fetchall()
    assert len(rows) >= 50
    offenders = [(f, a) for f, a in rows if IDENTITY_PARAMETER.fullmatch(a) and (f, a) not in DOCUMENTED_PARAMETERS]
    assert offenders == []
    functions = {f for f, _ in rows}
    assert [k for k in DOCUMENTED_PARAMETERS if k[0] in functions and k not in rows] == [], "stale entry"


def test_headers_cannot_claim_an_identity(db: psycopg.Connection) -> None:
    """Headers other than the token and the session are ignored: trust, tenant, role, principal."""
    world = build_world(db)
    forged = {"x-coord-trust": "4", "x-coord-trust-level": "4", "x-coord-role": "operator",
              "x-coord-tenant": str(world.b.tenant_id), "x-coord-principal": str(world.b.operator.principal_id),
              "x-coord-sub": str(world.b.operator.principal_id), "authorization": "Basic b3BlcmF0b3I6eA==",
              "x-forwarded-user": world.b.operator.name}
    agent = Client(connection=db, token=world.a.agent.token, headers=forged)
    info = agent.authenticate()
    assert info is not None and (info.principal_id, info.role, info.tenant_id) == \
        (world.a.agent.principal_id, "agent", world.a.tenant_id)
    for function in ("maintain", "list_principals", "create_agent"):
        with pytest.raises(CoordError) as caught:
            agent.call(function, {"p_name": "sneaky"} if function == "create_agent" else {})
        assert caught.value.code == "42501", function
    # a Bearer JWT next to the token is a second credential: refused, never merged
    with pytest.raises(CoordError) as caught:
        Client(connection=db, token=world.a.agent.token, headers={"authorization": "Bearer forged"}).authenticate()
    assert caught.value.code == "PT401"
    # the session header is checked against the token's own principal
    for session in (world.b.session_id, world.objects["mortal_session"]):
        with pytest.raises(CoordError) as caught:
            Client(connection=db, token=world.a.agent.token, session_id=session).authenticate()
        assert caught.value.code == "PT401"


def _authenticator(database: Database) -> psycopg.Connection:
    return psycopg.connect(database.client_dsn, autocommit=True)


def _refused(conn: psycopg.Connection, setup: list[tuple[str, tuple[Any, ...]]], call: str) -> str:
    """SQLSTATE of call after setup, in one transaction rolled back afterwards."""
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        for statement, params in setup:
            conn.execute(statement, params)  # type: ignore[arg-type]
        conn.execute(call)
    return caught.value.sqlstate or ""


def test_forged_claims_within_an_authenticated_transaction_fail(committed_db: Database) -> None:
    """Authenticate properly, then edit what the transaction carries: another tenant's ids with
    the genuine vouch, another principal's vouch, a switched role, a wrong MAC."""
    with committed_db.connect() as admin:
        alice = make_principal(admin, "alice", tenant="ta")
        boss = make_principal(admin, "boss", tenant="ta", role="operator")
        bob = make_principal(admin, "bob", tenant="tb", role="operator")
    with _authenticator(committed_db) as conn:
        with conn.transaction():
            conn.execute("select api.login(%s)", (boss.token,))
            boss_claims, boss_vouch = conn.execute(
                "select current_setting('request.jwt.claims'), current_setting('coord.vouch')").fetchone()
            conn.execute("select set_config('role', 'none', true)")
            conn.execute("select api.login(%s)", (alice.token,))
            alice_claims, alice_vouch = conn.execute(
                "select current_setting('request.jwt.claims'), current_setting('coord.vouch')").fetchone()
        login = ("select api.login(%s)", (alice.token,))
        other_tenant = json.loads(alice_claims) | {"tenant": str(bob.tenant_id), "tenant_name": "tb"}
        as_bob = json.loads(boss_claims) | {"sub": str(bob.principal_id), "tenant": str(bob.tenant_id), "name": "bob"}
        elevated = json.loads(alice_claims) | {"role": "coord_operator", "principal_role": "operator"}
        attacks: list[list[tuple[str, tuple[Any, ...]]]] = [
            # the genuine vouch of this transaction, claims edited to another tenant
            [login, ("select set_config('request.jwt.claims', %s, true)", (json.dumps(other_tenant),))],
            # an operator's claims from another transaction with its own (stale) vouch
            [login, ("select set_config('role', 'coord_operator', true), set_config('request.jwt.claims', %s, true), "
                     "set_config('coord.vouch', %s, true)", (boss_claims, boss_vouch))],
            # claims of another tenant's operator, this transaction's genuine vouch
            [login, ("select set_config('role', 'coord_operator', true), set_config('request.jwt.claims', %s, true)",
                     (json.dumps(as_bob),))],
            # a role switched by hand after authenticating
            [login, ("select set_config('role', 'coord_operator', true)", ())],
            # claims raised to operator, role switched to match
            [login, ("select set_config('role', 'coord_operator', true), set_config('request.jwt.claims', %s, true)",
                     (json.dumps(elevated),))],
            # a wrong MAC, the vouch of an earlier transaction, a case-changed MAC
            [login, ("select set_config('coord.vouch', %s, true)", ("f" * 64,))],
            [login, ("select set_config('coord.vouch', %s, true)", (alice_vouch,))],
            [login, ("select set_config('coord.vouch', upper(current_setting('coord.vouch')), true)", ())],
            # no token at all, claims set the way PostgREST would after a JWT
            [("select set_config('role', 'coord_operator', true), set_config('request.jwt.claims', %s, true)",
              (boss_claims,))],
        ]
        revoke = f"select * from api.revoke_token('{bob.token_id}')"  # a uuid: no quoting issue
        for attack in attacks:
            for call in ("select * from api.list_principals()", revoke, "select * from api.my_locks()",
                         "select * from api.acquire_lock('forged.py')"):
                state = _refused(conn, attack, call)
                assert state in ("PT401", "42501"), (attack, call, state)
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)
        assert admin.execute("select count(*) from coord.tokens where revoked_at is not null").fetchone() == (0,)


# --- revoked and expired tokens, on every api function ----------------------------------------

@pytest.mark.parametrize("how", ["revoked", "expired", "disabled", "forged"])
def test_dead_tokens_are_refused_by_every_api_function(db: psycopg.Connection, how: str) -> None:
    victim = make_principal(db, f"dead-{how}", role="operator", expires_in="1 hour")
    token = victim.token
    if how == "revoked":
        db.execute("update coord.tokens set revoked_at = now() where id = %s", (victim.token_id,))
    elif how == "expired":
        advance_clock(db, "2 hours")
    elif how == "disabled":
        db.execute("update coord.principals set disabled_at = now() where id = %s", (victim.principal_id,))
    else:
        token = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    client = Client(connection=db, token=token)
    signatures = load_signatures(db)
    refused = []
    for function, signature in sorted(signatures.items()):
        arguments = {n: DEFAULTS.get(t) for n, t in zip(signature.arg_names, signature.arg_types, strict=True)
                     if n in signature.required}
        with pytest.raises(CoordError) as caught:
            client.call(function, arguments)
        refused.append((function, caught.value.code))
    assert {code for _, code in refused} == {"PT401"}, refused
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("select api.login(%s)", (token,))
    assert caught.value.sqlstate == "PT401"


# --- private-schema functions, called directly -------------------------------------------------

def _null_call(schema: str, name: str, kind: str, types: list[str]) -> pgsql.Composed:
    args = pgsql.SQL(", ").join(pgsql.SQL("null::{}").format(pgsql.SQL(t)) for t in types)
    verb = pgsql.SQL("call") if kind == "p" else pgsql.SQL("select")
    return pgsql.SQL("{} {}({})").format(verb, pgsql.Identifier(schema, name), args)


@pytest.mark.parametrize("role", REQUEST_ROLES)
def test_private_functions_cannot_be_called_by_request_roles(db: psycopg.Connection, role: str) -> None:
    functions = db.execute("""select n.nspname, p.proname, p.prokind::text,
                                     array(select format_type(t, null) from unnest(p.proargtypes) t)
                              from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                              where n.nspname = any(%s) and p.prokind in ('f', 'p') order by 1, 2""",
                           (list(PRIVATE_SCHEMAS),)).fetchall()
    assert len(functions) >= 40
    for schema, name, kind, types in functions:
        statement = _null_call(schema, name, kind, types)
        with pytest.raises(psycopg.Error) as caught, db.transaction():
            db.execute(pgsql.SQL("set local role {}").format(pgsql.Identifier(role)))
            db.execute(statement)
        assert caught.value.sqlstate == "42501", (role, statement.as_string(db), caught.value)


def test_private_functions_stay_closed_to_an_authenticated_operator(committed_db: Database) -> None:
    """Even with a verified operator identity, coord.*, authz.* and audit.* are out of reach."""
    with committed_db.connect() as admin:
        boss = make_principal(admin, "boss", role="operator")
    with _authenticator(committed_db) as conn:
        for call in ("select coord.principal()", "select coord.current_trust()", "select coord.current_tenant_id()",
                     "select authz.decide('token.revoke')", "select coord.issue_token(null, null, null, null)",
                     "select coord.sweep(null, 1, true)", "select * from authz.actions"):
            state = _refused(conn, [("select api.login(%s)", (boss.token,))], call)
            assert state == "42501", (call, state)


# --- shadowing through pg_temp and search_path -------------------------------------------------

SHADOW_OPERATORS = ("=", "<>", "<", ">", "<=", ">=", "||", "~", "!~", "->", "->>", "?", "@>", "<@", "&&", "+", "-",
                    "#>>", "?|", "?&")


def _names_used_by_our_functions(db: psycopg.Connection) -> tuple[set[str], set[str]]:
    """Function names called and type names cast to in the bodies of our functions."""
    sources = [r[0] for r in db.execute(
        """select p.prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = any(%s)""", (["api", *PRIVATE_SCHEMAS],)).fetchall()]
    text = "\n".join(sources).lower()
    calls = set(re.findall(r"(?:pg_catalog\.)?\b([a-z_][a-z0-9_]*)\s*\(", text))
    casts = set(re.findall(r"::\s*(?:pg_catalog\.)?([a-z_][a-z0-9_]*)", text))
    return calls, casts


def install_shadows(db: psycopg.Connection, schema: str) -> dict[str, int]:
    """In schema (pg_temp, or one put first on the search_path), a trap for every pg_catalog
    function our functions call (same name and argument types), every comparison, text, json
    and array operator on the types they use, a domain for every type they use, and a table for
    every private table name. A trap raises 'hijacked'; an empty table changes results."""
    calls, casts = _names_used_by_our_functions(db)
    target = pgsql.Identifier(schema)
    counts = {"functions": 0, "operators": 0, "types": 0, "tables": 0}
    functions = db.execute(
        """select p.proname, array(select format_type(t, null) from unnest(p.proargtypes) t),
                  format_type(p.prorettype, null)
           from pg_proc p
           where p.pronamespace = 'pg_catalog'::regnamespace and p.prokind = 'f' and p.proname = any(%s)
             and not p.proretset and p.provariadic = 0
             and not exists (select from unnest(p.proargtypes) t join pg_type y on y.oid = t where y.typtype = 'p')
             and (select y.typtype from pg_type y where y.oid = p.prorettype) <> 'p'""",
        (sorted(calls),)).fetchall()
    for name, types, returns in functions:
        params = pgsql.SQL(", ").join(pgsql.SQL(t) for t in types)
        db.execute(pgsql.SQL("create function {}.{}({}) returns {} language plpgsql as "
                             "$$ begin raise exception 'hijacked by %', current_user; end $$").format(
            target, pgsql.Identifier(name), params, pgsql.SQL(returns)))
        counts["functions"] += 1
    used_types = casts | {"text", "uuid", "bigint", "integer", "jsonb", "boolean", "bytea", "interval",
                          "timestamp with time zone", "smallint", "text[]"}
    operators = db.execute(
        """select o.oprname, format_type(o.oprleft, null), format_type(o.oprright, null), format_type(o.oprresult, null)
           from pg_operator o
           where o.oprnamespace = 'pg_catalog'::regnamespace and o.oprname = any(%s) and o.oprleft <> 0
             and format_type(o.oprleft, null) = any(%s) and format_type(o.oprright, null) = any(%s)
             and (select y.typtype from pg_type y where y.oid = o.oprresult) <> 'p'""",
        (list(SHADOW_OPERATORS), sorted(used_types), sorted(used_types))).fetchall()
    for i, (op, left, right, result) in enumerate(operators):
        function = pgsql.Identifier(f"shadow_op_{i}")
        db.execute(pgsql.SQL("create function {}.{}(a {}, b {}) returns {} language plpgsql as "
                             "$$ begin raise exception 'hijacked by %', current_user; end $$").format(
            target, function, pgsql.SQL(left), pgsql.SQL(right), pgsql.SQL(result)))
        db.execute(pgsql.SQL("create operator {}.{} (leftarg = {}, rightarg = {}, function = {}.{})").format(
            target, pgsql.SQL(op), pgsql.SQL(left), pgsql.SQL(right), target, function))
        counts["operators"] += 1
    types = db.execute("""select t.typname from pg_type t where t.typnamespace = 'pg_catalog'::regnamespace
                          and t.typtype = 'b' and t.typname = any(%s)""",
                       (sorted(casts | {"jsonb", "text", "uuid", "bytea", "timestamptz", "interval", "int8", "int4",
                                        "int2", "bool", "numeric"}),)).fetchall()
    for (name,) in types:
        db.execute(pgsql.SQL("create domain {}.{} as pg_catalog.{} check ({}.shadow_check(value))").format(
            target, pgsql.Identifier(name), pgsql.Identifier(name), target))
        counts["types"] += 1
    for (name,) in db.execute("""select distinct c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                 where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v')""",
                              (list(PRIVATE_SCHEMAS),)).fetchall():
        db.execute(pgsql.SQL("create table {}.{} (tenant_id uuid, id bigint)").format(target, pgsql.Identifier(name)))
        counts["tables"] += 1
    return counts


def _shadow_check(db: psycopg.Connection, schema: str) -> None:
    db.execute(pgsql.SQL("create function {}.shadow_check(v anyelement) returns boolean language plpgsql as "
                         "$$ begin raise exception 'hijacked by %', current_user; end $$").format(
        pgsql.Identifier(schema)))


def _qualified(typ: str) -> str:
    """A type name the caller's own statement resolves in pg_catalog whatever its search_path."""
    base, array = (typ[:-2], "[]") if typ.endswith("[]") else (typ, "")
    return f"pg_catalog.{base}{array}" if re.fullmatch(r"[a-z_][a-z0-9_]*", base) and base not in (
        "bigint", "integer", "smallint", "boolean", "interval") else typ


def _raw_call(db: psycopg.Connection, search_path: str, headers: dict[str, str], signature: Any,
              arguments: dict[str, Any], after_login: str | None = None) -> str:
    """One request the way the client sends it, but with every name in the caller's own
    statements qualified, so the traps can only catch what our functions resolve. The outcome:
    the SQLSTATE and message, or the result codes. ``after_login`` is a statement the client
    runs between pre_request and the call (as the request role)."""
    params = []
    named = []
    types = dict(zip(signature.arg_names, signature.arg_types, strict=True))
    for name, value in arguments.items():
        named.append(pgsql.SQL("{} => %s::{}").format(pgsql.Identifier(name), pgsql.SQL(_qualified(types[name]))))
        params.append(json.dumps(value) if isinstance(value, dict) else value)
    call = pgsql.SQL("select pg_catalog.to_jsonb(r) from {}({}) r").format(
        pgsql.Identifier("api", signature.name), pgsql.SQL(", ").join(named))
    try:
        with db.transaction():
            db.execute("select pg_catalog.set_config('search_path', %s, true), "
                       "pg_catalog.set_config('request.headers', %s, true), "
                       "pg_catalog.set_config('role', 'coord_anon', true)", (search_path, json.dumps(headers)))
            db.execute('select "api"."pre_request"()')
            if after_login is not None:
                db.execute(after_login)
            rows = db.execute(call, params).fetchall()
            db.execute("select pg_catalog.set_config('role', 'none', true), "
                       "pg_catalog.set_config('coord.vouch', '', true), "
                       "pg_catalog.set_config('search_path', 'pg_catalog, public, pg_temp', true)")
        return json.dumps([r[0].get("code") if isinstance(r[0], dict) else "row" for r in rows])
    except psycopg.Error as exc:
        return f"{exc.sqlstate} {exc.diag.message_primary}"


def _outcomes(db: psycopg.Connection, world: World, search_path: str, only: set[str] | None = None,
              after_login: str | None = None) -> dict[str, str]:
    signatures = {k: v for k, v in load_signatures(db).items() if only is None or k in only}
    out = {}
    for persona, principal in (("agent", world.a.agent), ("operator", world.a.operator)):
        headers = {"x-coord-token": principal.token}
        if persona == "agent":
            headers["x-coord-session"] = str(world.a.session_id)
        for function, signature in sorted(signatures.items()):
            make = ARGUMENTS.get(function, TYPED)
            for arguments in (typed_variants(signature, world) if make is TYPED else make(world)):
                with db.transaction(force_rollback=True):
                    out[f"{persona} {function}({json.dumps(arguments, default=str)})"] = _raw_call(
                        db, search_path, headers, signature, arguments, after_login)
    return out


@pytest.mark.parametrize("where", ["pg_temp", "search_path"])
def test_shadowed_functions_operators_types_and_tables_change_nothing(db: psycopg.Connection, where: str) -> None:
    """Every api function, called as tenant A's agent and operator with the matrix's arguments,
    gives exactly the same outcome with traps installed: our functions pin search_path =
    pg_catalog, pg_temp and qualify every name (PostgreSQL never looks up functions or
    operators in pg_temp, and searches it last for types and tables when it is listed last).
    pg_temp needs the TEMPORARY privilege clients do not have; a schema first on the caller's
    search_path is what a psql user could arrange."""
    world = build_world(db)
    db.execute("set local search_path = pg_catalog, public, pg_temp")  # the client left "api"
    path = "pg_temp, api" if where == "pg_temp" else "shadow, pg_catalog, api"
    baseline = _outcomes(db, world, path)
    assert sum("hijacked" in v for v in baseline.values()) == 0
    assert len(baseline) >= 60 and sum(v.startswith("[") for v in baseline.values()) >= 30, baseline
    schema = "pg_temp"
    if where == "search_path":
        schema = "shadow"
        db.execute("create schema shadow")
        db.execute("grant usage on schema shadow to public")
    _shadow_check(db, schema)
    counts = install_shadows(db, schema)
    assert counts["functions"] >= 40 and counts["operators"] >= 30 and counts["types"] >= 8, counts
    assert counts["tables"] >= 10, counts
    shadowed = _outcomes(db, world, path)
    assert {k: v for k, v in shadowed.items() if v != baseline[k]} == {}
    # The traps are live: a function that let its path start with the trap schema is caught.
    db.execute(pgsql.SQL("alter function api.get_task(bigint) set search_path = {}, pg_catalog").format(
        pgsql.Identifier(schema)))
    sabotaged = _outcomes(db, world, path, only={"get_task"})
    assert any("hijacked" in v for v in sabotaged.values()), sabotaged


# --- SQL injection through every text parameter ------------------------------------------------

INJECTIONS = ["'); drop table coord.tasks; --", "x'; delete from coord.locks where true; --", "%", "_", "*", ".*",
              "^.*$", "a|b", "[a-z]+", "\\", "\\y", "$1", "%s", "%I", "' or '1'='1", '"; drop schema api cascade; --',
              "$$; drop table coord.locks; $$", "*.%", "%.example.com", "_.example.com", "(?:)"]
# The sweep over every parameter uses the distinct families (quote breaking, LIKE and regex
# wildcards, backslash, dollar quoting); test_injection_strings_are_data takes all of them.
SWEEP = ["'); drop table coord.tasks; --", "%", "_", "*.%", ".*", "\\", "$$; drop table coord.locks; $$",
         "' or '1'='1"]


def _counts_query(tables: list[str]) -> pgsql.Composed:
    """One statement counting, per table, the rows of tenant %(tenant)s."""
    return pgsql.SQL(" union all ").join(
        pgsql.SQL("select {}::text, count(*) from {} where {} = %(tenant)s").format(
            pgsql.Literal(table), pgsql.Identifier(*table.split(".")),
            pgsql.Identifier("id" if table == "coord.tenants" else "tenant_id"))
        for table in tables)


def _a_counts(db: psycopg.Connection, query: pgsql.Composed, tenant_id: Any) -> dict[str, int]:
    return dict(db.execute(query, {"tenant": tenant_id}).fetchall())  # type: ignore[arg-type]


@pytest.mark.parametrize("persona", ["agent", "operator"])
def test_injection_through_every_text_parameter_changes_nothing_else(db: psycopg.Connection, persona: str) -> None:
    """Each injection string through each text, text[] and jsonb parameter (keys and values) of
    every api function: a registered error or a result; no row of tenant B changes, no row of
    tenant A disappears, and the private tables are all still there."""
    world = build_world(db)
    client = world.client(persona)
    o = world.a.clients["agent"].acquire_lock("keep/a.py")
    assert o.ok
    world.a.clients["operator"].submit_task("build", {"keep": True}, unique_key="keep")
    registered = {r[0] for r in db.execute("select code from coord.error_registry").fetchall()}
    query = snapshot_query(db)
    before_b = snapshot(db, query, world.b.tenant_id)
    tables = [t for t, has_tenant in private_tables(db) if has_tenant or t == "coord.tenants"]
    counts = _counts_query(tables)
    before_a = _a_counts(db, counts, world.a.tenant_id)
    problems, calls = [], 0
    for function, signature in sorted(load_signatures(db).items()):
        if function in ("login",):
            continue  # its one parameter is the credential: tests/test_identity.py and the dead-token test
        base = {**(typed_variants(signature, world)[0] if ARGUMENTS.get(function) is TYPED else {}),
                **{n: DEFAULTS.get(t) for n, t in zip(signature.arg_names, signature.arg_types, strict=True)
                   if n in signature.required}}
        for name, typ in zip(signature.arg_names, signature.arg_types, strict=True):
            if typ not in ("text", "text[]", "jsonb"):
                continue
            for injection in SWEEP:
                value: Any = {"text": injection, "text[]": [injection, "ok"], "jsonb": {injection: injection}}[typ]
                arguments = {**base, name: value}
                calls += 1
                with db.transaction(force_rollback=True):
                    try:
                        client.call(function, arguments)
                        code = None
                    except CoordError as exc:
                        code = exc.code
                    after_b = snapshot(db, query, world.b.tenant_id)
                    after_a = _a_counts(db, counts, world.a.tenant_id)
                where = f"{persona} {function}({json.dumps(arguments)})"
                if code is not None and code not in registered:
                    problems.append(f"{where}: unregistered error {code}")
                if after_b != before_b:
                    problems.append(f"{where}: tenant B changed")
                if lost := [t for t in tables if after_a[t] < before_a[t]]:
                    problems.append(f"{where}: tenant A lost rows of {lost}")
    assert problems == []
    assert calls >= 150


def test_injection_strings_are_data(db: psycopg.Connection) -> None:
    """Targeted: each string is stored verbatim or refused, and wildcards match only themselves."""
    world = build_world(db)
    agent, operator = world.a.clients["agent"], world.a.clients["operator"]
    assert agent.acquire_lock("keep/a.py").ok
    keeper = operator.submit_task("build", {"keep": True}, unique_key="keep-key")
    assert keeper.ok
    operator.add_network_rule("*.example.com", "allow", 10)
    registered = {r[0] for r in db.execute("select code from coord.error_registry").fetchall()}
    for text in INJECTIONS:
        # lock paths: one new row with that very path, or a path error; nothing else touched
        with db.transaction(force_rollback=True):
            try:
                granted = agent.acquire_lock(f"inj/{text}")
                assert granted.code == "granted" and granted.path is not None
                stored = db.execute("select path from coord.locks where tenant_id = %s and fence = %s",
                                    (world.a.tenant_id, granted.fence)).fetchone()
                assert stored == (granted.path,)
                assert text.strip("/").split("/")[-1] in granted.path or text in ("\\", "\\y")
            except CoordError as exc:
                assert exc.code.startswith("CO20"), (text, exc)
            checks = agent.check_locks([f"inj/{text}x", "keep/b.py"] if "\\" not in text else ["keep/b.py"])
            assert not any(c.lock_path == "keep/a.py" for c in checks)
            assert [h.path for h in agent.my_locks()].count("keep/a.py") == 1
        # task kinds: refused (CO401), never a pattern
        with pytest.raises(CoordError) as caught:
            operator.submit_task(text)
        assert caught.value.code == "CO401", text
        with pytest.raises(CoordError) as caught:
            agent.call("claim_task", {"p_kinds": [text]})
        assert caught.value.code == "CO401", text
        assert operator.call("list_tasks", {"p_kind": text}) == []
        # unique keys and payload keys: data, compared as whole strings
        with db.transaction(force_rollback=True):
            first = operator.submit_task("inj", {text: text}, unique_key=text)
            again = operator.submit_task("inj", {text: text}, unique_key=text)
            other = operator.submit_task("inj", {}, unique_key=f"{text}-other")
            assert first.ok and first.code == "submitted", (text, first)
            assert again.task_id == first.task_id and other.task_id != first.task_id, text
            assert operator.call("get_task", {"p_task_id": first.task_id})[0]["payload"] == {text: text}
            assert operator.call("get_task", {"p_task_id": keeper.task_id})[0]["unique_key"] == "keep-key"
        # domains: refused as domains and as rule patterns
        for function, arguments in (("check_network", {"p_domain": text}),
                                    ("add_network_rule", {"p_pattern": text, "p_action": "allow"})):
            with pytest.raises(CoordError) as caught:
                operator.call(function, arguments)
            assert caught.value.code == "CO451", (function, text)
        # filters of reads are compared as whole strings, or refused as malformed
        for function, arguments in (("discover_agents", {"p_capability": text}), ("query_audit", {"p_action": text}),
                                    ("query_audit", {"p_target_id": text})):
            if function == "query_audit" and arguments.get("p_action") == "*":
                continue  # query_audit's documented glob (* only; _ is escaped, % refused)
            try:
                assert operator.call(function, arguments) == [], (function, text)
            except CoordError as exc:
                assert exc.code in registered, (function, text, exc)
    assert agent.check_network("a.example.com").ok and not agent.check_network("example.com.evil.org").ok
    assert operator.call("query_audit", {"p_action": "lock.acquire"}) != []
    assert operator.call("query_audit", {"p_action": "lock_acquire"}) == []  # _ is no LIKE wildcard
    assert db.execute("select count(*) from coord.tasks where id = %s", (keeper.task_id,)).fetchone() == (1,)


# --- operator-only actions, profiles and trust --------------------------------------------------

ACTION_CALL = re.compile(r"authz\.(?:gate|decide|require_read)\(\s*'([a-z_.]+)'")


def operator_only_functions(db: psycopg.Connection) -> dict[str, list[str]]:
    """api functions whose gated actions (authz.gate / require_read calls in their body) all
    exclude the agent role, with those actions."""
    roles = dict(db.execute("select action, roles from authz.actions").fetchall())
    out = {}
    functions = db.execute("""select p.proname, p.prosrc from pg_proc p
                              join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'api'""").fetchall()
    for name, source in functions:
        actions = sorted(set(ACTION_CALL.findall(source)))
        if actions and all(a in roles and "agent" not in roles[a] for a in actions):
            out[name] = actions
    return out


def _agent_attempts(db: psycopg.Connection, world: World, functions: list[str]) -> list[str]:
    """Tenant B's own agent calls each function at B's own objects: a denial or 42501/PT403,
    and no row changes except the audit record of the denial."""
    agent = world.b.clients["agent"]
    signatures = load_signatures(db)
    unknown = {r[0] for r in db.execute("select code from coord.error_registry where name like '%%unknown'")}
    query = snapshot_query(db)
    before = snapshot(db, query, world.b.tenant_id)
    problems = []
    for function in functions:
        make = ARGUMENTS.get(function, TYPED)
        variants = typed_variants(signatures[function], world) if make is TYPED else make(world)
        for arguments in variants:
            with db.transaction(force_rollback=True):
                try:
                    rows = agent.call(function, arguments)
                    outcome = [r.get("code") for r in rows]
                    denied = bool(rows) and all(r.get("ok") is False and r.get("code") == "denied" for r in rows)
                except CoordError as exc:  # (unknown: a variant naming the other tenant's object)
                    outcome, denied = [exc.code], exc.code in ("42501", "PT403") or exc.code in unknown
                after = snapshot(db, query, world.b.tenant_id)
            changed = sorted(t for t in before if before[t] != after[t] and t != "audit.events")
            if not denied or changed:
                problems.append(f"agent {function}({json.dumps(arguments, default=str)}): {outcome}, changed {changed}")
    return problems


def test_agents_are_refused_every_operator_only_action(db: psycopg.Connection) -> None:
    """Everything an agent could use to raise itself (issue tokens, change principals or teams,
    rules, profiles, trust) is an operator action: the agent gets a denial or a permission error
    from every function gated on one, whatever it passes."""
    world = build_world(db)
    functions = operator_only_functions(db)
    assert {"create_agent", "revoke_token", "apply_team", "redrive_task", "maintain"} <= set(functions), functions
    assert _agent_attempts(db, world, sorted(functions)) == []


PROFILE_ADMIN = ("create_profile", "update_profile", "assign_profile", "set_default_profile", "delete_profile")


def _profile_attempts(me: str, own: str, spare: str) -> list[tuple[bool, str, dict[str, Any]]]:
    """Ways an agent could raise itself through profiles: (touches its own profile, function,
    arguments). Those that touch it are refused at every trust level; the others below 4."""
    return [(True, "assign_profile", {"p_agent": me, "p_profile": spare}),
            (True, "assign_profile", {"p_agent": me}),
            (True, "update_profile", {"p_name": own, "p_settings": {"trust_level": 4}}),
            (True, "update_profile", {"p_name": own, "p_settings": {"calls_per_hour": None, "max_locks": None}}),
            (True, "delete_profile", {"p_name": own}),
            (False, "update_profile", {"p_name": spare, "p_settings": {"trust_level": 4}}),
            (False, "create_profile", {"p_name": "selfmade", "p_trust_level": 4}),
            (False, "set_default_profile", {"p_profile": spare})]


@pytest.mark.parametrize("trust", [2, 3, 4])
@pytest.mark.parametrize("acts_under", ["assigned", "default"])
def test_agents_cannot_raise_their_own_trust_through_profiles(db: psycopg.Connection, trust: int,
                                                              acts_under: str) -> None:
    """At any trust level (4 may manage profiles), an agent cannot assign itself a profile,
    change or delete the one it acts under (its own, or the tenant default), or move the
    default it uses: each is a denial, and what my_profile says never changes."""
    signatures = load_signatures(db)
    missing = [f for f in (*PROFILE_ADMIN, "my_profile") if f not in signatures]
    if missing:
        pytest.skip(f"profile functions missing: {missing}")
    operator = Client(connection=db, token=make_principal(db, "op", tenant="climbers", role="operator").token)
    agent = Client(connection=db, token=make_principal(db, "climber", tenant="climbers").token)
    assert operator.call("create_profile", {"p_name": "mine", "p_trust_level": trust})[0]["ok"]
    assert operator.call("create_profile", {"p_name": "spare", "p_trust_level": 4})[0]["ok"]
    if acts_under == "assigned":
        assert operator.call("assign_profile", {"p_agent": "climber", "p_profile": "mine"})[0]["ok"]
    else:
        assert operator.call("set_default_profile", {"p_profile": "mine"})[0]["ok"]
    before = agent.call("my_profile")
    assert (before[0]["name"], before[0]["trust_level"]) == ("mine", trust)
    problems = []
    for touches_own, function, arguments in _profile_attempts("climber", "mine", "spare"):
        must_refuse = touches_own or trust < 4 or (function == "set_default_profile" and acts_under == "default")
        with db.transaction(force_rollback=True):
            try:
                rows = agent.call(function, arguments)
                outcome, refused = rows[0]["code"], rows[0]["ok"] is False and rows[0]["code"] == "denied"
            except CoordError as exc:
                outcome, refused = exc.code, exc.code in ("42501", "PT403")
            after = agent.call("my_profile")
        if (must_refuse and not refused) or after != before:
            problems.append(f"{function}({arguments}) -> {outcome}; profile {before} -> {after}")
    assert problems == []


def test_profile_admin_is_refused_below_trust_4(db: psycopg.Connection) -> None:
    """Agents below trust 4 get a denial from every profile-admin function (the matrix's
    arguments, at their own tenant's objects)."""
    world = build_world(db)
    missing = [f for f in PROFILE_ADMIN if f not in load_signatures(db)]
    if missing:
        pytest.skip(f"profile functions missing: {missing}")
    assert _agent_attempts(db, world, list(PROFILE_ADMIN)) == []


def test_nothing_an_agent_calls_raises_its_trust(db: psycopg.Connection) -> None:
    """A task that needs trust 4 stays out of reach of a default agent after it has called every
    api function with every argument the matrix has (including trust-shaped JSON)."""
    world = build_world(db)
    operator, agent = world.a.clients["operator"], world.a.clients["agent"]
    guarded = operator.submit_task("guarded", {"role": "operator", "trust": 4}, required_trust=4)
    claim = agent.call("claim_task", {"p_kinds": ["guarded"]})
    if claim[0]["ok"]:
        pytest.skip("the tenant's default trust is 4 here; nothing to raise")
    problems, _ = run_matrix(db, world, "agent")
    assert problems == []
    for arguments in ({"p_kinds": ["guarded"]}, {"p_kinds": ["guarded"], "p_lease": "1 minute"}):
        assert agent.call("claim_task", arguments)[0]["ok"] is False
    assert agent.call("get_task", {"p_task_id": guarded.task_id})[0]["state"] == "queued"


def test_a_scoped_operator_cannot_mint_a_broader_token(agent_factory, db: psycopg.Connection) -> None:
    """An operator whose token holds only principals:write used to get an agent token with every
    scope from api.create_agent (its default {*}): a detour to locks, tasks and rules its own
    token lacks. Issued scopes must be held by the issuer (as api.apply_team already required)."""
    _, scoped = agent_factory(role="operator", scopes=["principals:write"])
    minted = scoped.create_agent("wide")
    assert (minted.ok, minted.code, minted.token) == (False, "denied", None), minted
    assert "cannot issue tokens" in (minted.reason or ""), minted
    assert not scoped.create_agent("locks-only", scopes=["locks:write"]).ok
    narrow = scoped.create_agent("narrow", scopes=["principals:write"])
    assert narrow.ok and narrow.scopes == ["principals:write"]
    _, full = agent_factory(role="operator")  # scopes {*}: may issue anything
    assert full.create_agent("wide").ok
    assert db.execute("select count(*) from coord.principals where name in ('wide', 'locks-only')").fetchone() == (1,)
