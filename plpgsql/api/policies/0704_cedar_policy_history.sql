-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
create or replace function api.cedar_policy_history()
returns table (
  version integer,
  reason text,
  created_by text,
  created_at timestamptz,
  rolled_back_from integer,
  sha256 text,
  current boolean
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('policy.read');
begin
  return query
    select c.version, c.reason, c.created_by_name, c.created_at, c.rolled_back_from,
           encode(sha256(convert_to(c.policy, 'UTF8')), 'hex'),
           c.version = max(c.version) over ()
    from authz.cedar_policies as c
    where c.tenant_id = v_me.tenant_id
    order by c.version desc;
end;
$$;

comment on function api.cedar_policy_history() is 'Every Cedar policy version of the tenant, newest first: who stored it, when, why, the version a rollback restored, the SHA-256 of its text, and which is in force. Read-only. Errors: PT403.';
revoke all on function api.cedar_policy_history() from public;
grant execute on function api.cedar_policy_history() to coord_operator, coord_auditor;
