-- Filters: actor (principal name), action pattern (* wildcard), decision, target type and id,
-- time range [since, until), minimum severity. Newest first, paged with p_before_id; or, with
-- p_after_id, oldest first from that id on (the cursor `coord audit tail --follow` uses).
create or replace function api.query_audit(
  p_limit integer default 50,
  p_action text default null,
  p_target_id text default null,
  p_before_id bigint default null,
  p_after_id bigint default null,
  p_actor text default null,
  p_decision text default null,
  p_target_type text default null,
  p_since timestamptz default null,
  p_until timestamptz default null,
  p_severity text default null
)
returns table (
  id bigint,
  occurred_at timestamptz,
  actor_type text,
  actor_name text,
  action text,
  target_type text,
  target_id text,
  decision text,
  severity text,
  rule text,
  reason text,
  details jsonb
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
  v_like text;
  v_levels text[] := array['debug', 'info', 'notice', 'warning', 'critical'];
  v_min integer;
begin
  perform coord.check_limit(p_limit);
  perform coord.check_timestamp(p_since, 'since');
  perform coord.check_timestamp(p_until, 'until');
  if p_action is not null then
    if p_action !~ '^[a-z_*]+(\.[a-z_*]+)*$' or char_length(p_action) > 100 then
      perform coord.fail('CO491', format('action pattern %s', pg_catalog.quote_literal(left(p_action, 100))));
    end if;
    v_like := replace(replace(p_action, '_', '\_'), '*', '%');
  end if;
  if p_severity is not null then
    v_min := array_position(v_levels, p_severity);
    if v_min is null then
      perform coord.fail('CO496', format('severity %s', pg_catalog.quote_literal(left(p_severity, 50))));
    end if;
  end if;
  if p_since > p_until then
    perform coord.fail('CO496', format('since %s is after until %s', p_since, p_until));
  end if;
  if p_before_id is not null and p_after_id is not null then
    perform coord.fail('CO496', 'both before_id and after_id');
  end if;
  if p_after_id is null then
    return query
    select e.id, e.occurred_at, e.actor_type::text, e.actor_name, e.action, e.target_type, e.target_id,
           e.decision, e.severity, e.rule, e.reason, e.details
    from audit.events as e
    where e.tenant_id = v_me.tenant_id
      and (v_like is null or e.action like v_like)
      and (p_target_id is null or e.target_id = p_target_id)
      and (p_target_type is null or e.target_type = p_target_type)
      and (p_actor is null or e.actor_name = p_actor)
      and (p_decision is null or e.decision = p_decision)
      and (p_since is null or e.occurred_at >= p_since)
      and (p_until is null or e.occurred_at < p_until)
      and (v_min is null or array_position(v_levels, e.severity) >= v_min)
      and (p_before_id is null or e.id < p_before_id)
    order by e.id desc
    limit p_limit;
  else
    return query
    select e.id, e.occurred_at, e.actor_type::text, e.actor_name, e.action, e.target_type, e.target_id,
           e.decision, e.severity, e.rule, e.reason, e.details
    from audit.events as e
    where e.tenant_id = v_me.tenant_id
      and (v_like is null or e.action like v_like)
      and (p_target_id is null or e.target_id = p_target_id)
      and (p_target_type is null or e.target_type = p_target_type)
      and (p_actor is null or e.actor_name = p_actor)
      and (p_decision is null or e.decision = p_decision)
      and (p_since is null or e.occurred_at >= p_since)
      and (p_until is null or e.occurred_at < p_until)
      and (v_min is null or array_position(v_levels, e.severity) >= v_min)
      and e.id > p_after_id
    order by e.id
    limit p_limit;
  end if;
end;
$$;

comment on function api.query_audit(integer, text, text, bigint, bigint, text, text, text, timestamptz, timestamptz, text) is
'Operators and auditors: audit events of your tenant, filtered by action pattern (* matches any run, e.g. guardrail.*), target id and type, actor name, decision, time range [since, until) and minimum severity. Newest first, paged with p_before_id; with p_after_id, the events after that id oldest first (a tail cursor). Errors: CO224 limit, CO491 pattern, CO496 filter, CO226 since or until not finite or beyond 0001-01-02 .. 9999-12-30, PT403.';
revoke all on function api.query_audit(integer, text, text, bigint, bigint, text, text, text, timestamptz, timestamptz, text) from public;
grant execute on function api.query_audit(integer, text, text, bigint, bigint, text, text, text, timestamptz, timestamptz, text) to coord_operator, coord_auditor;
