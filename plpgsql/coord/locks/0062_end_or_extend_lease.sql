-- Shared tail of release and renew: find the caller's lease (same principal and session) on
-- the path in the repository by fence and either apply p_new_expiry (renew), delete it (release), or explain
-- why it is gone. lock_timeout as in coord.try_acquire_lock.
create or replace function coord.end_or_extend_lease(
  p_tenant_id uuid,
  p_holder_id uuid,
  p_session_id uuid,
  p_repository text,
  p_path text,
  p_fence bigint,
  p_now timestamptz,
  p_new_expiry timestamptz
)
returns api.lock_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '2s'
as $$
declare
  v_lease record;
  v_found boolean;
  v_mode text;
  v_fence bigint;
begin
  -- Most calls find their live plain lease: then finding it and ending (or extending) it are one
  -- statement. A lease that is gone, expired, the task's or of another fence is left to the
  -- full lookup below, which explains why (a concurrent change is re-checked by the statement
  -- itself, as by the lookup's FOR UPDATE).
  if p_new_expiry is null then
    delete from coord.locks as l
    where l.tenant_id = p_tenant_id and l.repository = p_repository and l.path = p_path and l.holder_id = p_holder_id
      and l.session_id is not distinct from p_session_id and l.fence = p_fence
      and l.expires_at > p_now and l.task_id is null
    returning l.mode::text, l.fence into v_mode, v_fence;
    if found then
      return coord.lock_result('released', p_path, p_repository => p_repository, p_mode => v_mode, p_fence => v_fence);
    end if;
  else
    -- Never stamped before the acquisition (a caller's clock may have been read before it).
    update coord.locks as l set expires_at = p_new_expiry, renewed_at = greatest(p_now, l.acquired_at)
    where l.tenant_id = p_tenant_id and l.repository = p_repository and l.path = p_path and l.holder_id = p_holder_id
      and l.session_id is not distinct from p_session_id and l.fence = p_fence
      and l.expires_at > p_now and l.task_id is null
    returning l.mode::text, l.fence into v_mode, v_fence;
    if found then
      return coord.lock_result('renewed', p_path, p_repository => p_repository, p_mode => v_mode, p_fence => v_fence,
        p_expires_at => p_new_expiry);
    end if;
  end if;

  select l.id, l.mode, l.fence, l.expires_at, l.task_id
  into v_lease
  from coord.locks as l
  where l.tenant_id = p_tenant_id and l.repository = p_repository and l.path = p_path and l.holder_id = p_holder_id
    and l.session_id is not distinct from p_session_id and l.fence = p_fence
  for update;
  v_found := found;  -- PERFORM below would overwrite FOUND

  if not v_found then
    return coord.classify_lost_lease(p_tenant_id, p_repository, p_path, p_fence);
  end if;

  if v_lease.expires_at <= p_now then
    delete from coord.locks where id = v_lease.id;
    return coord.lock_result('expired', p_path, p_repository => p_repository,
      p_reason => format('the lease expired at %s; it no longer protects anything', v_lease.expires_at),
      p_mode => v_lease.mode::text,
      p_details => jsonb_build_object('presented_fence', p_fence, 'expired_at', v_lease.expires_at));
  end if;

  if v_lease.task_id is not null then
    return coord.lock_result('held_by_task', p_path, p_repository => p_repository,
      p_reason => format('the lease belongs to task %s: it ends with the task, and renew_task extends it', v_lease.task_id),
      p_mode => v_lease.mode::text, p_fence => v_lease.fence,
      p_details => jsonb_build_object('task_id', v_lease.task_id));
  end if;

  if p_new_expiry is null then
    delete from coord.locks where id = v_lease.id;
    return coord.lock_result('released', p_path, p_repository => p_repository,
      p_mode => v_lease.mode::text, p_fence => v_lease.fence);
  end if;

  -- Never stamped before the acquisition (a caller's clock may have been read before it).
  update coord.locks set expires_at = p_new_expiry, renewed_at = greatest(p_now, acquired_at) where id = v_lease.id;
  return coord.lock_result('renewed', p_path, p_repository => p_repository,
    p_mode => v_lease.mode::text, p_fence => v_lease.fence, p_expires_at => p_new_expiry);
end;
$$;

comment on function coord.end_or_extend_lease(uuid, uuid, uuid, text, text, bigint, timestamptz, timestamptz) is 'Release (p_new_expiry null) or renew the caller''s live lease with this exact fence; expired, stale_fence, not_held, or held_by_task (a claimed task''s lease ends with the task) otherwise.';
revoke all on function coord.end_or_extend_lease(uuid, uuid, uuid, text, text, bigint, timestamptz, timestamptz) from public;
