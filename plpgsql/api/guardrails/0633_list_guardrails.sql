create or replace function api.list_guardrails(p_category text default null)
returns table (
  name text,
  category text,
  applies_to text,
  actions text[],
  targets text[],
  severity text,
  override_trust smallint,
  mode text,
  enabled boolean,
  builtin boolean,
  pattern text,
  description text,
  updated_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  -- Checked first, whatever plan the query gets (joined to an empty table it may never run).
  v_me coord.caller := authz.require_read('guardrail.read');
begin
  return query
    select g.name::text, g.category, g.applies_to, g.actions, g.targets, g.severity, g.override_trust, g.mode, g.enabled,
           g.builtin, g.pattern::text, g.description, g.updated_at
    from authz.guardrails as g
    where g.tenant_id = v_me.tenant_id and (p_category is null or g.category = p_category)
    order by g.category, g.name;
end;
$$;

comment on function api.list_guardrails(text) is 'Guardrail rules of your tenant (optionally of one category), enabled or not: operation rules with their actions and target classes, pattern rules with their patterns. Read-only. Errors: PT403.';
revoke all on function api.list_guardrails(text) from public;
grant execute on function api.list_guardrails(text) to coord_agent, coord_operator, coord_auditor;
