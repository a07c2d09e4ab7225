-- coord:owner coord_auth
-- Admin (superuser) only: JWTs signed with key p_kid stop verifying; the key is deleted. The
-- last key cannot be retired (every JWT would stop verifying at once and the next mint would
-- make a key PostgREST does not know): rotate first.
create or replace function coord.retire_jwt_key(p_kid text)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Two retirements at once must not leave no key: one at a time.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('coord.retire_jwt_key'));
  if not exists (select from coord.secrets as k where k.name = 'jwt:' || p_kid) then
    perform coord.fail('CO511', format('JWT key %s', pg_catalog.quote_literal(left(coalesce(p_kid, 'null'), 40))));
  end if;
  if not exists (select from coord.secrets as k where k.name like 'jwt:%' and k.name <> 'jwt:' || p_kid) then
    perform coord.fail('CO512', format('JWT key %s is the only key', p_kid));
  end if;
  delete from coord.secrets as k where k.name = 'jwt:' || p_kid;
  return p_kid;
end;
$$;

comment on function coord.retire_jwt_key(text) is 'Retires (deletes) JWT key p_kid: tokens it signed no longer verify. CO511 unknown (or already retired) key, CO512 the last key (rotate first).';
revoke all on function coord.retire_jwt_key(text) from public;
