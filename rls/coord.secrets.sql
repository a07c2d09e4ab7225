-- No policy: only coord_auth (BYPASSRLS) reads the keys; everyone else, the owner included, sees nothing.
alter table coord.secrets enable row level security;
alter table coord.secrets force row level security;

revoke all on coord.secrets from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (name, value) on coord.secrets to coord_auth;
-- JWT signing keys are rows named jwt:<kid> (coord.jwt_signing_key and coord.rotate_jwt_key add
-- them, coord.retire_jwt_key deletes them).
grant select (created_at), insert (name, value), delete on coord.secrets to coord_auth;
