-- Rotation: a new token with the old one's scopes, label and repository; the old one expires at
-- the end of the grace period (at once: revoked) and names its successor. Audited.
create or replace function coord.rotate_token(p_tenant_id uuid, p_token_id uuid, p_grace interval)
returns api.token_grant
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_old record;
  v_new api.token_grant;
  v_now timestamptz := coord.now();
  v_until timestamptz;
begin
  select t.id, t.principal_id, t.scopes, t.label, t.repository, t.expires_at, t.revoked_at, p.name
  into v_old
  from coord.tokens as t
  join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
  where t.tenant_id = p_tenant_id and t.id = p_token_id
  for update of t;
  if not found then
    perform coord.fail('CO303', format('token %s', p_token_id));
  end if;
  if v_old.revoked_at is not null or v_old.expires_at <= v_now then
    return coord.token_result('not_live', format('token %s is revoked or expired', p_token_id),
                              p_principal_id => v_old.principal_id, p_principal_name => v_old.name,
                              p_token_id => p_token_id);
  end if;

  v_new := coord.issue_token(p_tenant_id, v_old.principal_id, v_old.scopes, null, v_old.label, v_old.repository);
  if p_grace = interval '0' then
    update coord.tokens set revoked_at = v_now, replaced_by = v_new.token_id where id = p_token_id;
    v_until := v_now;
  else
    v_until := least(v_old.expires_at, v_now + p_grace);
    update coord.tokens set expires_at = v_until, replaced_by = v_new.token_id where id = p_token_id;
  end if;
  perform audit.record('token.rotate', 'rotated', 'token', p_token_id::text, null,
    jsonb_build_object('principal_name', v_old.name, 'replaced_by', v_new.token_id, 'refused_from', v_until,
                       'grace', p_grace::text),
    p_tenant_id => p_tenant_id, p_severity => 'notice');
  return coord.token_result('rotated', format('token %s is refused from %s', p_token_id, v_until),
    p_principal_id => v_new.principal_id, p_principal_name => v_new.principal_name,
    p_tenant_name => v_new.tenant_name, p_role => v_new.role, p_token_id => v_new.token_id,
    p_token => v_new.token, p_scopes => v_new.scopes, p_expires_at => v_new.expires_at);
end;
$$;

comment on function coord.rotate_token(uuid, uuid, interval) is 'Replaces a live token of the tenant by a new one with its scopes, label and repository; the old one is revoked (grace 0) or expires after p_grace (never later than it would have), and names its successor in replaced_by. rotated or not_live; CO303 unknown token.';
revoke all on function coord.rotate_token(uuid, uuid, interval) from public;
