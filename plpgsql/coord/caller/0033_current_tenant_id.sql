-- coord:owner coord_auth
-- Tenant of the verified caller, for row-level security; null (no rows) when unauthenticated.
-- Every RLS-protected statement evaluates it once (as an initplan), a dozen times per api call:
-- it reads the tenant from coord.principal_cache when try_principal filled it in this call
-- (under the same key try_principal checks), and asks try_principal otherwise.
-- An SQL-standard body without SECURITY DEFINER or SET clauses, so the planner inlines it: the
-- initplan is this expression, not a function entry (tests/test_inline_helpers.py). That is
-- safe: the body's names are bound when it is created, so no search_path reaches it; it reads
-- only settings, which it could as any role; it runs as whoever evaluates the policy, and only
-- coord_owner (besides its owner) may execute it or the try_principal it falls back to. The
-- cache it reads is reset on entry to every function a client may execute, as before.
-- Each function in an inlined expression is set up again for every statement that runs it, so
-- the expression is kept short: the tenant is the third '|'-separated field of the entry, which
-- starts with the key (a hex vouch and a role name: try_principal only files a verified vouch,
-- and no role of the product has a '|' in its name; creating roles is the superuser's).
create or replace function coord.current_tenant_id()
returns uuid
language sql
stable
return case
  -- the key try_principal files the caller under (<vouch>|<role>|); null without a vouch
  when pg_catalog.starts_with(pg_catalog.current_setting('coord.principal_cache', true),
                              nullif(pg_catalog.current_setting('coord.vouch', true), '') || '|'
                              || pg_catalog.current_setting('role') || '|')
  then pg_catalog.split_part(pg_catalog.current_setting('coord.principal_cache'), '|', 3)::uuid
  else (coord.try_principal()).tenant_id
end;

comment on function coord.current_tenant_id() is 'Tenant of the vouched principal, or null. Every RLS policy compares tenant_id with it.';
revoke all on function coord.current_tenant_id() from public;
grant execute on function coord.current_tenant_id() to coord_owner;
