-- Release several leases at once, all or none: what release_lock does for each (path, fence),
-- one policy decision per lease, in one transaction. When any lease is refused (expired,
-- stale_fence, not_held, held_by_task, denied) nothing is released; every row is audited.
create or replace function api.release_locks(p_paths text[], p_fences bigint[])
returns setof api.lock_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_count integer := coalesce(pg_catalog.cardinality(p_paths), 0);
  v_paths text[];
  v_profile coord.profiles;  -- read once: every decision shares it
  v_decision authz.decision;
  v_decisions authz.decision[] := '{}';
  v_results api.lock_result[] := '{}';
  v_event integer := 0;  -- the events of the batch, audited together at the end
  v_events audit.pending_event[] := '{}';
  v_stop boolean := false;
  v_now timestamptz;
  v_attempts integer := 0;
  v_gone_paths text[];
  v_gone_modes text[];
  v_gone_fences bigint[];
  v_gone integer;
begin
  perform coord.check_list(p_paths, 'paths');
  perform coord.check_list(p_fences, 'fences');
  if v_count not between 1 and 100 or coalesce(pg_catalog.cardinality(p_fences), 0) <> v_count then
    perform coord.fail('CO218', format('%s paths and %s fences', v_count, coalesce(pg_catalog.cardinality(p_fences), 0)));
  end if;
  v_paths := array(select coord.normalize_path(p) from unnest(p_paths) with ordinality as u (p, o) order by o);
  if (select count(distinct p) from unnest(v_paths) as p) < v_count then
    perform coord.fail('CO218', format('a path appears twice: %s', (
      select p from unnest(v_paths) as p group by p having count(*) > 1 limit 1)));
  end if;
  for i in 1 .. v_count loop
    perform coord.check_fence(p_fences[i]);
  end loop;
  perform coord.require_read_committed();

  v_profile := coord.effective_profile(v_me);
  -- One decision per lease, as release_lock takes it; the first is the call's.
  for i in 1 .. v_count loop
    v_decision := authz.gate('lock.release', 'path', v_paths[i], jsonb_build_object('fence', p_fences[i]),
      jsonb_build_object('fence', p_fences[i], 'batch', v_count),
      p_within => case when i > 1 then 'lock.release' end, p_profile => v_profile, p_caller => v_me);
    if not v_decision.allowed then
      v_results[i] := coord.lock_result(p_path => v_paths[i], p_refusal => v_decision, p_repository => v_me.repository);
      v_stop := true;
    else
      v_results[i] := null;
    end if;
    v_decisions[i] := v_decision;
  end loop;

  if not v_stop then
    loop
      v_attempts := v_attempts + 1;
      begin
        perform coord.lock_own_leases(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_paths);
        v_now := coord.clock_now();
        -- The live plain leases presented with their fences end in one statement (their rows are
        -- locked above, in id order); coord.end_or_extend_lease explains each of the others.
        with gone as (
          delete from coord.locks as l
          using rows from (pg_catalog.unnest(v_paths), pg_catalog.unnest(p_fences)) as u (path, fence)
          where l.tenant_id = v_me.tenant_id and l.repository = v_me.repository and l.path = u.path and l.fence = u.fence
            and l.holder_id = v_me.principal_id and l.session_id is not distinct from v_me.session_id
            and l.expires_at > v_now and l.task_id is null
          returning l.path, l.mode::text as mode, l.fence)
        select coalesce(array_agg(g.path), '{}'), coalesce(array_agg(g.mode), '{}'), coalesce(array_agg(g.fence), '{}')
        into v_gone_paths, v_gone_modes, v_gone_fences
        from gone as g;
        for i in 1 .. v_count loop
          v_gone := pg_catalog.array_position(v_gone_paths, v_paths[i]);
          if v_gone is not null then
            v_results[i] := coord.lock_result('released', v_paths[i], p_repository => v_me.repository,
              p_mode => v_gone_modes[v_gone], p_fence => v_gone_fences[v_gone]);
          else
            v_results[i] := coord.end_or_extend_lease(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository,
                                                      v_paths[i], p_fences[i], v_now, null);
          end if;
        end loop;
        if exists (select from unnest(v_results) as r where not r.ok) then
          raise exception using errcode = 'CO900';  -- keep every lease
        end if;
        exit;
      exception
      when sqlstate 'CO900' then
        exit;
      when deadlock_detected then
        if v_attempts >= 3 then
          raise;
        end if;
      end;
    end loop;
  end if;

  -- A row left null was never tried: another path's refusal (of the gate, e.g. the call's
  -- calls_per_hour, which only the first decision counts) stopped the batch first.
  v_results := coord.refuse_lock_batch(v_results, v_paths, v_me.repository,
                                       array(select r.mode from unnest(v_results) as r), p_fences, 'released');
  for i in 1 .. v_count loop
    if v_decisions[i].allowed then  -- a refusal of the gate is audited by the gate
      v_event := v_event + 1;
      v_events[v_event] := row(v_results[i].code, v_paths[i], v_results[i].reason,
        jsonb_strip_nulls(jsonb_build_object('repository', v_me.repository, 'fence', p_fences[i],
                                             'mode', v_results[i].mode, 'batch', v_count))
          || v_results[i].details,
        v_decisions[i], null, null, null, null, null)::audit.pending_event;  -- the call's action, severity, tenant, time
    end if;
    return next v_results[i];
  end loop;
  -- One statement for the batch's events, the rows audit.record would write one by one.
  perform audit.record_many('lock.release', 'path', v_events, p_caller => v_me);
end;
$$;

comment on function api.release_locks(text[], bigint[]) is
'Releases your leases on p_paths (1-100 distinct paths, in your repository), each with the fence at the same position of p_fences, all or none, in one transaction: one row per lease, in the order given. When every lease is released all rows are ok (code released). When any is refused (expired, stale_fence, not_held, held_by_task, denied), nothing is released: those rows say why, the others are batch_refused (details.refused lists the refused paths and codes). One policy decision per lease; every lease is audited as lock.release. Use it to hand back the leases of finished work in one round trip; release_lock for one. Errors: CO218 count, fences not matching paths, or a path named twice, CO241 not a flat list, CO201-CO206 bad path, CO213, CO216 fence.';
revoke all on function api.release_locks(text[], bigint[]) from public;
grant execute on function api.release_locks(text[], bigint[]) to coord_agent, coord_operator;
