-- Brings an archived month back for auditors (coord audit restore). The caller has copied the
-- archive's lines, in file order, into pg_temp.coord_restore_lines (n, line). The database
-- accepts them only when they are the export it recorded: the manifest's hashes match an
-- audit.archives record (CO487), the lines hash to that content_sha256, and every link
-- recomputes from the tenant's recorded first prev_hash to its recorded last hash. The rows go
-- to audit.restored_events (read-only), and each tenant's chain records audit.restored.
create or replace function audit.restore_archive(p_manifest jsonb)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_partition text := p_manifest ->> 'partition';
  v_archive record;
  v_content text;
  v_rows bigint;
  v_line record;
  v_data jsonb;
  v_tenant uuid;
  v_prev bytea;
  v_seq bigint;
  v_hash bytea;
  v_tenants jsonb := '[]';
  v_now timestamptz := coord.now();
begin
  if not exists (select from audit.archives as a
                 where a.partition_name = v_partition
                   and a.content_sha256 = p_manifest ->> 'content_sha256'
                   and a.file_sha256 = p_manifest ->> 'file_sha256') then
    perform coord.fail('CO487', format('no recorded archive of %s with these hashes', coalesce(v_partition, '(none)')));
  end if;
  if exists (select from audit.restored_events as r where r.partition_name = v_partition) then
    perform coord.fail('CO488', format('%s is already restored', v_partition));
  end if;

  select encode(sha256(string_agg(sha256(convert_to(l.line, 'UTF8')), ''::bytea order by l.n)), 'hex'), count(*)
  into v_content, v_rows
  from pg_temp.coord_restore_lines as l;
  if v_content is distinct from p_manifest ->> 'content_sha256'
     or v_rows is distinct from (select max(a.partition_rows) from audit.archives as a where a.partition_name = v_partition) then
    perform coord.fail('CO487', format('the lines hash to %s (%s rows), the archive recorded %s',
                                       v_content, v_rows, p_manifest ->> 'content_sha256'));
  end if;

  for v_line in select l.n, l.line from pg_temp.coord_restore_lines as l order by l.n loop
    v_data := v_line.line::jsonb;
    if v_tenant is distinct from (v_data ->> 'tenant_id')::uuid then
      if v_tenant is not null then
        if v_hash is distinct from v_archive.last_hash or v_seq is distinct from v_archive.last_seq then
          perform coord.fail('CO487', format('tenant %s ends at link %s, the archive recorded %s', v_tenant, v_seq,
                                             v_archive.last_seq));
        end if;
        v_tenants := v_tenants || jsonb_build_object('tenant_id', v_tenant, 'rows', v_archive.tenant_rows);
      end if;
      v_tenant := (v_data ->> 'tenant_id')::uuid;
      select * into v_archive from audit.archives as a
      where a.partition_name = v_partition and a.tenant_id = v_tenant;
      if not found then
        perform coord.fail('CO487', format('tenant %s has no recorded archive of %s', v_tenant, v_partition));
      end if;
      v_prev := v_archive.first_prev_hash;
      v_seq := v_archive.first_seq - 1;
    end if;
    v_seq := v_seq + 1;
    v_hash := audit.link_hash(v_prev, v_seq, v_data -> 'event');
    if (v_data ->> 'chain_seq')::bigint is distinct from v_seq
       or decode(v_data ->> 'prev_hash', 'hex') is distinct from v_prev
       or decode(v_data ->> 'hash', 'hex') is distinct from v_hash then
      perform coord.fail('CO487', format('line %s (tenant %s, chain_seq %s) does not verify', v_line.n, v_tenant,
                                         v_data ->> 'chain_seq'));
    end if;
    insert into audit.restored_events (tenant_id, partition_name, chain_seq, event_id, occurred_at, action,
                                       event, prev_hash, hash, restored_at)
    values (v_tenant, v_partition, v_seq, (v_data #>> '{event,id}')::bigint,
            (v_data #>> '{event,occurred_at}')::timestamptz, v_data #>> '{event,action}', v_data -> 'event',
            v_prev, v_hash, v_now);
    v_prev := v_hash;
  end loop;
  if v_tenant is not null then
    if v_hash is distinct from v_archive.last_hash or v_seq is distinct from v_archive.last_seq then
      perform coord.fail('CO487', format('tenant %s ends at link %s, the archive recorded %s', v_tenant, v_seq,
                                         v_archive.last_seq));
    end if;
    v_tenants := v_tenants || jsonb_build_object('tenant_id', v_tenant, 'rows', v_archive.tenant_rows);
  end if;

  for v_tenant in select (t ->> 'tenant_id')::uuid from jsonb_array_elements(v_tenants) as t loop
    perform audit.record('audit.restored', 'restored', 'partition', v_partition, null,
      jsonb_build_object('content_sha256', v_content, 'file_sha256', p_manifest ->> 'file_sha256'),
      p_severity => 'notice', p_system => true, p_tenant_id => v_tenant);
  end loop;
  return jsonb_build_object('partition', v_partition, 'rows', v_rows, 'content_sha256', v_content,
                            'tenants', v_tenants);
end;
$$;

comment on function audit.restore_archive(jsonb) is 'Restores an archived month from pg_temp.coord_restore_lines into audit.restored_events after verifying it is the recorded export (hashes, every link) (CO487, CO488); records audit.restored per tenant.';
revoke all on function audit.restore_archive(jsonb) from public;
