-- Product configuration: owner functions read the declared login settings; only superusers
-- change them.
alter table coord.login_policy enable row level security;
alter table coord.login_policy force row level security;

drop policy if exists login_policy_read on coord.login_policy;
create policy login_policy_read on coord.login_policy for select to coord_owner using (true);

revoke all on coord.login_policy from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
