-- coord_test: helpers for the pgTAP specs in tests/sql/<domain>/. Not part of the product:
-- coord migrate never installs it; the spec runner (tests/test_pgtap.py) and DBAs do, with
--   psql -X -v ON_ERROR_STOP=1 -d coord -f tests/sql/coord_test.sql
-- (re-running it replaces the functions; tests/sql/coord_test_uninstall.sql removes them).
--
-- Every spec runs in one transaction and rolls back, so whatever a helper makes (tenants,
-- principals, the clock offset, the request context) vanishes with it. What a helper remembers
-- (labels, tokens) lives in temporary tables dropped at the end of the transaction.
--
-- Helpers that act return a line saying what they did: not TAP, so pg_prove shows it only
-- with -v (verbose), where it reads as a trace between the assertions.
-- Tenants are named '<label>.spec<transaction id>', so specs never meet real tenants or each
-- other (pg_prove -j runs them in parallel). Helpers run as the caller; the ones that read or
-- write product tables step out of the logged-in request role and back (a superuser session
-- is needed, as for every spec).

set client_min_messages = warning;
create schema if not exists coord_test;
comment on schema coord_test is 'pgTAP spec helpers (tests/sql/coord_test.sql); not part of the product.';
-- The request roles call coord_test.login/logout/advance_clock while logged in; the helpers
-- hold no privilege of their own (security invoker), so this grants nothing else.
grant usage on schema coord_test to public;

do $$
begin
  if to_regtype('coord_test.credentials') is null then
    create type coord_test.credentials as (principal_id uuid, token text, token_id uuid);
  end if;
end;
$$;

-- The transaction's memory: labels to tenants, names to tokens. Created on first use.
create or replace function coord_test._memory()
returns void
language plpgsql
as $$
begin
  if to_regclass('pg_temp.coord_test_tenants') is null then
    create temporary table coord_test_tenants (
      label text primary key,
      tenant_id uuid not null,
      name text not null
    ) on commit drop;
    create temporary table coord_test_principals (
      tenant text not null,
      name text not null,
      role text not null,
      principal_id uuid not null,
      token text not null,
      token_id uuid not null,
      primary key (tenant, name)
    ) on commit drop;
    create temporary table coord_test_state (
      clock_offset interval
    ) on commit drop;
  end if;
end;
$$;

-- Step out of a logged-in request role (coord_agent, ...) to the session user; returns what
-- coord_test._resume needs to step back in. Vouched claims stay valid: same transaction, same role.
create or replace function coord_test._suspend()
returns text[]
language plpgsql
as $$
declare
  v_saved text[] := array[current_setting('role'), current_setting('request.headers', true),
                          current_setting('request.jwt.claims', true), current_setting('coord.vouch', true)];
begin
  perform set_config('role', 'none', true);
  perform coord_test._memory();
  return v_saved;
end;
$$;

create or replace function coord_test._resume(p_saved text[])
returns void
language plpgsql
as $$
begin
  perform set_config('request.headers', coalesce(p_saved[2], ''), true);
  perform set_config('request.jwt.claims', coalesce(p_saved[3], ''), true);
  perform set_config('coord.vouch', coalesce(p_saved[4], ''), true);
  perform set_config('role', p_saved[1], true);
end;
$$;

-- A tenant of this spec, made on first use (with its default profile, alert rules and
-- guardrails, as coord up makes one). Labels are lower-case letters, digits and - _.
create or replace function coord_test.tenant(p_label text default 'main')
returns text
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_name text;
begin
  if p_label is null or p_label !~ '^[a-z0-9][a-z0-9_-]{0,29}$' then
    raise exception 'coord_test.tenant: label % must be 1-30 of a-z 0-9 - _', p_label;
  end if;
  select t.name into v_name from pg_temp.coord_test_tenants as t where t.label = p_label;
  if v_name is null then
    v_name := format('%s.spec%s', p_label, pg_current_xact_id());
    insert into pg_temp.coord_test_tenants values (p_label, coord.ensure_tenant(v_name), v_name);
  end if;
  perform coord_test._resume(v_saved);
  return format('tenant %s is %s', p_label, v_name);
end;
$$;

create or replace function coord_test.tenant_id(p_label text default 'main')
returns uuid
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_id uuid;
begin
  select t.tenant_id into v_id from pg_temp.coord_test_tenants as t where t.label = p_label;
  perform coord_test._resume(v_saved);
  if v_id is null then
    raise exception 'coord_test: no tenant labelled % (call coord_test.tenant first)', p_label;
  end if;
  return v_id;
end;
$$;

create or replace function coord_test.tenant_name(p_label text default 'main')
returns text
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_name text;
begin
  select t.name into v_name from pg_temp.coord_test_tenants as t where t.label = p_label;
  perform coord_test._resume(v_saved);
  if v_name is null then
    raise exception 'coord_test: no tenant labelled % (call coord_test.tenant first)', p_label;
  end if;
  return v_name;
end;
$$;

-- A principal (agent, operator or auditor) with its first token, through the admin path
-- coord agent add uses. The tenant is made if needed.
create or replace function coord_test.principal(
  p_name text,
  p_role text default 'agent',
  p_tenant text default 'main',
  p_scopes text[] default '{*}',
  p_expires_in interval default null
)
returns text
language plpgsql
as $$
declare
  v_saved text[];
  v_grant api.token_grant;
begin
  perform coord_test.tenant(p_tenant);
  v_saved := coord_test._suspend();
  v_grant := coord.register_principal(coord_test.tenant_id(p_tenant), p_role::coord.request_role, p_name,
                                      p_scopes, p_expires_in);
  insert into pg_temp.coord_test_principals
  values (p_tenant, p_name, p_role, v_grant.principal_id, v_grant.token, v_grant.token_id);
  perform coord_test._resume(v_saved);
  return format('%s %s in tenant %s, scopes %s', p_role, p_name, p_tenant, p_scopes);
end;
$$;

create or replace function coord_test.agent(p_name text, p_tenant text default 'main', p_scopes text[] default '{*}')
returns text
language sql
as $$ select coord_test.principal(p_name, 'agent', p_tenant, p_scopes) $$;

create or replace function coord_test.operator(p_name text, p_tenant text default 'main', p_scopes text[] default '{*}')
returns text
language sql
as $$ select coord_test.principal(p_name, 'operator', p_tenant, p_scopes) $$;

create or replace function coord_test.auditor(p_name text, p_tenant text default 'main', p_scopes text[] default '{*}')
returns text
language sql
as $$ select coord_test.principal(p_name, 'auditor', p_tenant, p_scopes) $$;

create or replace function coord_test._principal(p_name text, p_tenant text)
returns coord_test.credentials
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_row coord_test.credentials;
begin
  select p.principal_id, p.token, p.token_id into v_row
  from pg_temp.coord_test_principals as p where p.tenant = p_tenant and p.name = p_name;
  perform coord_test._resume(v_saved);
  if v_row.principal_id is null then
    raise exception 'coord_test: no principal % in tenant % (call coord_test.agent/operator/auditor first)',
      p_name, p_tenant;
  end if;
  return v_row;
end;
$$;

create or replace function coord_test.principal_id(p_name text, p_tenant text default 'main')
returns uuid
language sql
as $$ select (coord_test._principal(p_name, p_tenant)).principal_id $$;

create or replace function coord_test.token(p_name text, p_tenant text default 'main')
returns text
language sql
as $$ select (coord_test._principal(p_name, p_tenant)).token $$;

create or replace function coord_test.token_id(p_name text, p_tenant text default 'main')
returns uuid
language sql
as $$ select (coord_test._principal(p_name, p_tenant)).token_id $$;

-- Log in with a token the way PostgREST and the Python client do: start as coord_anon with
-- anonymous claims, put the token (and the session) into request.headers, then
-- api.pre_request() verifies it and switches to the principal's role. Lasts until
-- coord_test.logout(), the next login or the end of the transaction. A bad token raises PT401.
create or replace function coord_test.login_token(p_token text, p_session uuid default null)
returns text
language plpgsql
as $$
declare
  v_me api.principal_info;
begin
  perform coord_test.logout();
  perform set_config('role', 'coord_anon', true);
  perform set_config('request.jwt.claims', '{"role":"coord_anon"}', true);
  perform set_config('request.method', 'POST', true);
  perform set_config('request.headers', jsonb_strip_nulls(jsonb_build_object(
    'user-agent', 'coord_test', 'x-coord-token', p_token, 'x-coord-session', p_session))::text, true);
  v_me := api.pre_request();
  return format('logged in as %s (%s%s)', coalesce(v_me.name, 'anonymous'), coalesce(v_me.role, 'anon'),
                case when p_session is null then '' else ', session ' || p_session end);
end;
$$;

create or replace function coord_test.login(p_name text, p_tenant text default 'main', p_session uuid default null)
returns text
language sql
as $$ select coord_test.login_token(coord_test.token(p_name, p_tenant), p_session) $$;

-- Give agent p_agent a profile of its own with trust p_trust and the limits in p_settings
-- (as api.create_profile takes them), through the api as the tenant's operator 'spec-operator'
-- (made on first use), as an operator would. The profile is named '<agent>-profile'; calling
-- it again for the same agent updates that profile. Works while logged in.
create or replace function coord_test.set_profile(
  p_agent text,
  p_trust integer,
  p_settings jsonb default '{}',
  p_tenant text default 'main'
)
returns text
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_name text := lower(p_agent) || '-profile';
  v_result api.profile_result;
begin
  if not exists (select from pg_temp.coord_test_principals as p where p.tenant = p_tenant and p.name = 'spec-operator') then
    perform coord_test.operator('spec-operator', p_tenant);
  end if;
  perform coord_test.login('spec-operator', p_tenant);
  if exists (select from api.list_profiles() as f where f.name = v_name) then
    v_result := api.update_profile(v_name, p_settings || jsonb_build_object('trust_level', p_trust));
  else
    v_result := api.create_profile(v_name, p_trust, p_settings);
  end if;
  if v_result.ok then
    v_result := api.assign_profile(p_agent, v_name);
  end if;
  perform coord_test.logout();
  perform coord_test._resume(v_saved);
  if not v_result.ok then
    raise exception 'coord_test.set_profile(%): % %', p_agent, v_result.code, v_result.reason;
  end if;
  return format('%s has profile %s: trust %s, %s', p_agent, v_name, p_trust, p_settings);
end;
$$;

-- Back to the session user with no request identity (what the client does after a call).
create or replace function coord_test.logout()
returns text
language plpgsql
as $$
begin
  perform set_config('role', 'none', true);
  perform set_config('request.headers', '', true);
  perform set_config('request.jwt.claims', '', true);
  perform set_config('coord.vouch', '', true);
  return 'logged out';
end;
$$;

-- Move the coordinator's clock (coord.now()) forward: leases, claims and sessions expire,
-- time windows pass. Works while logged in.
create or replace function coord_test.advance_clock(p_by interval)
returns text
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_now timestamptz;
begin
  if not exists (select from pg_temp.coord_test_state) then
    insert into pg_temp.coord_test_state select c.offset_by from coord.clock as c;
  end if;
  update coord.clock set offset_by = offset_by + p_by;
  v_now := coord.now();
  perform coord_test._resume(v_saved);
  return format('clock moved by %s to %s', p_by, v_now);
end;
$$;

-- The audit events this transaction wrote, oldest first, optionally for one action (* matches
-- any run of characters: lock.*) and one tenant label.
create or replace function coord_test.events(p_action text default '*', p_tenant text default null)
returns setof audit.events
language plpgsql
as $$
declare
  v_saved text[] := coord_test._suspend();
  v_tenant uuid := case when p_tenant is not null then coord_test.tenant_id(p_tenant) end;
begin
  return query
    select e.* from audit.events as e
    -- written by this transaction (or its subtransactions): the only visible rows whose writer
    -- is still in progress. Not e.txid: that is the event's stream position, the transaction's
    -- id only for its first call (docs/events.md).
    where pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8)
          = 'in progress'
      and e.action like replace(replace(p_action, '_', '\_'), '*', '%')
      and (v_tenant is null or e.tenant_id = v_tenant)
    order by e.id;
  perform coord_test._resume(v_saved);
end;
$$;

-- The newest event of this transaction for an action (and target id), or a row of nulls.
create or replace function coord_test.last_event(p_action text, p_target_id text default null)
returns audit.events
language sql
as $$
  select e from coord_test.events(p_action) as e
  where p_target_id is null or e.target_id = p_target_id
  order by e.id desc limit 1
$$;

-- Undo what the helpers changed in this transaction before it ends: the request identity and
-- the clock. Specs roll back anyway; this is for a spec that goes on after time travel.
create or replace function coord_test.cleanup()
returns text
language plpgsql
as $$
begin
  perform coord_test.logout();
  perform coord_test._memory();
  update coord.clock set offset_by = s.clock_offset from pg_temp.coord_test_state as s;
  delete from pg_temp.coord_test_state;
  return 'cleaned up: logged out, clock restored';
end;
$$;

grant execute on all functions in schema coord_test to public;
