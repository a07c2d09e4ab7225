-- Gate for read-only api functions: a refused read is an error (PT403), since a read
-- cannot commit an audit record of its own denial.
create or replace function authz.require_read(p_action text, p_resource text default null)
returns coord.caller
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_decision authz.decision := authz.decide(p_action, p_resource);
begin
  if not v_decision.allowed then
    perform coord.fail('PT403', format('%s: %s (rule %s)', p_action, v_decision.reason, v_decision.rule));
  end if;
  return coord.principal();
end;
$$;

comment on function authz.require_read(text, text) is 'Read gate: the principal when authz.decide allows the read action, PT403 otherwise.';
revoke all on function authz.require_read(text, text) from public;
