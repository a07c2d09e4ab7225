-- A profile as the api shows it.
create or replace function coord.profile_view(p_profile coord.profiles)
returns api.profile
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select row(p_profile.name, p_profile.trust_level, p_profile.max_locks, p_profile.max_lock_ttl,
             p_profile.max_concurrent_tasks, p_profile.allowed_task_kinds, p_profile.allowed_operations,
             p_profile.max_task_duration, p_profile.calls_per_hour, p_profile.network_default, p_profile.description,
             exists (select from coord.tenants as n where n.id = p_profile.tenant_id and n.default_profile_id = p_profile.id),
             (select count(*)::integer from coord.principals as p
              where p.tenant_id = p_profile.tenant_id and p.profile_id = p_profile.id),
             p_profile.created_at, p_profile.updated_at)::api.profile;
$$;

comment on function coord.profile_view(coord.profiles) is 'The api.profile of a profile row: its settings, whether it is the tenant default, and how many agents have it assigned.';
revoke all on function coord.profile_view(coord.profiles) from public;
