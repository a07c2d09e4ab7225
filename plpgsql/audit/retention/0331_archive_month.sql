-- The only way audit data leaves the database. Given the manifest coord audit archive wrote
-- (after writing the month's canonical lines to a gzip file), the database:
--   1. refuses months younger than the hot retention (CO481) or without partition (CO484);
--   2. refuses unsealed events (CO482), a tenant chain that does not verify (CO485), and a
--      month that is not the oldest contiguous part of each tenant's chain (CO483);
--   3. recomputes the month's summary (rows, content hash over the same canonical lines,
--      first/last link per tenant) and refuses any difference from the manifest (CO486);
--   4. records, per tenant, an audit.archived event in the chain and an audit.archives row
--      whose last link is where the hot chain now resumes;
--   5. detaches and drops the month's events and links partitions.
-- All in the caller's transaction: any refusal leaves everything in place. Admin path only
-- (the superuser: it reads every tenant and owns the DDL).
create or replace function audit.archive_month(p_manifest jsonb)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_month date;
  v_suffix text;
  v_events_name text;
  v_links_name text;
  v_summary jsonb;
  v_tenant jsonb;
  v_tenant_id uuid;
  v_anchor record;
  v_later bigint;
  v_report jsonb;
  v_event_id bigint;
  v_events jsonb := '[]';
  v_last record;
begin
  begin
    v_month := (p_manifest ->> 'month')::date;
  exception when others then
    v_month := null;
  end;
  if v_month is null or v_month <> date_trunc('month', v_month)::date
     or coalesce(p_manifest ->> 'file_sha256', '') !~ '^[0-9a-f]{64}$'
     or coalesce(p_manifest ->> 'file', '') !~ '^[A-Za-z0-9_.-]{1,200}$' then
    perform coord.fail('CO486', 'the manifest lacks a month (first day), a file name or a file sha256');
  end if;
  v_suffix := to_char(v_month, 'YYYY_MM');
  v_events_name := 'events_' || v_suffix;
  v_links_name := 'chain_links_' || v_suffix;
  if (v_month + interval '1 month') > coord.now() - audit.hot_retention() then
    perform coord.fail('CO481', format('%s ends after %s', to_char(v_month, 'YYYY-MM'),
                                       (coord.now() - audit.hot_retention())::date));
  end if;
  if audit.month_partition('events', v_month) is null or audit.month_partition('chain_links', v_month) is null then
    perform coord.fail('CO484', format('no audit partition for %s', to_char(v_month, 'YYYY-MM')));
  end if;

  v_summary := audit.archive_summary(v_month);
  if (v_summary ->> 'unsealed')::bigint > 0 then
    perform coord.fail('CO482', format('%s unsealed events in %s', v_summary ->> 'unsealed', to_char(v_month, 'YYYY-MM')));
  end if;

  for v_tenant in select * from jsonb_array_elements(v_summary -> 'tenants') loop
    v_tenant_id := (v_tenant ->> 'tenant_id')::uuid;
    v_report := audit.verify_chain(v_tenant_id);
    if not (v_report ->> 'ok')::boolean then
      perform coord.fail('CO485', format('tenant %s: %s at chain_seq %s', v_tenant_id, v_report ->> 'problem',
                                         coalesce(v_report ->> 'chain_seq', '-')));
    end if;
    select * into v_anchor from audit.chain_anchor(v_tenant_id);
    execute format('select count(*) from audit.chain_links as l where l.tenant_id = $1 and l.chain_seq < $2 '
                   'and l.tableoid <> %L::regclass', format('audit.%I', v_links_name))
      into v_later using v_tenant_id, (v_tenant ->> 'last_seq')::bigint;
    if (v_tenant ->> 'first_seq')::bigint <> v_anchor.seq + 1
       or (v_tenant ->> 'last_seq')::bigint - (v_tenant ->> 'first_seq')::bigint + 1 <> (v_tenant ->> 'rows')::bigint
       or v_later > 0 then
      perform coord.fail('CO483', format('tenant %s: links %s..%s of %s after anchor %s, %s links of other months inside',
                                         v_tenant_id, v_tenant ->> 'first_seq', v_tenant ->> 'last_seq',
                                         to_char(v_month, 'YYYY-MM'), v_anchor.seq, v_later));
    end if;
  end loop;

  if v_summary -> 'rows' is distinct from p_manifest -> 'rows'
     or v_summary -> 'content_sha256' is distinct from p_manifest -> 'content_sha256'
     or v_summary -> 'tenants' is distinct from p_manifest -> 'tenants'
     or v_summary -> 'partition' is distinct from p_manifest -> 'partition' then
    perform coord.fail('CO486', format('database: %s rows, content %s; manifest: %s rows, content %s',
                                       v_summary ->> 'rows', v_summary ->> 'content_sha256',
                                       p_manifest ->> 'rows', p_manifest ->> 'content_sha256'));
  end if;

  for v_tenant in select * from jsonb_array_elements(v_summary -> 'tenants') loop
    v_tenant_id := (v_tenant ->> 'tenant_id')::uuid;
    execute format('select l.txid, l.event_id from audit.%I as l where l.tenant_id = $1 and l.chain_seq = $2',
                   v_links_name)
      into v_last using v_tenant_id, (v_tenant ->> 'last_seq')::bigint;
    v_event_id := audit.record('audit.archived', 'archived', 'partition', v_summary ->> 'partition', null,
      jsonb_build_object('month', v_summary ->> 'month', 'file', p_manifest ->> 'file',
                         'file_sha256', p_manifest ->> 'file_sha256', 'content_sha256', v_summary ->> 'content_sha256',
                         'partition_rows', (v_summary ->> 'rows')::bigint) || v_tenant,
      p_severity => 'notice', p_system => true, p_tenant_id => v_tenant_id);
    insert into audit.archives (tenant_id, partition_name, month, archived_at, file_name, file_sha256,
                                content_sha256, partition_rows, tenant_rows, first_seq, first_prev_hash,
                                last_seq, last_hash, last_txid, last_event_id, event_id)
    values (v_tenant_id, v_summary ->> 'partition', v_month, coord.now(), p_manifest ->> 'file',
            p_manifest ->> 'file_sha256', v_summary ->> 'content_sha256', (v_summary ->> 'rows')::bigint,
            (v_tenant ->> 'rows')::bigint, (v_tenant ->> 'first_seq')::bigint,
            decode(v_tenant ->> 'first_prev_hash', 'hex'), (v_tenant ->> 'last_seq')::bigint,
            decode(v_tenant ->> 'last_hash', 'hex'), v_last.txid, v_last.event_id, v_event_id);
    v_events := v_events || jsonb_build_object('tenant_id', v_tenant_id, 'event_id', v_event_id);
  end loop;

  -- Retired: the month's events and their links leave together.
  execute format('alter table audit.events detach partition audit.%I', v_events_name);
  execute format('drop table audit.%I', v_events_name);
  execute format('alter table audit.chain_links detach partition audit.%I', v_links_name);
  execute format('drop table audit.%I', v_links_name);
  return v_summary || jsonb_build_object('archived_events', v_events);
end;
$$;

comment on function audit.archive_month(jsonb) is 'Retention: verifies a month''s export against the database (CO481-CO486), records audit.archived events and audit.archives rows per tenant, then detaches and drops the month''s events and links. The only procedure that removes audit data.';
revoke all on function audit.archive_month(jsonb) from public;
