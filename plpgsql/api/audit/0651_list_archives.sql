create or replace function api.list_archives()
returns table (
  partition_name text,
  month date,
  archived_at timestamptz,
  file_name text,
  file_sha256 text,
  content_sha256 text,
  events bigint,
  first_seq bigint,
  last_seq bigint,
  last_hash text,
  event_id bigint,
  restored boolean
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('audit.query');
begin
  return query
  select a.partition_name, a.month, a.archived_at, a.file_name, a.file_sha256, a.content_sha256, a.tenant_rows,
         a.first_seq, a.last_seq, encode(a.last_hash, 'hex'), a.event_id,
         exists (select from audit.restored_events as r
                 where r.tenant_id = a.tenant_id and r.partition_name = a.partition_name)
  from audit.archives as a
  where a.tenant_id = v_me.tenant_id
  order by a.month desc;
end;
$$;

comment on function api.list_archives() is 'Operators and auditors: the archived months of your tenant (newest first): file and content sha256, your events in it, the first and last chain position (the hot chain resumes after last_hash), the audit.archived event, and whether it is restored.';
revoke all on function api.list_archives() from public;
grant execute on function api.list_archives() to coord_operator, coord_auditor;
