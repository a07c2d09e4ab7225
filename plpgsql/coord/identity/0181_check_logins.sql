-- Audits login drift to one tenant: each new or changed drift once (login.check refused,
-- critical, which the login-drift alert rule turns into a critical alert), and its end once
-- (login.check cleared). Run by api.maintain for the caller's tenant and by coord maintain,
-- coord status and coord up for every tenant. p_password_refused: roles whose saved password
-- the caller just failed to log in with ('{}': checked, none refused; null: passwords were not
-- checked, so a password drift reported earlier stands). Returns how many drifts it reported.
create or replace function coord.check_logins(p_tenant_id uuid, p_password_refused text[] default null)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_password text[] := p_password_refused;
  v_seen text[] := '{}';
  v_reported integer := 0;
  v record;
  v_new boolean;
begin
  if v_password is null then
    select coalesce(array_agg(d.role_name), '{}') into v_password
    from coord.login_drift as d
    where d.tenant_id = p_tenant_id and 'password' = any (d.actual);
  end if;
  for v in select f.role_name, f.kind, f.expected, f.actual from coord.login_drift_found(p_tenant_id, v_password) as f
  loop
    v_seen := v_seen || v.role_name;
    v_new := false;
    -- A concurrent checker that reported the same drift leaves nothing to update: audited once.
    insert into coord.login_drift as d (tenant_id, role_name, expected, actual, reported_at)
    values (p_tenant_id, v.role_name, v.expected, v.actual, coord.now())
    on conflict (tenant_id, role_name) do update
      set expected = excluded.expected, actual = excluded.actual, reported_at = excluded.reported_at
      where d.actual is distinct from excluded.actual
    returning true into v_new;
    if v_new then
      v_reported := v_reported + 1;
      perform audit.record('login.check', 'refused', 'login', v.role_name,
        format('%s login %s differs from its declared settings', v.kind, v.role_name),
        jsonb_build_object('kind', v.kind, 'expected', v.expected, 'actual', v.actual),
        p_severity => 'critical', p_system => true, p_tenant_id => p_tenant_id);
    end if;
  end loop;
  for v in
    delete from coord.login_drift as d
    where d.tenant_id = p_tenant_id and not (d.role_name = any (v_seen))
    returning d.role_name, d.actual
  loop
    perform audit.record('login.check', 'cleared', 'login', v.role_name, 'the login carries its declared settings again',
      jsonb_build_object('was', v.actual), p_severity => 'notice', p_system => true, p_tenant_id => p_tenant_id);
  end loop;
  return v_reported;
end;
$$;

comment on function coord.check_logins(uuid, text[]) is 'Audits to one tenant each new or changed drift of a watched login once (login.check refused, critical) and its end (login.check cleared); returns the number of drifts reported now.';
revoke all on function coord.check_logins(uuid, text[]) from public;
