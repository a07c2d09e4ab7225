-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_alert_rules()
returns table (
  rule_id bigint,
  name text,
  action_pattern text,
  decisions text[],
  threshold integer,
  within interval,
  severity text,
  enabled boolean,
  description text,
  open_alerts integer,
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
  v_me coord.caller := authz.require_read('alert.read');
begin
  return query
    select r.id, r.name::text, r.action_pattern::text, r.decisions, r.threshold, r.within, r.severity, r.enabled,
           r.description,
           (select count(*)::integer from coord.alerts as a
            where a.tenant_id = r.tenant_id and a.rule_id = r.id and a.state = 'open'),
           r.updated_at
    from coord.alert_rules as r
    where r.tenant_id = v_me.tenant_id
    order by r.name;
end;
$$;

comment on function api.list_alert_rules() is 'Operators and auditors: the alert rules of your tenant with their open alert counts. Read-only. Errors: PT403.';
revoke all on function api.list_alert_rules() from public;
grant execute on function api.list_alert_rules() to coord_operator, coord_auditor;
