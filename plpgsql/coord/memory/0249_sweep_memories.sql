-- Retention of memories, run by coord maintain (api.maintain): expired memories (every working
-- memory, and any remembered with a ttl) and memories of a tier with a retention that nobody
-- remembered again within it are deleted, at most p_limit of each, skipping rows in use. One
-- audit event counts what a sweep removed.
create or replace function coord.sweep_memories(p_tenant_id uuid, p_limit integer)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_expired integer;
  v_retired integer;
begin
  with gone as (
    delete from coord.memories as m
    where m.id in (select x.id from coord.memories as x
                   where x.tenant_id = p_tenant_id and x.expires_at <= v_now
                   limit p_limit for update skip locked)
    returning 1
  )
  select count(*) into v_expired from gone;

  with gone as (
    delete from coord.memories as m
    -- Per tier, so that each tier's cutoff is a range of memories_tier_seen_idx: as a join, the
    -- planner read every memory of the tenant and compared after (2 s at a million memories with
    -- none to delete; docs/benchmarks.md, "The expiry sweep at a million memories").
    where m.id in (select l.id
                   from coord.memory_tiers as t
                   cross join lateral (select x.id from coord.memories as x
                                       where x.tenant_id = p_tenant_id and x.tier = t.tier
                                         and x.last_seen_at <= v_now - t.retention
                                       limit p_limit for update of x skip locked) as l
                   where t.retention is not null
                   limit p_limit)
    returning 1
  )
  select count(*) into v_retired from gone;

  if v_expired + v_retired > 0 then
    perform audit.record('memory.expire', 'expired', 'tenant', p_tenant_id::text, 'memories past their ttl or retention',
      jsonb_build_object('memories_expired', v_expired, 'memories_retired', v_retired),
      p_system => true, p_tenant_id => p_tenant_id);
  end if;
  return jsonb_build_object('memories_expired', v_expired, 'memories_retired', v_retired);
end;
$$;

comment on function coord.sweep_memories(uuid, integer) is 'Deletes up to p_limit expired memories and up to p_limit memories past their tier''s retention (coord.memory_tiers) in tenant p_tenant_id, skipping rows in use, audits the counts (memory.expire) and returns them.';
revoke all on function coord.sweep_memories(uuid, integer) from public;
