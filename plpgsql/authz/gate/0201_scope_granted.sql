-- PL/pgSQL: every decision calls it, and a SQL function with a SET clause is never inlined.
create or replace function authz.scope_granted(p_scopes text[], p_scope text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return p_scopes && array['*', p_scope, pg_catalog.split_part(p_scope, ':', 1) || ':*'];
end;
$$;

comment on function authz.scope_granted(text[], text) is 'True when the token scopes include *, the scope itself, or its resource wildcard (locks:*).';
revoke all on function authz.scope_granted(text[], text) from public;
