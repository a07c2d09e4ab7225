-- No policy: only the migrator (a superuser) reads or writes the ledger.
alter table coord.schema_migrations enable row level security;
alter table coord.schema_migrations force row level security;

revoke all on coord.schema_migrations from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
