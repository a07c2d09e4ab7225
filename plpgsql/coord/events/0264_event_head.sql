-- coord:owner coord_auth
-- Where the tenant's stream stands: the last position a reader may be handed now (any event,
-- typed or not: a follower that starts from it gets what comes after), and how many committed
-- events are held back because an older transaction is still running (a follower then reads
-- again soon rather than wait for a notification: the transaction holding them back may write
-- no event, and its end announces nothing).
create or replace function coord.event_head(p_tenant_id uuid)
returns table (txid xid8, id bigint, held bigint)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  with horizon as materialized (select coord.event_horizon(p_tenant_id) as xmin)
  select coalesce(l.txid, '0'::xid8), coalesce(l.id, 0),
         (select count(*) from audit.events as e, horizon as h where e.tenant_id = p_tenant_id and e.txid >= h.xmin)
  from horizon as h
  left join lateral (
    select e.txid, e.id from audit.events as e
    where e.tenant_id = p_tenant_id and e.txid < h.xmin
    order by e.txid desc, e.id desc
    limit 1) as l on true;
$$;

comment on function coord.event_head(uuid) is 'The tenant''s last stream position below the visibility horizon (0 when none) and the number of committed events held back behind a running transaction.';
revoke all on function coord.event_head(uuid) from public;
grant execute on function coord.event_head(uuid) to coord_owner;
