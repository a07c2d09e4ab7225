-- Trust level (0-4) of the verified caller, never taken from arguments: an agent's from its
-- profile; operators are the admins (4); auditors only read (1).
create or replace function coord.current_trust()
returns smallint
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
begin
  return case v_me.role
    when 'operator' then 4
    when 'auditor' then 1
    else coalesce((coord.effective_profile(v_me)).trust_level, 0)
  end;
end;
$$;

comment on function coord.current_trust() is 'Trust level 0-4 of the vouched principal: an agent''s from its profile (own or tenant default), 4 for operators, 1 for auditors. Raises PT401 when unauthenticated.';
revoke all on function coord.current_trust() from public;
