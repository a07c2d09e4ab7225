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
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
  select t.id, p.name, t.prefix, t.label, t.scopes, t.created_at, t.expires_at, t.revoked_at
  from coord.tokens as t
  join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id,
  authz.require_read('principal.list') as me
  where t.tenant_id = me.tenant_id
  order by t.created_at, t.id;
$$;

comment on function api.list_tokens() is 'Operators and auditors: tokens of your tenant (never the token text; prefix identifies one).';
revoke all on function api.list_tokens() from public;
grant execute on function api.list_tokens() to coord_operator, coord_auditor;
