-- coord:owner coord_auth
-- The stream position of an event id of the tenant: its (txid, id). 0 is the start. An id that
-- is not the tenant's (or is archived) is an error rather than a silent restart.
create or replace function coord.event_position(p_tenant_id uuid, p_id bigint)
returns table (txid xid8, id bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_id is null or p_id = 0 then
    return query select '0'::xid8, 0::bigint;
    return;
  end if;
  return query select e.txid, e.id from audit.events as e where e.tenant_id = p_tenant_id and e.id = p_id;
  if not found then
    perform coord.fail('CO651', format('event %s', p_id));
  end if;
end;
$$;

comment on function coord.event_position(uuid, bigint) is 'Stream position (txid, id) of the tenant''s event p_id (0 or null: the start); CO651 when the tenant has no such event.';
revoke all on function coord.event_position(uuid, bigint) from public;
grant execute on function coord.event_position(uuid, bigint) to coord_owner;
