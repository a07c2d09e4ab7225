-- Where a tenant's hot chain starts: after the last link of its newest archive, or at the
-- genesis when nothing was archived. seq is the last archived position (0 at genesis).
create or replace function audit.chain_anchor(
  p_tenant_id uuid,
  out seq bigint,
  out hash bytea,
  out txid xid8,
  out event_id bigint
)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(a.last_seq, 0), coalesce(a.last_hash, audit.genesis_hash(p_tenant_id)),
         coalesce(a.last_txid, '0'::xid8), coalesce(a.last_event_id, 0)
  from (select 1) as one
  left join lateral (
    select x.last_seq, x.last_hash, x.last_txid, x.last_event_id
    from audit.archives as x
    where x.tenant_id = p_tenant_id and x.last_seq is not null
    order by x.last_seq desc
    limit 1
  ) as a on true
$$;

comment on function audit.chain_anchor(uuid) is 'Start of a tenant''s hot chain: the last archived link (audit.archives) or the genesis (seq 0, audit.genesis_hash).';
revoke all on function audit.chain_anchor(uuid) from public;
