-- coord:owner coord_auth
-- Resolve an opaque bearer token to its principal. Runs before any tenant is known, hence
-- owned by coord_auth (BYPASSRLS) and kept to this one lookup by hash.
create or replace function coord.verify_token(p_token text)
returns coord.caller
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_token is null or p_token = '' then
    perform coord.fail('PT401', 'the token is empty');
  end if;
  return coord.token_caller(p_token_hash => pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8')));
end;
$$;

comment on function coord.verify_token(text) is 'The principal an opaque token stands for; PT401 when the token is unknown, revoked, expired, or its principal or tenant is disabled. A revoked token''s use is audited through the loopback (coord.record_revoked_token_use) before the refusal.';
revoke all on function coord.verify_token(text) from public;
