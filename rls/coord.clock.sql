-- Everyone who reaches it through coord.now() may read it; only superusers move it.
alter table coord.clock enable row level security;
alter table coord.clock force row level security;

drop policy if exists clock_read on coord.clock;
create policy clock_read on coord.clock for select to coord_owner, coord_auth using (true);

-- coord_auth included: its read is granted column by column, like every grant on a table.
revoke all on coord.clock from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor, coord_auth;
grant select (singleton, offset_by) on coord.clock to coord_auth;
