-- Adds the shipped profiles (coord.shipped_profiles) a tenant lacks, by name. The default one
-- takes the id the tenant row already names (coord.tenants.default_profile_id is set when the
-- tenant is created, its foreign key checked at commit). Returns how many it added.
create or replace function coord.seed_profiles(p_tenant_id uuid)
returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  with added as (
    insert into coord.profiles (tenant_id, id, name, trust_level, max_concurrent_tasks, description, created_at, updated_at)
    select t.id, case when d.is_default then t.default_profile_id else gen_random_uuid() end, d.name, d.trust_level,
           d.max_concurrent_tasks, d.description, coord.now(), coord.now()
    from coord.shipped_profiles as d
    cross join coord.tenants as t
    where t.id = p_tenant_id
    on conflict do nothing
    returning 1
  )
  select count(*)::integer from added;
$$;

comment on function coord.seed_profiles(uuid) is 'Adds the shipped profiles (coord.shipped_profiles) the tenant lacks, the default one under the id the tenant names; returns how many it added.';
revoke all on function coord.seed_profiles(uuid) from public;
