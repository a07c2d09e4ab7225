"""The hot paths (acquire, release, submit, claim, complete) do their work once: the profile is read
once per call, no SQL-language helper with a SET clause (planned on every call) runs on them, the
api's own lease writes queue no audit trigger event, and coord.locks carries no index or foreign
key that another one already provides. Counted with track_functions in the test's transaction."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from tests.conftest import make_principal


def _calls(db: psycopg.Connection) -> dict[str, int]:
    rows = db.execute("select schemaname || '.' || funcname, calls from pg_stat_xact_user_functions").fetchall()
    return {name: int(calls) for name, calls in rows}


def _counted(db: psycopg.Connection, call: Callable[[], object]) -> dict[str, int]:
    """Function calls (PL/pgSQL and SQL, not inlined) made by call()."""
    before = _calls(db)
    call()
    after = _calls(db)
    return {name: n - before.get(name, 0) for name, n in after.items() if n - before.get(name, 0) > 0}


@pytest.fixture
def counting(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("set local track_functions = 'all'")
    return db


def _hot_calls(db: psycopg.Connection, agent_factory, *, with_leases: bool,
               expires_in: str | None = None) -> dict[str, dict[str, int]]:
    _, alice = agent_factory(expires_in=expires_in)
    out: dict[str, dict[str, int]] = {}
    granted = None

    def acquire() -> None:
        nonlocal granted
        granted = alice.acquire_lock("src/pkg/app.py", ttl="1 minute")
        assert granted.ok, granted

    out["acquire_lock"] = _counted(db, acquire)
    out["release_lock"] = _counted(db, lambda: alice.release_lock("src/pkg/app.py", granted.fence))
    locks = ["src/pkg/task.py"] if with_leases else []
    out["submit_task"] = _counted(db, lambda: alice.submit_task("build", payload={}, locks=locks))
    claimed = None

    def claim() -> None:
        nonlocal claimed
        claimed = alice.claim_task(["build"], lease="5 minutes")
        assert claimed.code == "claimed", claimed

    out["claim_task"] = _counted(db, claim)
    out["complete_task"] = _counted(db, lambda: alice.complete_task(claimed.task_id, claimed.claim))
    return out


@pytest.mark.parametrize("with_leases", [False, True], ids=["plain", "declared_leases"])
def test_each_hot_path_call_reads_the_profile_once(counting: psycopg.Connection, agent_factory,
                                                   with_leases: bool) -> None:
    for call, counts in _hot_calls(counting, agent_factory, with_leases=with_leases).items():
        assert counts.get("coord.effective_profile") == 1, (call, counts)


# One query each over a table: PostgreSQL 18 keeps such a SQL function's plan across calls, and
# there it costs 7 us against 8-9 us as PL/pgSQL (measured in a loop of 20,000 calls).
PLAN_CACHED_SQL = {"coord.task_channel", "coord.fleet_channel"}


def test_no_sql_helper_with_a_set_clause_runs_on_a_hot_path(counting: psycopg.Connection, agent_factory) -> None:
    # Every function pins search_path, so a SQL-language function is never inlined, and one whose
    # body is an expression is planned on every call (coord.path_ancestors: 50 us, 8 us as
    # PL/pgSQL). Hot paths call PL/pgSQL helpers, which keep their plans per session.
    per_call = _hot_calls(counting, agent_factory, with_leases=True)
    sql_functions = {row[0] for row in counting.execute(
        "select n.nspname || '.' || p.proname from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace "
        "join pg_language as l on l.oid = p.prolang where l.lanname = 'sql' and p.proconfig is not null")}
    found = {call: sorted(set(counts) & sql_functions - PLAN_CACHED_SQL) for call, counts in per_call.items()}
    assert found == {call: [] for call in per_call}


def test_an_unwatched_tenant_pays_no_fleet_trigger_call(counting: psycopg.Connection, agent_factory) -> None:
    # The fleet triggers' WHEN takes the watch lock shared; while nobody watches it succeeds and
    # no event is queued: no trigger call, no channel lookup, no transition table.
    per_call = _hot_calls(counting, agent_factory, with_leases=True)
    fired = {call: {name: n for name, n in counts.items() if name in ("coord.tg_fleet__changed", "coord.fleet_channel")}
             for call, counts in per_call.items()}
    assert fired == {call: {} for call in per_call}


def test_the_api_writes_no_lock_trigger_event_and_a_direct_write_still_audits(
        counting: psycopg.Connection, agent_factory) -> None:
    per_call = _hot_calls(counting, agent_factory, with_leases=True)
    fired = {call: counts.get("coord.tg_locks__audit_direct_change", 0) for call, counts in per_call.items()}
    assert fired == {call: 0 for call in per_call}

    agent = make_principal(counting)
    counting.execute("insert into coord.locks (tenant_id, path, mode, holder_id, fence, acquired_at, expires_at) "
                     "values (%s, 'by/hand.py', 'exclusive', %s, nextval('coord.lock_fence_seq'), now(), "
                     "now() + interval '1 minute')", (agent.tenant_id, agent.principal_id))
    row = counting.execute("select count(*) from audit.events where action = 'lock.direct_change' "
                           "and target_id = 'by/hand.py'").fetchone()
    assert row is not None and row[0] == 1


def test_lease_lookups_bound_lock_waits_by_a_set_clause(db: psycopg.Connection) -> None:
    # A SET clause restores the caller's lock_timeout on every exit, error or not, for the price
    # of one assignment (set_config twice and current_setting cost three function calls).
    rows = db.execute("select p.proname, p.proconfig from pg_proc as p where p.pronamespace = 'coord'::regnamespace "
                      "and p.proname in ('try_acquire_lock', 'end_or_extend_lease')").fetchall()
    assert {name: "lock_timeout=2s" in (config or []) for name, config in rows} == {
        "try_acquire_lock": True, "end_or_extend_lease": True}
    db.execute("set local lock_timeout = '7s'")
    agent = make_principal(db)
    db.execute("select coord.try_acquire_lock(%s, %s, null, 'default', 'a.py', 'exclusive', interval '1 minute', "
               "null, now())", (agent.tenant_id, agent.principal_id))
    row = db.execute("show lock_timeout").fetchone()
    assert row is not None and row[0] == "7s"


def test_the_claim_keeps_its_plans_across_calls(db: psycopg.Connection, agent_factory) -> None:
    # Left to the plan cache, the claim's candidate read, its UPDATE and the live-claims count got
    # custom plans on every call once coord.tasks had statistics (planning 0.65 ms a claim, for
    # the same index scans): the functions pin generic plans, whatever the session's setting,
    # and restore the session's on return.
    rows = db.execute("select p.proname, p.proconfig from pg_proc as p where p.pronamespace = 'coord'::regnamespace "
                      "and p.proname in ('claim_tasks_as', 'count_live_claims')").fetchall()
    assert {name: "plan_cache_mode=force_generic_plan" in (config or []) for name, config in rows} == {
        "claim_tasks_as": True, "count_live_claims": True}
    db.execute("set local plan_cache_mode = force_custom_plan")
    _, alice = agent_factory()
    assert alice.submit_task("build", payload={}).ok
    assert alice.claim_task(["build"], lease="5 minutes").code == "claimed"
    row = db.execute("show plan_cache_mode").fetchone()
    assert row is not None and row[0] == "force_custom_plan"


def test_no_index_of_the_lease_and_audit_tables_is_a_prefix_of_another(db: psycopg.Connection) -> None:
    # An index whose columns lead another index of the same table (same predicate) serves no
    # lookup the longer one does not, and every insert pays for both.
    rows = db.execute("""
        select a.indexrelid::regclass::text, b.indexrelid::regclass::text
        from pg_index as a
        join pg_index as b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
        where a.indrelid in ('coord.locks'::regclass, 'audit.events'::regclass, 'coord.tasks'::regclass)
          and not a.indisunique
          and a.indnkeyatts <= b.indnkeyatts
          and (a.indkey::int2[])[0:a.indnkeyatts - 1] = (b.indkey::int2[])[0:a.indnkeyatts - 1]
          and pg_get_expr(a.indpred, a.indrelid) is not distinct from pg_get_expr(b.indpred, b.indrelid)
          and a.indexprs is null and b.indexprs is null""").fetchall()
    assert rows == []


def test_no_foreign_key_to_tenants_that_another_key_implies(db: psycopg.Connection) -> None:
    # A row that names a principal (or an alert rule) by (tenant_id, x), x never null, cannot
    # outlive its tenant, which cascades to what it names: a key of its own to coord.tenants adds
    # only a KEY SHARE lock on the tenant's row, shared by all its agents, to every insert.
    rows = db.execute("""
        select t.conrelid::regclass::text, t.conname, o.conname
        from pg_constraint as t
        join pg_constraint as o on o.conrelid = t.conrelid and o.contype = 'f' and o.conname <> t.conname
        where t.contype = 'f' and t.confrelid = 'coord.tenants'::regclass
          and o.conkey[1] = t.conkey[1] and cardinality(o.conkey) = 2 and o.confdeltype = 'c'
          and (select a.attnotnull from pg_attribute as a where a.attrelid = o.conrelid and a.attnum = o.conkey[2])
          and exists (select from pg_constraint as r where r.conrelid = o.confrelid and r.contype = 'f'
                        and r.confrelid = 'coord.tenants'::regclass and r.confdeltype = 'c')""").fetchall()
    assert rows == []


def test_deleting_a_tenant_still_removes_its_leases_tasks_and_tokens(db: psycopg.Connection) -> None:
    agent = make_principal(db, tenant="gone")
    db.execute("select coord.try_acquire_lock(%s, %s, null, 'default', 'a.py', 'exclusive', interval '1 minute', "
               "null, now())", (agent.tenant_id, agent.principal_id))
    db.execute("insert into coord.tasks (tenant_id, kind, submitted_by, submitted_at, run_after) "
               "values (%s, 'build', %s, now(), now())", (agent.tenant_id, agent.principal_id))
    db.execute("set local coord.sweeping = 'on'")
    db.execute("delete from coord.tenants where id = %s", (agent.tenant_id,))
    row = db.execute("select (select count(*) from coord.locks where tenant_id = %(t)s), "
                     "(select count(*) from coord.tasks where tenant_id = %(t)s), "
                     "(select count(*) from coord.tokens where tenant_id = %(t)s)", {"t": agent.tenant_id}).fetchone()
    assert row == (0, 0, 0)


@pytest.mark.parametrize(("expires_in", "clock_reads"), [(None, 1), ("1 hour", 2)], ids=["no_expiry", "expiring"])
def test_lock_calls_verify_the_caller_once_and_read_the_clock_once(counting: psycopg.Connection, agent_factory,
                                                                   expires_in: str | None, clock_reads: int) -> None:
    # The api function hands the caller it verified and the clock it read to the gate, the
    # policy decision and the audit event, which would each verify and read them again.
    # coord.now: once for the call, and once more for the token's expiry when it has one
    # (authentication reads no clock for a token without expiry). coord.principal, which only
    # adds the PT401 to try_principal, runs only when there is no caller.
    per_call = _hot_calls(counting, agent_factory, with_leases=False, expires_in=expires_in)
    for call in ("acquire_lock", "release_lock"):
        counts = per_call[call]
        assert (counts.get("coord.try_principal"), counts.get("coord.principal", 0), counts.get("coord.now"),
                counts.get("coord.clock_now", 0)) == (1, 0, clock_reads, 0), (call, counts)


def test_task_events_take_the_instant_of_their_transition(counting: psycopg.Connection, agent_factory) -> None:
    # The task triggers hand audit.record the coord.now() they stamped on the row (state_changed_at)
    # instead of having it read the clock again, and the announcement's run_after test the same
    # stamp. What is left: submit_task and the transition trigger; the claim's and the
    # completion's statement and their transition trigger.
    per_call = _hot_calls(counting, agent_factory, with_leases=False)
    reads = [per_call[call].get("coord.now", 0) for call in ("submit_task", "claim_task", "complete_task")]
    assert reads == [2, 2, 3], per_call


def test_completing_a_plain_task_runs_no_statement_for_leases_or_dependents(
        counting: psycopg.Connection, agent_factory) -> None:
    # An index probe each decides; the lease statement runs in coord.drop_task_leases.
    per_call = _hot_calls(counting, agent_factory, with_leases=False)
    assert "coord.drop_task_leases" not in per_call["complete_task"]
    with_leases = _hot_calls(counting, agent_factory, with_leases=True)
    assert with_leases["complete_task"].get("coord.drop_task_leases") == 1


def test_row_level_security_reads_the_tenant_from_the_verified_cache(counting: psycopg.Connection,
                                                                      agent_factory) -> None:
    # RLS runs coord.current_tenant_id once per statement, a dozen times per call. Once the
    # call's first check verified the caller, it reads the tenant from the cache under the same
    # key try_principal checks, without calling it (and parsing the whole caller) again.
    for call, counts in _hot_calls(counting, agent_factory, with_leases=True).items():
        assert counts.get("coord.current_tenant_id", 0) > counts.get("coord.try_principal", 0), (call, counts)


def test_canonical_paths_take_the_short_way_to_the_same_answer(db: psycopg.Connection) -> None:
    # Every string of up to four characters over an alphabet of separators, dots, brackets,
    # drive letters, spaces, a control character and a decomposed accent: where the path is
    # accepted, './' before it (which always takes the long way) normalizes to the same path.
    alphabet = ["a", "/", ".", "\\", " ", "[", "{", ":", "C", "e", "\u0301", "\u00e9", "\x01"]
    paths: set[str] = set()
    level = [""]
    for _ in range(4):
        level = [p + c for p in level for c in alphabet]
        paths.update(level)
    assert len(paths) > 30_000
    # coord.normalize_path(p), or null where it refuses the path
    db.execute("""
        create function pg_temp.normalized(p text) returns text language plpgsql as $$
        begin
          return coord.normalize_path(p);
        exception when others then
          return null;
        end $$""")
    differ = db.execute("""
        select coalesce(jsonb_agg(jsonb_build_array(p, short, long)), '[]')
        from unnest(%s::text[]) as p,
             lateral (select pg_temp.normalized(p) as short, pg_temp.normalized('./' || p) as long) as n
        where short is not null and short is distinct from long""", (sorted(paths),)).fetchone()
    assert differ is not None
    assert differ[0] == [], "canonical paths answered differently"
