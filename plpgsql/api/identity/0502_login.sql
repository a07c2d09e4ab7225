-- psql convenience: authenticate with a token for the rest of the current transaction.
create or replace function api.login(p_token text)
returns api.principal_info
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
begin
  -- A JWT (three base64url segments) travels as PostgREST would receive it.
  if p_token ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$' then
    perform pg_catalog.set_config('request.headers', jsonb_build_object('authorization', 'Bearer ' || p_token)::text, true);
  else
    perform pg_catalog.set_config('request.headers', jsonb_build_object('x-coord-token', p_token)::text, true);
  end if;
  return api.pre_request();
end;
$$;

comment on function api.login(text) is 'For psql: inside BEGIN ... COMMIT, authenticates with p_token exactly as a request carrying it would (an opaque token in the x-coord-token header, a JWT as Authorization: Bearer), and switches role. Lasts until the transaction ends.';
revoke all on function api.login(text) from public;
grant execute on function api.login(text) to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
