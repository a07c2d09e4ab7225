-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
create or replace function api.cedar_policy(p_version integer default null)
returns table (
  engine text,
  cedar_available boolean,
  version integer,
  policy text,
  reason text,
  created_by text,
  created_at timestamptz,
  rolled_back_from integer,
  schema text
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('policy.read');
  v_engine text;
begin
  select coalesce((select e.engine from authz.tenant_engines as e where e.tenant_id = v_me.tenant_id), 'native')
  into v_engine;
  if p_version is not null and not exists (
       select from authz.cedar_policies as c where c.tenant_id = v_me.tenant_id and c.version = p_version) then
    perform coord.fail('CO563', format('no Cedar policy version %s in this tenant', p_version));
  end if;
  return query
    select v_engine, authz.cedar_available(), c.version, coalesce(c.policy, authz.cedar_baseline()), c.reason,
           c.created_by_name, c.created_at, c.rolled_back_from, authz.cedar_schema()
    from (select 1) as one
    left join lateral (select x.* from authz.cedar_policies as x
                       where x.tenant_id = v_me.tenant_id and (p_version is null or x.version = p_version)
                       order by x.version desc limit 1) as c on true;
end;
$$;

comment on function api.cedar_policy(integer) is 'The tenant''s policy engine, whether this server can run Cedar, and Cedar policy version p_version (default the newest; version null: none stored, policy is the shipped baseline), with the shipped schema it is validated against. Read-only. Errors: CO563 unknown version, PT403.';
revoke all on function api.cedar_policy(integer) from public;
grant execute on function api.cedar_policy(integer) to coord_operator, coord_auditor;
