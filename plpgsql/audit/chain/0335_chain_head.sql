-- A tenant's chain head: its newest sealed link (or, with no hot link, the anchor: the last
-- archived link or the genesis at chain_seq 0), with a printable form an operator keeps outside
-- the database: coord-audit-head:1:<tenant id>:<chain_seq>:<hash hex>. A chain only proves
-- itself; a later chain must still hold this link (audit.verify_head), which is what finds the
-- newest links deleted, or the chain rewritten, by a superuser.
--
-- Printed, not signed: a signature made with a key the database holds proves nothing against a
-- superuser who can read that key. What makes the head evidence is the copy kept elsewhere.
create or replace function audit.chain_head(p_tenant_id uuid)
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.jsonb_build_object(
    'tenant_id', p_tenant_id,
    'chain_seq', h.seq,
    'hash', pg_catalog.encode(h.hash, 'hex'),
    'event_id', h.event_id,
    'occurred_at', h.occurred_at,
    'sealed_at', h.sealed_at,
    'head', pg_catalog.format('coord-audit-head:1:%s:%s:%s', p_tenant_id, h.seq, pg_catalog.encode(h.hash, 'hex')))
  from (
    select coalesce(l.chain_seq, a.seq) as seq, coalesce(l.hash, a.hash) as hash,
           coalesce(l.event_id, nullif(a.event_id, 0)) as event_id, l.occurred_at, l.sealed_at
    from audit.chain_anchor(p_tenant_id) as a
    left join lateral (
      select x.chain_seq, x.hash, x.event_id, x.occurred_at, x.sealed_at
      from audit.chain_links as x
      where x.tenant_id = p_tenant_id
      order by x.chain_seq desc
      limit 1
    ) as l on true
  ) as h
$$;

comment on function audit.chain_head(uuid) is 'A tenant''s newest sealed link (or its anchor): chain_seq, hash, event, times, and the printable head coord-audit-head:1:<tenant>:<seq>:<hash> to keep outside the database.';
revoke all on function audit.chain_head(uuid) from public;
