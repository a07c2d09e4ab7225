-- The verified caller; raises PT401 when there is none. Every api function starts here.
create or replace function coord.principal()
returns coord.caller
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal coord.caller := coord.try_principal();
begin
  if v_principal.principal_id is null then
    perform coord.fail('PT401',
      'no verified principal in this transaction: the token is missing, or the claims were set or changed without it, or the role was switched');
  end if;
  return v_principal;
end;
$$;

comment on function coord.principal() is 'The verified caller (id, kind, name, role, tenant, scopes, session, token, repository, skill of the session); raises PT401 when the transaction carries no vouched principal.';
revoke all on function coord.principal() from public;
