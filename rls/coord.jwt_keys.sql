-- No policy: only coord_auth (BYPASSRLS) reads the keys; everyone else, the owner included, sees nothing.
alter table coord.jwt_keys enable row level security;
alter table coord.jwt_keys force row level security;

revoke all on coord.jwt_keys from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (kid, secret, created_at, retired_at) on coord.jwt_keys to coord_auth;
-- coord.rotate_jwt_key adds keys and coord.retire_jwt_key retires them (both admin-only).
grant insert (kid, secret), update (retired_at) on coord.jwt_keys to coord_auth;
