-- The bytes of a base64url segment, or null when the text is not the canonical unpadded
-- encoding of some bytes: other characters, padding, an impossible length, or unused low bits
-- that are not zero. Only one text decodes to given bytes, so a changed character of a JWT
-- always changes what is verified.
create or replace function coord.base64url_decode(p_text text)
returns bytea
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_data bytea;
begin
  if p_text !~ '^[A-Za-z0-9_-]*$' or pg_catalog.length(p_text) % 4 = 1 then
    return null;
  end if;
  v_data := pg_catalog.decode(pg_catalog.rpad(pg_catalog.translate(p_text, '-_', '+/'),
                                              (pg_catalog.length(p_text) + 3) / 4 * 4, '='), 'base64');
  if coord.base64url_encode(v_data) <> p_text then
    return null;
  end if;
  return v_data;
end;
$$;

comment on function coord.base64url_decode(text) is 'The bytes of a canonical unpadded base64url text; null for anything else (other characters, padding, a length of 4n+1, non-zero unused bits).';
revoke all on function coord.base64url_decode(text) from public;
grant execute on function coord.base64url_decode(text) to coord_auth;
