-- The shipped default rules are product data: the owner reads them (to seed a new tenant);
-- only migrations change them.
alter table authz.guardrail_defaults enable row level security;
alter table authz.guardrail_defaults force row level security;

drop policy if exists guardrail_defaults_read on authz.guardrail_defaults;
create policy guardrail_defaults_read on authz.guardrail_defaults for select to coord_owner using (true);

revoke all on authz.guardrail_defaults from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
