-- coord:superuser
-- Schemas by visibility: api is the only callable surface; coord, authz and audit grant nothing.
create schema if not exists api authorization coord_owner;
create schema if not exists authz authorization coord_owner;
create schema if not exists audit authorization coord_owner;

revoke all on schema api, authz, audit from public;
revoke create on schema public from public;

-- Request roles reach the api schema only; the auth owner reads identity tables.
grant usage on schema api to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant usage on schema coord to coord_auth;
-- coord_auth owns the few functions that must see identity rows before a tenant is known;
-- it gets CREATE on coord and api only inside the migration transaction that re-creates them.
grant usage on schema coord, api to coord_auth;

-- Functions are executable by PUBLIC by default; every grant is explicit instead.
alter default privileges for role coord_owner revoke execute on functions from public;
alter default privileges for role coord_auth revoke execute on functions from public;
