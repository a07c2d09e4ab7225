-- A new opaque token for a principal: 256 random bits (two gen_random_uuid draws, 244 bits of
-- entropy), returned once; only its SHA-256 is stored.
create or replace function coord.issue_token(
  p_tenant_id uuid,
  p_principal_id uuid,
  p_scopes text[] default '{*}',
  p_expires_in interval default null,
  p_label text default null,
  p_repository text default null
)
returns api.token_grant
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_token text := 'coord_' || encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'hex');
  v_principal record;
  v_token_id uuid;
  v_expires_at timestamptz;
begin
  perform coord.check_list(p_scopes, 'scopes');
  if p_scopes is null or cardinality(p_scopes) not between 1 and 64 or exists (
    select from unnest(p_scopes) as s where s is null or s !~ '^(\*|[a-z_]+:(\*|read|write|claim))$'
  ) then
    perform coord.fail('CO222', format('scopes %s', coalesce(left(p_scopes::text, 200), 'null')));
  end if;
  if p_repository is not null then
    perform coord.check_repository(p_repository);
  end if;
  if p_expires_in is not null then
    perform coord.check_interval(p_expires_in, 'CO223', 'expires in', interval '1 microsecond', interval '100 years');
  end if;

  select p.name, p.role, t.name as tenant_name
  into v_principal
  from coord.principals as p
  join coord.tenants as t on t.id = p.tenant_id
  where p.tenant_id = p_tenant_id and p.id = p_principal_id;
  if not found then
    perform coord.fail('CO302', format('principal %s', p_principal_id));
  end if;

  v_expires_at := coord.now() + p_expires_in;
  insert into coord.tokens (tenant_id, principal_id, token_hash, prefix, label, scopes, created_at, expires_at, repository)
  values (p_tenant_id, p_principal_id, sha256(convert_to(v_token, 'UTF8')), left(v_token, 14), p_label,
          p_scopes, coord.now(), v_expires_at, p_repository)
  returning id into v_token_id;

  perform audit.record('token.issue', 'issued', 'token', v_token_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('principal_id', p_principal_id, 'principal_name', v_principal.name,
                                         'scopes', p_scopes, 'expires_at', v_expires_at, 'label', p_label,
                                         'repository', p_repository)),
    p_tenant_id => p_tenant_id);

  return coord.token_result('issued', p_principal_id => p_principal_id, p_principal_name => v_principal.name,
    p_tenant_name => v_principal.tenant_name, p_role => v_principal.role::text, p_token_id => v_token_id,
    p_token => v_token, p_scopes => p_scopes, p_expires_at => v_expires_at);
end;
$$;

comment on function coord.issue_token(uuid, uuid, text[], interval, text, text) is 'Issues a token for a principal of the tenant; the token text is returned once and only its SHA-256 is stored. p_repository: the repository its calls act in outside a session (null: default). CO207 bad repository, CO241/CO222 bad scopes, CO223 bad lifetime (over 100 years too), CO302 unknown principal.';
revoke all on function coord.issue_token(uuid, uuid, text[], interval, text, text) from public;
