-- Internal code describes the verified caller with a type of its own: api.principal_info is
-- the public result type of api.authenticate and stays as it is for clients; coord.caller is
-- what coord, authz and audit pass around, so the internal shape can change without changing
-- the api. The functions that returned the public type are dropped here because a function's
-- return type cannot be replaced in place; their plpgsql/ files create them again.
create type coord.caller as (
  principal_id uuid,
  kind text,
  name text,
  role text,
  tenant_id uuid,
  tenant_name text,
  scopes text[],
  session_id uuid,
  token_id uuid,
  token_expires_at timestamptz
);
comment on type coord.caller is 'The verified caller inside the database: who, in which tenant, as which role, with which token scopes, in which session (the api returns it as api.principal_info).';

-- Every internal function returning the public type, whatever its arguments were in the release
-- being upgraded (authz.require_read had two).
do $$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where p.prorettype = 'api.principal_info'::regtype
      and p.pronamespace::regnamespace::text in ('coord', 'authz', 'audit')
  loop
    execute pg_catalog.format('drop function %s', v_function);
  end loop;
end;
$$;
