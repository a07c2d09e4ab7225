-- Admin path (superuser; coord login add): a login role bound to one tenant, for a holder that
-- needs a DSN (an agent host, a CI runner, a DBA). api.authenticate refuses it every token of
-- another tenant, so whatever its holder does to the login (its defaults, its password, which
-- PostgreSQL lets every role change) hurts only that holder. The role name is opaque (other
-- tenants see pg_roles); the password is drawn here and shown once.
create or replace function coord.add_login(p_tenant_id uuid, p_name text, p_connection_limit integer default 20,
                                           p_comment text default null)
returns table (name text, role_name text, password text, connection_limit integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := 'coord_login_' || pg_catalog.encode(substr(pg_catalog.uuid_send(gen_random_uuid()), 9, 8), 'hex');
  v_password text := pg_catalog.encode(pg_catalog.uuid_send(gen_random_uuid()) || pg_catalog.uuid_send(gen_random_uuid()), 'hex');
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO523', format('name %s', coalesce(p_name, 'null')));
  end if;
  if p_connection_limit is null or p_connection_limit not between 1 and 1000 then
    perform coord.fail('CO523', format('connection limit %s', coalesce(p_connection_limit::text, 'null')));
  end if;
  if char_length(p_comment) > 1000 then
    perform coord.fail('CO523', 'the comment is longer than 1000 characters');
  end if;
  if not exists (select from coord.tenants as t where t.id = p_tenant_id) then
    perform coord.fail('CO301', format('tenant %s', p_tenant_id));
  end if;
  if exists (select from coord.logins as l where l.tenant_id = p_tenant_id and l.name = p_name) then
    perform coord.fail('CO522', format('login %s', p_name));
  end if;

  -- NOINHERIT like the gateway: it acts only through the request role a verified token selects.
  execute format('create role %I login noinherit connection limit %s password %L', v_role,
                 p_connection_limit::integer, v_password);
  execute format('grant coord_anon, coord_agent, coord_operator, coord_auditor to %I', v_role);
  -- What the gateway holds itself, so psql users can call api.login before switching role.
  perform coord.grant_login_api(v_role);
  perform coord.set_login_defaults(v_role, (select p.settings from coord.login_policy as p));
  insert into coord.logins (tenant_id, name, role_name, connection_limit, comment, created_by, created_at)
  values (p_tenant_id, p_name, v_role, p_connection_limit, p_comment, session_user, coord.now());
  perform audit.record('login.create', 'created', 'login', v_role, p_comment,
    jsonb_build_object('name', p_name, 'role_name', v_role, 'connection_limit', p_connection_limit,
                       'created_by', session_user),
    p_system => true, p_tenant_id => p_tenant_id);
  name := p_name;
  role_name := v_role;
  password := v_password;
  connection_limit := p_connection_limit;
  return next;
end;
$$;

comment on function coord.add_login(uuid, text, integer, text) is 'Admin path: creates a login role bound to the tenant (member of the request roles, NOINHERIT, the gateway''s own grants, its connection limit, the declared defaults), records and audits it, and returns its role name and password once. CO523 bad name, limit or comment, CO301 unknown tenant, CO522 name taken.';
revoke all on function coord.add_login(uuid, text, integer, text) from public;
