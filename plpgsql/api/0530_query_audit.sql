create or replace function api.query_audit(
  p_limit integer default 50,
  p_action text default null,
  p_target_id text default null,
  p_before_id bigint default null
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
  reason text,
  details jsonb
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := authz.require_read('audit.query');
begin
  perform coord.check_limit(p_limit);
  return query
  select e.id, e.occurred_at, e.actor_type::text, e.actor_name, e.action, e.target_type, e.target_id,
         e.decision, e.reason, e.details
  from audit.events as e
  where e.tenant_id = v_me.tenant_id
    and (p_action is null or e.action = p_action)
    and (p_target_id is null or e.target_id = p_target_id)
    and (p_before_id is null or e.id < p_before_id)
  order by e.id desc
  limit p_limit;
end;
$$;

comment on function api.query_audit(integer, text, text, bigint) is 'Operators and auditors: newest audit events of your tenant first, optionally filtered by action and target; page with p_before_id. CO224 bad limit.';
revoke all on function api.query_audit(integer, text, text, bigint) from public;
grant execute on function api.query_audit(integer, text, text, bigint) to coord_operator, coord_auditor;
