"""The principal is verified once per api call, and the cache that makes it so cannot be forged.

coord.try_principal verifies the vouch on the first check of a call and keeps the caller in
coord.principal_cache for the rest of it. A client can set that parameter like any custom one;
what keeps a forged value out is that every function a client may execute resets it on entry
(`set coord.principal_cache = ''`). These tests hold the catalog to that, forge the cache with
a key that matches the real vouch (the strongest forgery a client can build) on every api
function, and count the verifications.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql as pgsql

from coordinator.client import Client, load_signatures
from tests.conftest import make_principal
from tests.personas import build_world
from tests.test_escalation import _outcomes, _raw_call
from tests.test_persona_matrix import DEFAULTS

OWNERS = ("coord_owner", "coord_auth")
# Both per-call parameters: the verified caller, and the tenant whose event-writer key this call
# took before its transaction had an id (audit.declare_event_tenant: its events keep that id).
WIPES = ("coord.principal_cache=", "coord.event_tenant=")
PATH = "pg_catalog, public, pg_temp"
# Without a token: api.authenticate and api.pre_request answer "nobody"; api.begin_request
# refuses the text the sweep passes as its headers; my_profile (an agent's own) is not granted
# to the operator role the forger took.
NOT_PT401 = {"authenticate": "[null]", "pre_request": "[null]",
             "begin_request": "CO225 request.headers is not a JSON object",
             "my_profile": "42501 permission denied for function my_profile",  # the search_path the raw calls run with
             # what only a target (the agent role) executes: the forged operator role may not call it at all
             **{f: f"42501 permission denied for function {f}"
                for f in ("claim_action", "renew_action", "complete_action", "fail_action", "device_heartbeat")}}


def test_every_function_a_client_may_execute_resets_the_principal_cache(db: psycopg.Connection) -> None:
    rows = db.execute("""
        select p.oid::regprocedure::text, coalesce(p.proconfig, '{}')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
          and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                          and d.deptype = 'e')
          and exists (select from pg_roles r
                      where not r.rolsuper and r.rolname <> all(%s)
                        and has_function_privilege(r.oid, p.oid, 'execute'))""", (list(OWNERS),)).fetchall()
    assert len(rows) >= 60, "the api should be executable by the request roles"
    missing = [(name, wipe) for name, config in rows for wipe in WIPES if wipe not in config]
    assert missing == [], f"functions a client may execute without resetting a per-call parameter: {missing}"


def _caller_text(db: psycopg.Connection, token_id: Any) -> str:
    """The cache text of a token's principal (its tenant id, '|', its coord.caller text): what a
    forger would put in the cache after the key."""
    row = db.execute("""
        select t.id::text || '|'
               || row(p.id, p.kind::text, p.name, p.role::text, t.id, t.name, k.scopes, null::uuid, k.id,
                      k.expires_at, coalesce(k.repository, 'default'), null::bigint)::coord.caller::text
        from coord.tokens k join coord.principals p on p.id = k.principal_id join coord.tenants t on t.id = p.tenant_id
        where k.id = %s""", (token_id,)).fetchone()
    assert row is not None
    return row[0]


def _forge(cache: str, *, vouch: str | None = None, role: str | None = None, claims: str | None = None) -> str:
    """A statement the client runs after pre_request: the cache under the key try_principal
    would look for (the current vouch and role unless replaced), plus what else it replaces."""
    sets = []
    if role is not None:
        sets.append(pgsql.SQL("set_config('role', {}, true)").format(pgsql.Literal(role)))
    if claims is not None:
        sets.append(pgsql.SQL("set_config('request.jwt.claims', {}, true)").format(pgsql.Literal(claims)))
    if vouch is not None:
        sets.append(pgsql.SQL("set_config('coord.vouch', {}, true)").format(pgsql.Literal(vouch)))
    key = "current_setting('coord.vouch') || '|' || current_setting('role') || '|'"
    sets.append(pgsql.SQL("set_config('coord.principal_cache', " + key + " || {}, true)").format(pgsql.Literal(cache)))
    return pgsql.SQL("select {}").format(pgsql.SQL(", ").join(sets)).as_string(None)


def test_a_forged_cache_changes_no_outcome_of_any_api_function(db: psycopg.Connection) -> None:
    """Tenant A's agent and operator call every api function (the persona matrix's arguments)
    with tenant B's operator forged into the cache under the real vouch: every outcome (result
    codes, row counts, errors) is the same as without the forgery."""
    world = build_world(db)
    victim = _caller_text(db, world.b.operator.token_id)
    honest = _outcomes(db, world, PATH)
    forged = _outcomes(db, world, PATH, after_login=_forge(victim))
    assert len(honest) >= 100
    differing = {k: (honest[k], forged[k]) for k in honest if honest[k] != forged[k]}
    assert differing == {}, differing


def test_a_forged_cache_without_a_token_is_refused(db: psycopg.Connection) -> None:
    """No token at all: the client sets the operator role, claims, a vouch and a cache that
    matches them. Every api function answers exactly as it does for the forged claims alone:
    PT401."""
    world = build_world(db)
    victim = _caller_text(db, world.b.operator.token_id)
    claims = json.dumps({"role": "coord_operator", "sub": str(world.b.operator.principal_id),
                         "tenant": str(world.b.operator.tenant_id)})
    claims_only = _forge("", vouch="forged", role="coord_operator", claims=claims).replace(
        "set_config('coord.principal_cache'", "set_config('coord.ignored'")
    with_cache = _forge(victim, vouch="forged", role="coord_operator", claims=claims)
    outcomes: dict[str, tuple[str, str]] = {}
    for function, signature in sorted(load_signatures(db).items()):
        arguments = {n: DEFAULTS.get(t) for n, t in zip(signature.arg_names, signature.arg_types, strict=True)
                     if n in signature.required}
        outcomes[function] = tuple(_raw_call(db, PATH, {}, signature, arguments, forgery)  # type: ignore[assignment]
                                   for forgery in (claims_only, with_cache))
    assert len(outcomes) >= 60
    assert {k: v for k, v in outcomes.items() if v[0] != v[1]} == {}
    # Refused, every one of them, before any read (the readers that used to be SQL functions
    # joined their check to the table and answered an empty table with no rows, not PT401).
    assert {k: v[1] for k, v in outcomes.items() if not v[1].startswith("PT401")} == NOT_PT401


def test_what_a_call_caches_does_not_outlive_it(db: psycopg.Connection) -> None:
    me = make_principal(db, "cache-leak")
    db.execute("select set_config('coord.principal_cache', 'before', true)")
    Client(connection=db, token=me.token).my_locks()
    assert db.execute("select current_setting('coord.principal_cache')").fetchone() == ("before",)


def _secret_reads(db: psycopg.Connection) -> int:
    row = db.execute("select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_xact_user_tables "
                     "where relid = 'coord.secrets'::regclass").fetchone()
    return 0 if row is None else int(row[0])


def test_the_vouch_is_verified_once_per_call(db: psycopg.Connection) -> None:
    """The key is read twice per call: api.authenticate mints the vouch, the first check verifies
    it; every later check in the call (the
    gate, RLS's current_tenant_id, the audit record) reads the cache. Both compute the MAC inline,
    without entering coord.vouch_mac."""
    me = make_principal(db, "verified-once")
    client = Client(connection=db, token=me.token)
    db.execute("set local track_functions = 'all'")
    reads = _secret_reads(db)
    client.acquire_lock("src/once.py")
    client.my_locks()
    assert _secret_reads(db) - reads == 2 * 2
    counts = dict(db.execute("select funcname, calls from pg_stat_xact_user_functions "
                             "where schemaname = 'coord' and funcname in ('vouch_mac', 'try_principal', "
                             "'current_tenant_id')").fetchall())
    assert counts.get("vouch_mac", 0) == 0, counts
    # several checks per call, all but one from the cache
    assert counts["try_principal"] + counts["current_tenant_id"] > 2 * 3, counts


def test_the_inline_macs_are_coord_vouch_mac(db: psycopg.Connection) -> None:
    """api.authenticate and coord.try_principal compute coord.vouch_mac's MAC inline: the vouch a
    login mints is coord.vouch_mac of its claims, and the first check of a call accepts it."""
    me = make_principal(db, "same-mac")
    with db.transaction(force_rollback=True):
        db.execute("select api.login(%s)", (me.token,))
        claims, vouch = db.execute("select current_setting('request.jwt.claims'), "
                                   "current_setting('coord.vouch')").fetchone()  # type: ignore[misc]
        assert db.execute("select count(*) from api.my_locks()").fetchone() == (0,)  # verified: no PT401
        db.execute("select set_config('role', 'none', true)")
        assert db.execute("select coord.vouch_mac(%s)", (claims,)).fetchone() == (vouch,)


def test_current_tenant_id_reads_only_an_entry_under_the_live_key(db: psycopg.Connection) -> None:
    """coord.current_tenant_id reads the tenant from coord.principal_cache only under the key
    try_principal files it under (this vouch, this role); any other entry sends it to
    try_principal, which finds no vouched caller here. Inside a call the cache is reset on entry;
    this drives the function directly, as the owner RLS runs it for."""
    tenant = "2ebf313c-01cc-49a9-b830-8543d8f8dad5"

    def tenant_with(vouch: str, cache: str) -> Any:
        with db.transaction(force_rollback=True):
            db.execute("set local role coord_owner")
            db.execute("select set_config('coord.vouch', %s, true), set_config('coord.principal_cache', %s, true)",
                       (vouch, cache))
            return db.execute("select coord.current_tenant_id()").fetchone()[0]  # type: ignore[index]

    assert str(tenant_with("v", f"v|coord_owner|{tenant}|(x)")) == tenant  # the live key: read
    assert tenant_with("w", f"v|coord_owner|{tenant}|(x)") is None        # another vouch
    assert tenant_with("v", f"v|coord_agent|{tenant}|(x)") is None        # another role
    assert tenant_with("", f"|coord_owner|{tenant}|(x)") is None          # no vouch


def test_a_lock_call_in_a_session_reads_the_profile_once(db: psycopg.Connection) -> None:
    """acquire_lock in a session needs the caller's profile for the gate and for the session's
    lease floor (max_lock_ttl): it reads it once and hands it to both."""
    me = make_principal(db, "profile-once")
    client = Client(connection=db, token=me.token)
    assert client.start_session().ok

    def profile_reads() -> int:
        row = db.execute("select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_xact_user_tables "
                         "where relid = 'coord.profiles'::regclass").fetchone()
        return 0 if row is None else int(row[0])

    before = profile_reads()
    assert client.acquire_lock("src/profile-once.py").code == "granted"
    assert client.acquire_locks(["src/profile-once/a.py", "src/profile-once/b.py"])[0].code == "granted"
    assert profile_reads() - before == 2
