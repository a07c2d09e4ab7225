-- No policy: only coord_auth (BYPASSRLS) reads the keys; everyone else, the owner included, sees nothing.
alter table coord.secrets enable row level security;
alter table coord.secrets force row level security;

revoke all on coord.secrets from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (name, value) on coord.secrets to coord_auth;
