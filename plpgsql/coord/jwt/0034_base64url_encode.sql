-- base64url without padding (RFC 4648 §5), the alphabet of JWT segments.
create or replace function coord.base64url_encode(p_data bytea)
returns text
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(p_data, 'base64'), E'+/\n', '-_'), '=');
$$;

comment on function coord.base64url_encode(bytea) is 'base64url of p_data without padding (RFC 4648 section 5), as JWT segments are written.';
revoke all on function coord.base64url_encode(bytea) from public;
grant execute on function coord.base64url_encode(bytea) to coord_auth;
