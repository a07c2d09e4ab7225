-- The canonical lines of one archived month: one JSON object per event with its link,
-- ordered by tenant and chain position. What coord audit archive writes (gzip, one line each)
-- and what the database hashes to verify the export: content_sha256 = sha256 of the
-- concatenated sha256 of every line, in this order. Unsealed events come last, without link.
create or replace function audit.archive_lines(p_month date)
returns table (tenant_id uuid, chain_seq bigint, line text)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_events_name text := 'events_' || to_char(p_month, 'YYYY_MM');
  v_links_name text := 'chain_links_' || to_char(p_month, 'YYYY_MM');
begin
  if audit.month_partition('events', p_month) is null or audit.month_partition('chain_links', p_month) is null then
    perform coord.fail('CO484', format('no audit partition for %s', to_char(p_month, 'YYYY-MM')));
  end if;
  return query execute format($q$
    select e.tenant_id, l.chain_seq,
           jsonb_build_object('tenant_id', e.tenant_id, 'chain_seq', l.chain_seq,
                              'prev_hash', encode(l.prev_hash, 'hex'), 'hash', encode(l.hash, 'hex'),
                              'event', audit.canonical_event(row(e.*)::audit.events))::text
    from audit.%I as e
    left join audit.%I as l on l.event_id = e.id and l.occurred_at = e.occurred_at and l.tenant_id = e.tenant_id
    order by e.tenant_id, l.chain_seq nulls last, e.id $q$, v_events_name, v_links_name);
end;
$$;

comment on function audit.archive_lines(date) is 'Canonical archive lines of one month (all tenants, by tenant and chain_seq): {tenant_id, chain_seq, prev_hash, hash, event}.';
revoke all on function audit.archive_lines(date) from public;
