-- Keys every write paid for and nothing needed (measured in docs/benchmarks.md, "Lean hot paths").
--
-- locks_tenant_path_idx (tenant_id, repository, path) is the leading part of the unique
-- locks_holder_path_key (tenant_id, repository, path, holder_id, session_id), which serves every
-- lookup by path as well: each grant wrote both.
drop index coord.locks_tenant_path_idx;

-- A table whose rows name a principal (or an alert rule) of their tenant by a composite key
-- (tenant_id, x), x never null, needs no key of its own to coord.tenants: the row it names
-- belongs to an existing tenant, and deleting the tenant still removes the rows (tenant ->
-- principals or alert rules -> these rows, each ON DELETE CASCADE). The check of the redundant
-- key took a KEY SHARE lock on the tenant's one row in every grant, submission and session
-- start, shared by all of the tenant's agents.
alter table coord.locks drop constraint locks_tenant_id_fkey;        -- locks_holder_fkey
alter table coord.tasks drop constraint tasks_tenant_id_fkey;        -- tasks_submitted_by_fkey
alter table coord.tokens drop constraint tokens_tenant_id_fkey;      -- tokens_principal_fkey
alter table coord.sessions drop constraint sessions_tenant_id_fkey;  -- sessions_agent_fkey
alter table coord.handoffs drop constraint handoffs_tenant_id_fkey;  -- handoffs_author_fkey
alter table coord.alerts drop constraint alerts_tenant_id_fkey;      -- alerts_rule_fkey
