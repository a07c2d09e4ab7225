-- The first shipped rule set, kept as it was: nobody reads it but the owner.
alter table authz.guardrail_defaults_v1 enable row level security;
alter table authz.guardrail_defaults_v1 force row level security;

drop policy if exists guardrail_defaults_v1_read on authz.guardrail_defaults_v1;
create policy guardrail_defaults_v1_read on authz.guardrail_defaults_v1 for select to coord_owner using (true);

revoke all on authz.guardrail_defaults_v1 from public, coord_authenticator, coord_anon, coord_agent, coord_operator,
  coord_auditor;
