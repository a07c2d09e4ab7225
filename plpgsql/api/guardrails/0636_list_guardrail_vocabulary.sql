-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_guardrail_vocabulary()
returns table (kind text, name text, meaning text)
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
  return query
    select v.kind, v.name, v.meaning
    from authz.guard_vocabulary as v
    order by v.kind, v.name;
end;
$$;

comment on function api.list_guardrail_vocabulary() is 'The actions and target classes guardrail operation rules are written in (api.add_guardrail p_actions and p_targets). Read-only. Errors: PT403.';
revoke all on function api.list_guardrail_vocabulary() from public;
grant execute on function api.list_guardrail_vocabulary() to coord_agent, coord_operator, coord_auditor;
