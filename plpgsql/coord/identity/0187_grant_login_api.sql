-- Admin path (superuser): what a bound login may reach itself, the same as the gateway
-- coord_authenticator: the api schema and the functions that authenticate a request before it
-- has a role (tests/test_logins.py checks a bound login may call exactly what the gateway may).
-- coord.add_login grants it to a new login; coord migrate grants it to every bound login after
-- re-applying plpgsql/, so a function added here reaches the logins made before.
create or replace function coord.grant_login_api(p_role text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  execute format('grant usage on schema api to %I', p_role);
  execute format('grant execute on function api.authenticate(), api.pre_request(), api.login(text), '
                 'api.begin_request(text, text, boolean) to %I', p_role);
end;
$$;

comment on function coord.grant_login_api(text) is 'Admin path: grants a bound login what the gateway holds itself: USAGE on schema api and EXECUTE on api.authenticate, api.pre_request, api.login and api.begin_request.';
revoke all on function coord.grant_login_api(text) from public;
