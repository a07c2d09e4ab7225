-- Admin path (superuser; coord up): give every drifted watched login its declared defaults
-- back, audit the repair to every tenant it concerns (the gateway and the request roles serve
-- all tenants, a bound login one) and close the tenants' drift reports. p_password_restored:
-- roles whose saved password the caller has just set again (coord up restores the gateway's
-- from coord.json; PostgreSQL cannot tell a password from outside, so only the caller knows).
-- A watched role that does not exist is left alone here (coord migrate creates the gateway and
-- the request roles; coord login remove a bound login).
create or replace function coord.repair_logins(p_password_restored text[] default '{}')
returns table (role_name text, kind text, tenant_id uuid, expected text[], actual text[])
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
  v_tenant uuid;
begin
  for v in
    select f.role_name, f.kind, f.tenant_id, f.expected, f.actual
    from coord.login_drift_found(null, p_password_restored) as f
    where f.actual is distinct from array['(no such role)']
  loop
    perform coord.set_login_defaults(v.role_name, v.expected);
    for v_tenant in select t.id from coord.tenants as t where v.tenant_id is null or t.id = v.tenant_id loop
      perform audit.record('login.repair', 'repaired', 'login', v.role_name,
        format('%s login %s restored to its declared settings', v.kind, v.role_name),
        jsonb_build_object('kind', v.kind, 'expected', v.expected, 'actual', v.actual),
        p_severity => 'warning', p_system => true, p_tenant_id => v_tenant);
    end loop;
    delete from coord.login_drift as d where d.role_name = v.role_name;
    role_name := v.role_name;
    kind := v.kind;
    tenant_id := v.tenant_id;
    expected := v.expected;
    actual := v.actual;
    return next;
  end loop;
end;
$$;

comment on function coord.repair_logins(text[]) is 'Admin path (coord up): restores the declared defaults of every drifted watched login, audits login.repair to the tenants concerned, clears their drift reports; returns what it repaired (p_password_restored: roles whose password the caller restored).';
revoke all on function coord.repair_logins(text[]) from public;
