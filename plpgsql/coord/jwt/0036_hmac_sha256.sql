-- HMAC-SHA256 (RFC 2104, block size 64 bytes) from the built-in sha256(): pgcrypto's hmac() is
-- not available on the embedded server. A key longer than a block is hashed first; the key is
-- zero-padded to a block and XORed with the pads eight bytes at a time (bigint #).
create or replace function coord.hmac_sha256(p_key bytea, p_message bytea)
returns bytea
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key bytea := case when pg_catalog.octet_length(p_key) > 64 then pg_catalog.sha256(p_key) else p_key end;
  v_inner bytea := ''::bytea;
  v_outer bytea := ''::bytea;
  v_word bigint;
begin
  v_key := v_key || pg_catalog.decode(pg_catalog.repeat('00', 64 - pg_catalog.octet_length(v_key)), 'hex');
  for i in 0..7 loop
    v_word := ('x' || pg_catalog.encode(pg_catalog.substr(v_key, i * 8 + 1, 8), 'hex'))::bit(64)::bigint;
    v_inner := v_inner || pg_catalog.int8send(v_word # x'3636363636363636'::bigint);
    v_outer := v_outer || pg_catalog.int8send(v_word # x'5c5c5c5c5c5c5c5c'::bigint);
  end loop;
  return pg_catalog.sha256(v_outer || pg_catalog.sha256(v_inner || p_message));
end;
$$;

comment on function coord.hmac_sha256(bytea, bytea) is 'HMAC-SHA256 of p_message under p_key (RFC 2104; checked against the RFC 4231 test vectors).';
revoke all on function coord.hmac_sha256(bytea, bytea) from public;
grant execute on function coord.hmac_sha256(bytea, bytea) to coord_auth;
