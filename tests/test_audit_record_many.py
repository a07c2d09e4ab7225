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
    row('granted', 'src/a.py', null, '{"fence": 1}', v_allow),
    row('busy', null, 'held by bob', null, v_deny),
    row('released', 'src/c.py', null, '{}', null),
    row('batch_refused', 'src/d.py', 'nothing was taken', '{"refused": [{"code": "busy"}]}', v_bare)
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
