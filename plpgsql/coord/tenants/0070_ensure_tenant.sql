-- Admin path (superuser): the tenant's id, creating the tenant on first use.
create or replace function coord.ensure_tenant(p_name text)
returns uuid
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id uuid;
  v_profile uuid := gen_random_uuid();
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO221', format('tenant name %s', coalesce(left(p_name, 100), 'null')),
      'tenant names are 1-63 lower-case letters, digits, and . _ -');
  end if;
  -- The tenant names its default profile before coord.seed_profiles creates it (the foreign key
  -- is checked at commit). Every default comes from a shipped_* view through its coord.seed_*.
  insert into coord.tenants (name, created_at, default_profile_id) values (p_name, coord.now(), v_profile)
  on conflict (name) do nothing
  returning id into v_id;
  if v_id is not null then
    perform coord.seed_profiles(v_id);
    perform audit.record('tenant.create', 'created', 'tenant', p_name, null,
      jsonb_build_object('tenant_id', v_id), p_system => true, p_tenant_id => v_id);
    perform coord.seed_alert_rules(v_id);
    perform coord.seed_guardrails(v_id);
    return v_id;
  end if;
  select t.id into v_id from coord.tenants as t where t.name = p_name;
  return v_id;
end;
$$;

comment on function coord.ensure_tenant(text) is 'Admin path: id of the named tenant, created (and audited) if missing, with the shipped profiles (coord.shipped_profiles, the default among them), alert rules (coord.shipped_alert_rules) and guardrail rules (authz.shipped_guardrails).';
revoke all on function coord.ensure_tenant(text) from public;
