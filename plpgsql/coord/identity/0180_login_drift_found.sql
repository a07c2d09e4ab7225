-- The watched logins whose role defaults are not the declared ones. Watched: the gateway
-- coord_authenticator and every bound login (declared: coord.login_policy.settings), and the
-- request roles (declared: nothing). Any client can change the defaults of its own login and,
-- after SET ROLE, of a request role: PostgreSQL allows every role to ALTER ROLE itself. Settings
-- of the NOLOGIN request roles never apply in PostgreSQL, but PostgREST with db-config = true
-- would apply them to every request (docs/postgrest.md), so they are watched too.
-- p_tenant_id: that tenant's bound logins (null: every bound login the caller can see);
-- p_password_refused: roles whose saved password no longer logs in ("password" is added).
create or replace function coord.login_drift_found(p_tenant_id uuid default null, p_password_refused text[] default '{}')
returns table (role_name text, kind text, tenant_id uuid, expected text[], actual text[])
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with declared as (
    select array(select s from unnest(p.settings) as s order by s collate "C") as settings
    from coord.login_policy as p
  ), watched as (
    select 'coord_authenticator'::text as role_name, 'gateway'::text as kind, null::uuid as tenant_id,
           (select d.settings from declared as d) as expected
    union all
    select r.name, 'request', null, '{}'::text[]
    from unnest(array['coord_anon', 'coord_agent', 'coord_operator', 'coord_auditor']) as r (name)
    union all
    select l.role_name, 'bound', l.tenant_id, (select d.settings from declared as d)
    from coord.logins as l
    where p_tenant_id is null or l.tenant_id = p_tenant_id
  ), current_settings as (
    select w.role_name, w.kind, w.tenant_id, w.expected,
           case when r.oid is null then array['(no such role)']
                else array(select x from (
                       select c as x
                       from pg_catalog.pg_db_role_setting as s, unnest(s.setconfig) as c
                       where s.setrole = r.oid and s.setdatabase = 0
                       union all
                       select format('%s (in database %s)', c, coalesce(db.datname::text, s.setdatabase::text))
                       from pg_catalog.pg_db_role_setting as s
                       cross join unnest(s.setconfig) as c
                       left join pg_catalog.pg_database as db on db.oid = s.setdatabase
                       where s.setrole = r.oid and s.setdatabase <> 0) as q
                     order by x collate "C")
           end
           || case when w.role_name = any (coalesce(p_password_refused, '{}')) then array['password'] else '{}' end
             as actual
    from watched as w
    left join pg_catalog.pg_roles as r on r.rolname = w.role_name
  )
  select c.role_name, c.kind, c.tenant_id, c.expected, c.actual
  from current_settings as c
  where c.actual is distinct from c.expected
  order by c.role_name;
$$;

comment on function coord.login_drift_found(uuid, text[]) is 'Watched logins (gateway, request roles, bound logins of p_tenant_id or all visible ones) whose role defaults differ from the declared ones, or whose saved password was refused (p_password_refused): kind, expected and actual settings.';
revoke all on function coord.login_drift_found(uuid, text[]) from public;
