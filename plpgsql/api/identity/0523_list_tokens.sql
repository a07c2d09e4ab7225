-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_tokens()
returns table (
  token_id uuid,
  principal_name text,
  prefix text,
  label text,
  scopes text[],
  created_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('principal.list');
begin
  return query
    select t.id, p.name, t.prefix, t.label, t.scopes, t.created_at, t.expires_at, t.revoked_at
    from coord.tokens as t
    join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
    where t.tenant_id = v_me.tenant_id
    order by t.created_at, t.id;
end;
$$;

comment on function api.list_tokens() is 'Operators and auditors: tokens of your tenant (never the token text; prefix identifies one).';
revoke all on function api.list_tokens() from public;
grant execute on function api.list_tokens() to coord_operator, coord_auditor;
