-- Admin path (superuser; every coord maintain pass): terminates client backends (the gateway's
-- and the bound logins') whose transaction has been open longer than the policy's
-- transaction_bound. A role default such as idle_in_transaction_session_timeout is only a
-- default: any client may SET it to 0 in its own session and then hold a transaction open,
-- which holds back audit sealing for every tenant and the vacuum of every table. Ended
-- transactions of bound logins are audited to the login's tenant; the gateway's have none.
create or replace function coord.end_stale_client_transactions(p_older_than interval default null)
returns table (pid integer, role_name text, tenant_id uuid, state text, xact_start timestamptz)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bound interval := coalesce(p_older_than, (select p.transaction_bound from coord.login_policy as p));
  v record;
begin
  if v_bound is null then
    return;
  end if;
  for v in
    select a.pid, a.usename::text as role_name, l.tenant_id, a.state, a.xact_start
    from pg_catalog.pg_stat_activity as a
    left join coord.logins as l on l.role_name = a.usename::text
    where a.datname = pg_catalog.current_database() and a.pid <> pg_catalog.pg_backend_pid()
      and (a.usename = 'coord_authenticator' or l.role_name is not null)
      and a.xact_start < pg_catalog.statement_timestamp() - v_bound
    order by a.xact_start
  loop
    if pg_catalog.pg_terminate_backend(v.pid) then
      if v.tenant_id is not null then
        perform audit.record('login.transaction_ended', 'ended', 'login', v.role_name,
          format('a transaction open since %s outlived the bound of %s', v.xact_start, v_bound),
          jsonb_build_object('pid', v.pid, 'state', v.state, 'xact_start', v.xact_start, 'bound', v_bound),
          p_severity => 'warning', p_system => true, p_tenant_id => v.tenant_id);
      end if;
      pid := v.pid;
      role_name := v.role_name;
      tenant_id := v.tenant_id;
      state := v.state;
      xact_start := v.xact_start;
      return next;
    end if;
  end loop;
end;
$$;

comment on function coord.end_stale_client_transactions(interval) is 'Admin path (coord maintain): terminates client backends (gateway and bound logins) whose transaction is older than p_older_than (default coord.login_policy.transaction_bound; null there: never) and audits those of bound logins to their tenant.';
revoke all on function coord.end_stale_client_transactions(interval) from public;
