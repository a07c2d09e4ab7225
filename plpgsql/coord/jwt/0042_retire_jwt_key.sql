-- coord:owner coord_auth
-- Admin (superuser) only: JWTs signed with key p_kid stop verifying. The newest key that is not
-- retired cannot be retired while it is the only one (nothing could sign); rotate first.
create or replace function coord.retire_jwt_key(p_kid text)
returns timestamptz
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_retired_at timestamptz;
begin
  perform from coord.jwt_keys as k where k.kid = p_kid and k.retired_at is null for update;
  if not found then
    perform coord.fail('CO541', format('JWT key %s', pg_catalog.quote_literal(left(coalesce(p_kid, 'null'), 40))));
  end if;
  if not exists (select from coord.jwt_keys as k where k.kid <> p_kid and k.retired_at is null) then
    perform coord.fail('CO542', format('JWT key %s is the only key that is not retired', p_kid));
  end if;
  update coord.jwt_keys as k set retired_at = pg_catalog.clock_timestamp()
  where k.kid = p_kid
  returning k.retired_at into v_retired_at;
  return v_retired_at;
end;
$$;

comment on function coord.retire_jwt_key(text) is 'Retires JWT key p_kid: tokens it signed no longer verify. CO541 unknown or already retired key, CO542 the last key that is not retired (rotate first).';
revoke all on function coord.retire_jwt_key(text) from public;
