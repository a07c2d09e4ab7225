"""audit.record_many, the batch calls' audit writer: one statement writes the rows audit.record
writes for each element, in order (actor, tenant, decision, engine and rule, details with the
authz note, request context, stream position), and wakes followers as audit.record does."""

from __future__ import annotations

import psycopg

# Written from inside an api function, as the batch calls write them: a caller verified by
# coord.principal(), the function owned by coord_owner (row security applies). The same events go
# through audit.record one by one and through audit.record_many once; the test compares the two.
BOTH = """
create function api.test_audit_both(p_caller_given boolean)
returns table (one_by_one bigint[], together bigint[])
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_given coord.caller := case when p_caller_given then v_me end;
  v_allow authz.decision := row(true, 'allow', 'native', 'profile.allowed', 'may')::authz.decision;
  v_deny authz.decision := row(false, 'deny', 'native', 'trust.too_low', 'may not')::authz.decision;
  v_bare authz.decision := row(true, null, 'cedar', 'r1', null)::authz.decision;
  v_events audit.pending_event[] := array[
    row('granted', 'src/a.py', null, '{"fence": 1}', v_allow, null, null, null, null, null),
    row('busy', null, 'held by bob', null, v_deny, null, null, null, null, null),
    row('released', 'src/c.py', null, '{}', null, null, null, null, null, null),
    row('batch_refused', 'src/d.py', 'nothing was taken', '{"refused": [{"code": "busy"}]}', v_bare,
        null, null, null, null, null)
  ]::audit.pending_event[];
  v_first bigint := (select coalesce(max(e.id), 0) from audit.events as e);
  v_middle bigint;
begin
  for i in 1 .. 4 loop
    perform audit.record('lock.acquire', v_events[i].decision, 'path', v_events[i].target_id, v_events[i].reason,
                         v_events[i].details, v_events[i].authz, 'notice', p_caller => v_given);
  end loop;
  v_middle := (select max(e.id) from audit.events as e);
  perform audit.record_many('lock.acquire', 'path', v_events, 'notice', p_caller => v_given);
  -- An empty batch writes nothing.
  perform audit.record_many('lock.acquire', 'path', '{}', p_caller => v_given);
  one_by_one := array(select e.id from audit.events as e where e.id > v_first and e.id <= v_middle order by e.id);
  together := array(select e.id from audit.events as e where e.id > v_middle order by e.id);
  return next;
end;
$$;
alter function api.test_audit_both(boolean) owner to coord_owner;
grant execute on function api.test_audit_both(boolean) to coord_agent;
"""

COLUMNS = ("tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id, decision, "
           "engine, rule, reason, severity, details, request, txid, chain_seq, prev_hash, hash")


def test_record_many_writes_the_rows_record_writes_in_order(db: psycopg.Connection, agent_factory) -> None:
    db.execute(BOTH)
    _, alice = agent_factory("alice")
    for caller_given in (True, False):
        [row] = alice.call("test_audit_both", {"p_caller_given": caller_given})
        one_by_one, together = row["one_by_one"], row["together"]
        assert len(one_by_one) == len(together) == 4
        assert together == sorted(together) and min(together) > max(one_by_one)

        def rows(ids: list[int]) -> list[tuple]:
            return db.execute(f"select {COLUMNS} from audit.events where id = any(%s) order by id", (ids,)).fetchall()

        assert rows(together) == rows(one_by_one)
        written = rows(together)
        assert [r[7] for r in written] == ["src/a.py", None, "src/c.py", "src/d.py"]  # in order
        assert written[0][13] == {"fence": 1, "authz": {"decision": "allow", "reason": "may"}}
        assert written[2][9] is None and written[2][13] == {}  # no decision: none noted in this statement
        assert written[3][9:11] == ("cedar", "r1") and "authz" not in written[3][13]
        assert {r[4] for r in written} == {"alice"} and {r[2] for r in written} == {"agent"}


# Events with fields of their own (as the task statement triggers write them): an action,
# severity, system flag, tenant and time per event take the place of the call's.
OWN_FIELDS = """
create function api.test_audit_own_fields()
returns table (one_by_one bigint[], together bigint[])
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_at timestamptz := '2026-01-02 03:04:05+00';
  v_events audit.pending_event[] := array[
    row('claimed', '1', null, '{"kind": "k"}', null, 'task.claimed', null, null, null, v_at),
    row('queued', '2', 'lease lost', '{}', null, 'task.expired', 'warning', true, v_me.tenant_id, null),
    row('failed', '3', 'boom', null, null, 'task.failed', 'warning', false, null, v_at)
  ]::audit.pending_event[];
  v_first bigint := (select coalesce(max(e.id), 0) from audit.events as e);
  v_middle bigint;
begin
  for i in 1 .. 3 loop
    perform audit.record(v_events[i].action, v_events[i].decision, 'task', v_events[i].target_id, v_events[i].reason,
                         v_events[i].details, p_severity => coalesce(v_events[i].severity, 'info'),
                         p_system => coalesce(v_events[i].system, false), p_tenant_id => v_events[i].tenant_id,
                         p_occurred_at => v_events[i].occurred_at);
  end loop;
  v_middle := (select max(e.id) from audit.events as e);
  perform audit.record_many(null, 'task', v_events);
  one_by_one := array(select e.id from audit.events as e where e.id > v_first and e.id <= v_middle order by e.id);
  together := array(select e.id from audit.events as e where e.id > v_middle order by e.id);
  return next;
end;
$$;
alter function api.test_audit_own_fields() owner to coord_owner;
grant execute on function api.test_audit_own_fields() to coord_agent;
"""


def test_record_many_takes_each_events_own_fields(db: psycopg.Connection, agent_factory) -> None:
    db.execute(OWN_FIELDS)
    _, alice = agent_factory("alice")
    [row] = alice.call("test_audit_own_fields", {})
    one_by_one, together = row["one_by_one"], row["together"]
    assert len(one_by_one) == len(together) == 3

    def rows(ids: list[int]) -> list[tuple]:
        return db.execute(f"select {COLUMNS} from audit.events where id = any(%s) order by id", (ids,)).fetchall()

    assert rows(together) == rows(one_by_one)
    written = rows(together)
    assert [r[5] for r in written] == ["task.claimed", "task.expired", "task.failed"]
    assert [r[12] for r in written] == ["info", "warning", "warning"]
    assert [r[2] for r in written] == ["agent", "system", "agent"]
    assert "on_behalf_of" in written[1][13] and "on_behalf_of" not in written[0][13]
    assert written[0][1] == written[2][1] != written[1][1]  # own time where given, else the clock's
