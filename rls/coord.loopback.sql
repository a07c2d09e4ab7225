-- No policy: only coord_auth (BYPASSRLS) reads where the loopback connects.
alter table coord.loopback enable row level security;
alter table coord.loopback force row level security;
revoke all on coord.loopback from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor, coord_loopback;
grant select (conninfo) on coord.loopback to coord_auth;
