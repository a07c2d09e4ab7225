-- Why a release or renew by fence found no live lease of the caller: the caller's lease has
-- a newer fence (stale_fence), someone was granted this path since (stale_fence), or the
-- caller holds nothing matching (not_held).
create or replace function coord.classify_lost_lease(p_tenant_id uuid, p_repository text, p_path text, p_fence bigint)
returns api.lock_result
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when newest.fence is not null then
      coord.lock_result('stale_fence', p_path, p_repository => p_repository,
        p_reason => format('fence %s is stale: the path was granted again with fence %s', p_fence, newest.fence),
        p_details => jsonb_build_object('presented_fence', p_fence))
    else
      coord.lock_result('not_held', p_path, p_repository => p_repository,
        p_reason => format('no lease on %s with fence %s is held by you', p_path, p_fence),
        p_details => jsonb_build_object('presented_fence', p_fence))
  end
  from (
    select max(l.fence) as fence
    from coord.locks as l
    where l.tenant_id = p_tenant_id and l.repository = p_repository and l.path = p_path and l.fence > p_fence
  ) as newest;
$$;

comment on function coord.classify_lost_lease(uuid, text, text, bigint) is 'Result for a release/renew whose fence matches no live lease of the caller: stale_fence when a newer grant exists on the path in the repository, else not_held.';
revoke all on function coord.classify_lost_lease(uuid, text, text, bigint) from public;
