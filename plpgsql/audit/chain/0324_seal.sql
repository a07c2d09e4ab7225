-- The sealer: appends links for a tenant's events whose writing transactions have all
-- finished, in (txid, id) order. Every transaction still running, and every future one, has a
-- txid >= the xmin of a fresh snapshot, so no event can later appear before a sealed link:
-- the chain never forks and never skips. Events are written unsealed by audit.record, so
-- audited calls never wait for each other; sealers of one tenant serialize on an advisory
-- lock (p_wait false: return 0 at once when another sealer is busy with the tenant).
create or replace function audit.seal(p_tenant_id uuid, p_wait boolean default false, p_limit integer default 100000)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_xmin xid8;
  v_seq bigint;
  v_prev bytea;
  v_txid xid8;
  v_event_id bigint;
  v_event audit.events;
  v_seqs bigint[] := '{}';
  v_ids bigint[] := '{}';
  v_times timestamptz[] := '{}';
  v_txids xid8[] := '{}';
  v_prevs bytea[] := '{}';
  v_hashes bytea[] := '{}';
  v_hash bytea;
begin
  -- An older snapshot would not see the links a sealer committed just before us.
  perform coord.require_read_committed();
  if p_wait then
    perform pg_catalog.pg_advisory_xact_lock(1131376499, pg_catalog.hashtext(p_tenant_id::text));
  elsif not pg_catalog.pg_try_advisory_xact_lock(1131376499, pg_catalog.hashtext(p_tenant_id::text)) then
    return 0;
  end if;
  -- Taken after the lock, so the previous sealer's links are visible.
  v_xmin := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());

  select l.chain_seq, l.hash, l.txid, l.event_id into v_seq, v_prev, v_txid, v_event_id
  from audit.chain_links as l
  where l.tenant_id = p_tenant_id
  order by l.chain_seq desc
  limit 1;
  if not found then
    select a.seq, a.hash, a.txid, a.event_id into v_seq, v_prev, v_txid, v_event_id
    from audit.chain_anchor(p_tenant_id) as a;
  end if;

  for v_event in
    select e.* from audit.events as e
    where e.tenant_id = p_tenant_id
      and e.txid < v_xmin
      and (e.txid, e.id) > (v_txid, v_event_id)
    order by e.txid, e.id
    limit p_limit
  loop
    v_seq := v_seq + 1;
    v_hash := audit.link_hash(v_prev, v_seq, audit.canonical_event(v_event));
    v_seqs := v_seqs || v_seq;
    v_ids := v_ids || v_event.id;
    v_times := v_times || v_event.occurred_at;
    v_txids := v_txids || v_event.txid;
    v_prevs := v_prevs || v_prev;
    v_hashes := v_hashes || v_hash;
    v_prev := v_hash;
  end loop;

  insert into audit.chain_links (tenant_id, chain_seq, event_id, occurred_at, txid, prev_hash, hash)
  select p_tenant_id, s, i, t, x, p, h
  from unnest(v_seqs, v_ids, v_times, v_txids, v_prevs, v_hashes) as u (s, i, t, x, p, h);
  return pg_catalog.cardinality(v_seqs);
end;
$$;

comment on function audit.seal(uuid, boolean, integer) is 'Links the tenant''s finished, unsealed events (txid below the snapshot xmin) into its hash chain in (txid, id) order; returns how many. p_wait false returns 0 when another sealer holds the tenant.';
revoke all on function audit.seal(uuid, boolean, integer) from public;
