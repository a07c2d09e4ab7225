-- One attempt to grant a lease. A lease covers its node and everything below it, with or
-- without a trailing '/' (coord.covering_paths): two leases overlap when one's node is the
-- other's or encloses it. Serializes with every overlapping attempt (advisory locks:
-- shared on ancestor directories, exclusive on the path's own node), then decides from the
-- committed state: expired leases and the leases of dead sessions are removed, the holder's
-- own leases (same principal, same session) never conflict, except that a lease held for a
-- claimed task belongs to that task alone; anything else overlapping conflicts unless both
-- are shared. p_task_id marks a lease taken by claiming a task (an own plain lease on the
-- path is adopted by the task and ends with it). Leases overlap only within one repository.
-- lock_timeout bounds how long an overlapping request that has not committed can hold us up
-- (55P03); a SET clause, so the caller's value is back on return whatever happens.
create or replace function coord.try_acquire_lock(
  p_tenant_id uuid,
  p_holder_id uuid,
  p_session_id uuid,
  p_repository text,
  p_path text,
  p_mode coord.lock_mode,
  p_ttl interval,
  p_reason text,
  p_now timestamptz,
  p_task_id bigint default null
)
returns api.lock_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '2s'
as $$
declare
  v_parts text[] := pg_catalog.string_to_array(pg_catalog.rtrim(p_path, '/'), '/');
  v_depth integer := pg_catalog.cardinality(v_parts);
  v_node text;
  v_covering text[] := '{}';
  v_row record;
  v_own_id bigint;
  v_own_mode coord.lock_mode;
  v_own_fence bigint;
  v_conflicts jsonb := '[]';
  v_top jsonb;
  v_fence bigint;
  v_expires_at timestamptz := p_now + p_ttl;
  v_void text;  -- the advisory locks are assigned, not PERFORMed: expressions, not queries through the executor
begin
  -- Callers pass coord.normalize_path's result: the root, or an empty path, has no node and
  -- would take no advisory lock at all.
  if v_depth is null or v_depth = 0 then
    perform coord.fail('CO501', format('coord.try_acquire_lock needs a normalized path, not %s', pg_catalog.quote_literal(p_path)));
  end if;
  -- Ancestors shallow to deep, then the node: one global order, so attempts cannot deadlock.
  -- One loop walks the nodes from the top: it takes the advisory locks (the key is
  -- coord.lock_key's expression: coord.serialize_lease_batch takes the same ones through it) and
  -- collects coord.covering_paths (each node with and without its '/'), without the three
  -- helpers' calls.
  for i in 1 .. v_depth loop
    v_node := case when i = 1 then v_parts[1] else v_node || '/' || v_parts[i] end;
    v_covering := v_covering || array[v_node, v_node || '/'];
    if i < v_depth then
      v_void := pg_catalog.pg_advisory_xact_lock_shared(
        pg_catalog.hashtextextended(p_tenant_id::text || '/' || p_repository || ':' || v_node, 0));
    end if;
  end loop;
  v_void := pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended(p_tenant_id::text || '/' || p_repository || ':' || v_node, 0));

  -- Most attempts find no lease on, above or below the path: then the check and the grant are
  -- one statement. Under the advisory locks no overlapping lease can be inserted meanwhile; a
  -- lease this statement sees, live or not, or one changed but not yet committed (a release, a
  -- heartbeat), sends the attempt to the full decision below, which locks and weighs each one.
  insert into coord.locks (tenant_id, repository, path, mode, holder_id, session_id, task_id, fence, reason, acquired_at, expires_at)
  select p_tenant_id, p_repository, p_path, p_mode, p_holder_id, p_session_id, p_task_id,
         pg_catalog.nextval('coord.lock_fence_seq'), p_reason, p_now, v_expires_at
  where not exists (
    select from coord.locks as l
    where l.tenant_id = p_tenant_id and l.repository = p_repository
      and (l.path = any (v_covering) or (l.path >= v_node || '/' and l.path < v_node || '0')))
  returning fence into v_fence;
  if found then
    return coord.lock_result('granted', p_path, p_repository => p_repository, p_mode => p_mode::text,
      p_fence => v_fence, p_expires_at => v_expires_at);
  end if;

  -- Index probes (tenant_id, repository, path): the node itself and its ancestors in both spellings, and
  -- the range of everything below the node (a file has nothing below it on disk, so covering
  -- that range costs nothing and refuses the other reading of the same name).
  for v_row in
    select l.id, l.path, l.mode, l.holder_id, l.session_id, l.task_id, l.fence, l.expires_at
    from coord.locks as l
    where l.tenant_id = p_tenant_id and l.repository = p_repository
      and (l.path = any (v_covering) or (l.path >= v_node || '/' and l.path < v_node || '0'))
    order by l.id
    for update
  loop
    if v_row.expires_at <= p_now then
      delete from coord.locks where id = v_row.id;
      perform audit.record('lock.expire', 'expired', 'path', v_row.path, 'lease ended without release',
        jsonb_build_object('holder_id', v_row.holder_id, 'mode', v_row.mode, 'fence', v_row.fence, 'repository', p_repository,
                           'expired_at', v_row.expires_at),
        p_system => true);
    elsif v_row.holder_id = p_holder_id and v_row.session_id is not distinct from p_session_id
          and (v_row.task_id is null or v_row.task_id = p_task_id) then
      if v_row.path = p_path then
        v_own_id := v_row.id;
        v_own_mode := v_row.mode;
        v_own_fence := v_row.fence;
      end if;
    elsif (p_mode = 'exclusive' or v_row.mode = 'exclusive')
          and not (v_row.session_id is not null and coord.reap_dead_session(p_tenant_id, v_row.session_id, p_now)) then
      v_conflicts := v_conflicts || jsonb_build_object(
        'holder_id', v_row.holder_id, 'path', v_row.path, 'mode', v_row.mode, 'expires_at', v_row.expires_at);
    end if;
  end loop;

  if jsonb_array_length(v_conflicts) > 0 then
    -- Name the holders only on this (rare) path; the lease expiring last is the one in the way.
    select jsonb_agg(c || jsonb_build_object('holder_name', p.name) order by (c ->> 'expires_at')::timestamptz desc)
    into v_conflicts
    from jsonb_array_elements(v_conflicts) as c
    join coord.principals as p on p.tenant_id = p_tenant_id and p.id = (c ->> 'holder_id')::uuid;
    v_top := v_conflicts -> 0;
    return coord.lock_result('busy', p_path, p_repository => p_repository,
      p_reason => format('%s holds %s (%s) until %s', v_top ->> 'holder_name', v_top ->> 'path',
                         v_top ->> 'mode', v_top ->> 'expires_at'),
      p_mode => p_mode::text, p_holder => v_top,
      p_details => jsonb_build_object('conflicts', v_conflicts));
  end if;

  if v_own_id is not null and v_own_mode = p_mode then
    update coord.locks
    set expires_at = v_expires_at, renewed_at = greatest(p_now, acquired_at), reason = coalesce(p_reason, reason),
        task_id = coalesce(p_task_id, task_id)
    where id = v_own_id;
    return coord.lock_result('renewed', p_path, p_repository => p_repository, p_mode => p_mode::text,
      p_fence => v_own_fence, p_expires_at => v_expires_at);
  end if;

  v_fence := nextval('coord.lock_fence_seq');
  if v_own_id is not null then
    update coord.locks
    set mode = p_mode, fence = v_fence, reason = p_reason,
        acquired_at = p_now, renewed_at = null, expires_at = v_expires_at, task_id = coalesce(p_task_id, task_id)
    where id = v_own_id;
    return coord.lock_result('granted', p_path, p_repository => p_repository,
      p_reason => format('mode changed from %s', v_own_mode), p_mode => p_mode::text,
      p_fence => v_fence, p_expires_at => v_expires_at,
      p_details => jsonb_build_object('previous_mode', v_own_mode, 'previous_fence', v_own_fence));
  end if;

  insert into coord.locks (tenant_id, repository, path, mode, holder_id, session_id, task_id, fence, reason, acquired_at, expires_at)
  values (p_tenant_id, p_repository, p_path, p_mode, p_holder_id, p_session_id, p_task_id, v_fence, p_reason, p_now, v_expires_at);
  return coord.lock_result('granted', p_path, p_repository => p_repository, p_mode => p_mode::text,
    p_fence => v_fence, p_expires_at => v_expires_at);
end;
$$;

comment on function coord.try_acquire_lock(uuid, uuid, uuid, text, text, coord.lock_mode, interval, text, timestamptz, bigint) is 'One serialized attempt to grant, renew or change the mode of a lease at p_now; returns busy with the conflicts otherwise.';
revoke all on function coord.try_acquire_lock(uuid, uuid, uuid, text, text, coord.lock_mode, interval, text, timestamptz, bigint) from public;
