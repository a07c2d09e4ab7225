-- coord:owner coord_auth
-- Every audit event of the tenant after position (txid, id), typed or not, under the same
-- visibility rule as coord.event_stream: what coord audit tail --follow reads.
create or replace function coord.audit_stream(p_tenant_id uuid, p_after_txid xid8, p_after_id bigint, p_limit integer)
returns setof audit.events
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select e.* from audit.events as e
  where e.tenant_id = p_tenant_id
    and e.txid < (select coord.event_horizon(p_tenant_id))
    and (e.txid, e.id) > (p_after_txid, p_after_id)
  order by e.txid, e.id
  limit p_limit;
$$;

comment on function coord.audit_stream(uuid, xid8, bigint, integer) is 'The tenant''s audit events after position (txid, id), oldest first, only from below the tenant''s visibility horizon (the event stream''s rule, for every action).';
revoke all on function coord.audit_stream(uuid, xid8, bigint, integer) from public;
grant execute on function coord.audit_stream(uuid, xid8, bigint, integer) to coord_owner;
