-- Before a batch of releases is decided path by path (coord.end_or_extend_lease), lock the
-- caller's lease rows on the paths in id order, the order every statement that takes lease
-- rows locks them in, so a release batch and an acquire over the same leases never deadlock.
create or replace function coord.lock_own_leases(p_tenant_id uuid, p_holder_id uuid, p_session_id uuid,
                                                 p_repository text, p_paths text[])
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '2s'  -- as in coord.end_or_extend_lease
as $$
begin
  perform
  from coord.locks as l
  where l.tenant_id = p_tenant_id and l.repository = p_repository and l.path = any (p_paths)
    and l.holder_id = p_holder_id and l.session_id is not distinct from p_session_id
  order by l.id
  for update;
end;
$$;

comment on function coord.lock_own_leases(uuid, uuid, uuid, text, text[]) is 'Locks the holder''s (same principal and session) lease rows on p_paths in p_repository in id order, before a batch of releases.';
revoke all on function coord.lock_own_leases(uuid, uuid, uuid, text, text[]) from public;
