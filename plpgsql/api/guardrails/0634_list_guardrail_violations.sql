create or replace function api.list_guardrail_violations(p_limit integer default 50, p_before_id bigint default null)
returns table (
  violation_id bigint,
  occurred_at timestamptz,
  principal_name text,
  kind text,
  operation text,
  normalized text,
  outcome text,
  trust smallint,
  rules jsonb,
  task_id bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('guardrail.read');
begin
  perform coord.check_limit(p_limit);
  return query
    select v.id, v.occurred_at, v.principal_name, v.kind, v.operation, v.normalized, v.outcome, v.trust, v.rules, v.task_id
    from authz.guardrail_violations as v
    where v.tenant_id = v_me.tenant_id and (p_before_id is null or v.id < p_before_id)
    order by v.id desc
    limit p_limit;
end;
$$;

comment on function api.list_guardrail_violations(integer, bigint) is 'Operators and auditors: the newest guardrail violations of your tenant (blocked, needs_approval, overridden), p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: PT403, CO224.';
revoke all on function api.list_guardrail_violations(integer, bigint) from public;
grant execute on function api.list_guardrail_violations(integer, bigint) to coord_operator, coord_auditor;
