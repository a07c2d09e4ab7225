create or replace function api.query_restored_audit(
  p_partition text default null,
  p_action text default null,
  p_limit integer default 50,
  p_before_seq bigint default null
)
returns table (
  partition_name text,
  chain_seq bigint,
  event_id bigint,
  occurred_at timestamptz,
  action text,
  event jsonb,
  hash text
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
  perform coord.check_limit(p_limit);
  return query
  select r.partition_name, r.chain_seq, r.event_id, r.occurred_at, r.action, r.event, encode(r.hash, 'hex')
  from audit.restored_events as r
  where r.tenant_id = v_me.tenant_id
    and (p_partition is null or r.partition_name = p_partition)
    and (p_action is null or r.action = p_action)
    and (p_before_seq is null or r.chain_seq < p_before_seq)
  order by r.chain_seq desc
  limit p_limit;
end;
$$;

comment on function api.query_restored_audit(text, text, integer, bigint) is 'Operators and auditors: events of your tenant from restored archives (coord audit restore), newest chain position first, optionally by partition (events_YYYY_MM) and action; page with p_before_seq. CO224 bad limit.';
revoke all on function api.query_restored_audit(text, text, integer, bigint) from public;
grant execute on function api.query_restored_audit(text, text, integer, bigint) to coord_operator, coord_auditor;
