-- Walk a tenant's chain from its anchor and report the first bad link:
--   link_missing        a position is absent (a link was deleted)
--   prev_hash_mismatch  a link does not point at the hash of the link before it
--   event_missing       the event a link seals is gone (an event was deleted)
--   order_violation     links are not in (txid, id) order, or a link's txid is not its event's
--   hash_mismatch       the event or the stored hash changed since sealing
--   event_unlinked      an event sits before the sealed head but has no link (inserted behind it)
-- plus counts of sealed links and unsealed events. Does not seal (see audit.seal).
create or replace function audit.verify_chain(p_tenant_id uuid)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_anchor record;
  v_expect_seq bigint;
  v_prev bytea;
  v_txid xid8;
  v_event_id bigint;
  v_row record;
  v_hash bytea;
  v_problem text;
  v_bad_seq bigint;
  v_bad_event bigint;
  v_expected text;
  v_found text;
  v_sealed bigint := 0;
  v_unsealed bigint;
  v_stray record;
begin
  select * into v_anchor from audit.chain_anchor(p_tenant_id);
  v_expect_seq := v_anchor.seq + 1;
  v_prev := v_anchor.hash;
  v_txid := v_anchor.txid;
  v_event_id := v_anchor.event_id;

  for v_row in
    select l.chain_seq, l.event_id, l.txid, l.prev_hash, l.hash, e.id as found_id, e.txid as event_txid,
           case when e.id is not null then audit.canonical_event(e) end as canonical
    from audit.chain_links as l
    left join audit.events as e
      on e.occurred_at = l.occurred_at and e.id = l.event_id and e.tenant_id = l.tenant_id
    where l.tenant_id = p_tenant_id
    order by l.chain_seq
  loop
    v_sealed := v_sealed + 1;
    if v_row.chain_seq <> v_expect_seq then
      v_problem := 'link_missing';
      v_expected := v_expect_seq::text;
      v_found := v_row.chain_seq::text;
    elsif v_row.prev_hash <> v_prev then
      v_problem := 'prev_hash_mismatch';
      v_expected := encode(v_prev, 'hex');
      v_found := encode(v_row.prev_hash, 'hex');
    elsif v_row.found_id is null then
      v_problem := 'event_missing';
      v_expected := format('event %s', v_row.event_id);
      v_found := 'nothing';
    elsif (v_row.txid, v_row.event_id) <= (v_txid, v_event_id) or v_row.event_txid <> v_row.txid then
      v_problem := 'order_violation';
      v_expected := format('after (txid %s, id %s), txid %s', v_txid, v_event_id, v_row.event_txid);
      v_found := format('(txid %s, id %s)', v_row.txid, v_row.event_id);
    else
      v_hash := audit.link_hash(v_row.prev_hash, v_row.chain_seq, v_row.canonical);
      if v_hash <> v_row.hash then
        v_problem := 'hash_mismatch';
        v_expected := encode(v_hash, 'hex');
        v_found := encode(v_row.hash, 'hex');
      end if;
    end if;
    if v_problem is not null then
      v_bad_seq := v_row.chain_seq;
      v_bad_event := v_row.event_id;
      exit;
    end if;
    v_expect_seq := v_row.chain_seq + 1;
    v_prev := v_row.hash;
    v_txid := v_row.txid;
    v_event_id := v_row.event_id;
  end loop;

  if v_problem is not null then
    select count(*) into v_sealed from audit.chain_links as l where l.tenant_id = p_tenant_id;
  end if;

  -- Unsealed events; one ordered before the sealed head was slipped in behind the sealer.
  select count(*) into v_unsealed
  from audit.events as e
  where e.tenant_id = p_tenant_id
    and not exists (select from audit.chain_links as l
                    where l.event_id = e.id and l.occurred_at = e.occurred_at and l.tenant_id = e.tenant_id);
  if v_problem is null and v_unsealed > 0 then
    select e.id, e.txid into v_stray
    from audit.events as e
    where e.tenant_id = p_tenant_id
      and (e.txid, e.id) < (v_txid, v_event_id)
      and not exists (select from audit.chain_links as l
                      where l.event_id = e.id and l.occurred_at = e.occurred_at and l.tenant_id = e.tenant_id)
    order by e.txid, e.id
    limit 1;
    if found then
      v_problem := 'event_unlinked';
      v_bad_event := v_stray.id;
      v_expected := format('a link for event %s (txid %s) before the head', v_stray.id, v_stray.txid);
      v_found := 'no link';
    end if;
  end if;

  return jsonb_build_object(
    'ok', v_problem is null,
    'problem', v_problem,
    'chain_seq', v_bad_seq,
    'event_id', v_bad_event,
    'expected', v_expected,
    'found', v_found,
    'sealed', v_sealed,
    'unsealed', v_unsealed,
    'anchor_seq', v_anchor.seq,
    'head_seq', case when v_problem is null then v_expect_seq - 1 end,
    'head_hash', case when v_problem is null then encode(v_prev, 'hex') end);
end;
$$;

comment on function audit.verify_chain(uuid) is 'Verifies a tenant''s chain from its anchor: ok, or the first bad link (problem, chain_seq, event_id, expected vs found); counts sealed links and unsealed events; the head when intact.';
revoke all on function audit.verify_chain(uuid) from public;
