-- Admin path (superuser; coord login remove): ends the login's sessions and drops its role.
-- A role that no longer exists (dropped by hand) is only unregistered.
create or replace function coord.remove_login(p_tenant_id uuid, p_name text)
returns text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text;
  v_ended integer;
begin
  delete from coord.logins as l where l.tenant_id = p_tenant_id and l.name = p_name
  returning l.role_name into v_role;
  if v_role is null then
    perform coord.fail('CO521', format('login %s', coalesce(p_name, 'null')));
  end if;
  delete from coord.login_drift as d where d.tenant_id = p_tenant_id and d.role_name = v_role;
  select count(*) filter (where pg_catalog.pg_terminate_backend(a.pid)) into v_ended
  from pg_catalog.pg_stat_activity as a
  where a.usename = v_role;
  -- Its grants in this database (add_login's), then the role.
  if exists (select from pg_catalog.pg_roles as r where r.rolname = v_role) then
    execute format('drop owned by %I', v_role);
    execute format('drop role %I', v_role);
  end if;
  perform audit.record('login.remove', 'removed', 'login', v_role, null,
    jsonb_build_object('name', p_name, 'role_name', v_role, 'sessions_ended', v_ended),
    p_system => true, p_tenant_id => p_tenant_id);
  return v_role;
end;
$$;

comment on function coord.remove_login(uuid, text) is 'Admin path: removes the tenant''s login p_name: terminates its sessions, drops its role, audits login.remove; returns the role name. CO521 when the tenant has no such login.';
revoke all on function coord.remove_login(uuid, text) from public;
