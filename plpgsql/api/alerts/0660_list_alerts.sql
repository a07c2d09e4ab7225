create or replace function api.list_alerts(
  p_state text default null,
  p_severity text default null,
  p_rule text default null,
  p_actor text default null,
  p_limit integer default 50,
  p_before_id bigint default null
)
returns table (
  alert_id bigint,
  rule text,
  severity text,
  state text,
  actor_type text,
  actor_name text,
  event_count integer,
  first_event_id bigint,
  last_event_id bigint,
  first_event_at timestamptz,
  last_event_at timestamptz,
  raised_at timestamptz,
  resolved_at timestamptz,
  resolved_by text,
  resolution text
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
  v_levels text[] := array['notice', 'warning', 'critical'];
  v_min integer;
begin
  perform coord.check_limit(p_limit);
  if p_state is not null and p_state not in ('open', 'resolved') then
    perform coord.fail('CO496', format('state %s', pg_catalog.quote_literal(left(p_state, 50))));
  end if;
  if p_severity is not null then
    v_min := array_position(v_levels, p_severity);
    if v_min is null then
      perform coord.fail('CO496', format('severity %s', pg_catalog.quote_literal(left(p_severity, 50))));
    end if;
  end if;
  return query
  select a.id, r.name::text, a.severity, a.state::text, a.actor_type::text, a.actor_name, a.event_count,
         a.first_event_id, a.last_event_id, a.first_event_at, a.last_event_at, a.raised_at,
         a.resolved_at, p.name, a.resolution
  from coord.alerts as a
  join coord.alert_rules as r on r.tenant_id = a.tenant_id and r.id = a.rule_id
  left join coord.principals as p on p.tenant_id = a.tenant_id and p.id = a.resolved_by
  where a.tenant_id = v_me.tenant_id
    and (p_state is null or a.state = p_state::coord.alert_state)
    and (v_min is null or array_position(v_levels, a.severity) >= v_min)
    and (p_rule is null or r.name = p_rule)
    and (p_actor is null or a.actor_name = p_actor)
    and (p_before_id is null or a.id < p_before_id)
  order by a.id desc
  limit p_limit;
end;
$$;

comment on function api.list_alerts(text, text, text, text, integer, bigint) is
'Operators and auditors: alerts of your tenant, newest first, filtered by state (open, resolved), minimum severity (notice, warning, critical), rule name and actor name; page with p_before_id. Errors: CO224 limit, CO496 filter, PT403.';
revoke all on function api.list_alerts(text, text, text, text, integer, bigint) from public;
grant execute on function api.list_alerts(text, text, text, text, integer, bigint) to coord_operator, coord_auditor;
