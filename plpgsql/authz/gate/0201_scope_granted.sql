create or replace function authz.scope_granted(p_scopes text[], p_scope text)
returns boolean
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select p_scopes && array['*', p_scope, split_part(p_scope, ':', 1) || ':*'];
$$;

comment on function authz.scope_granted(text[], text) is 'True when the token scopes include *, the scope itself, or its resource wildcard (locks:*).';
revoke all on function authz.scope_granted(text[], text) from public;
