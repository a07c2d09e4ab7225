-- coord:owner coord_auth
-- The claims of a compact JWT once it verifies: three canonical base64url segments, a JSON
-- header with alg HS256 (none and every other algorithm refused, as is any crit extension), a
-- kid naming a key (or none: the current key), a signature that is the
-- HMAC-SHA256 of the first two segments under that key, and a JSON object payload whose exp
-- (required) is after and whose nbf (optional) is not after coord.now(). Anything else is PT401.
create or replace function coord.jwt_claims(p_jwt text)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c_hint constant text := 'send a JWT that coord token issue --jwt minted, unchanged, as Authorization: Bearer <jwt>';
  v_parts text[];
  v_header jsonb;
  v_claims jsonb;
  v_signature bytea;
  v_secret bytea;
  v_now numeric := extract(epoch from coord.now());
begin
  if p_jwt is null or pg_catalog.length(p_jwt) > 8192 then
    perform coord.fail('PT401', 'the bearer token is empty or longer than 8192 characters', c_hint);
  end if;
  v_parts := pg_catalog.string_to_array(p_jwt, '.');
  if pg_catalog.cardinality(v_parts) <> 3 then
    perform coord.fail('PT401', format('the bearer token has %s dot-separated parts, a JWT has 3',
                                       pg_catalog.cardinality(v_parts)), c_hint);
  end if;
  v_signature := coord.base64url_decode(v_parts[3]);
  begin
    v_header := pg_catalog.convert_from(coord.base64url_decode(v_parts[1]), 'UTF8')::jsonb;
    v_claims := pg_catalog.convert_from(coord.base64url_decode(v_parts[2]), 'UTF8')::jsonb;
  -- Any data exception of decoding or parsing (bad text, bad encoding, a number out of range
  -- such as 1e200000, nesting too deep) is a token that does not verify.
  exception when data_exception or statement_too_complex then
    perform coord.fail('PT401', 'a JWT segment is not base64url-encoded UTF-8 JSON', c_hint);
  end;
  if v_header is null or v_claims is null or v_signature is null then
    perform coord.fail('PT401', 'a JWT segment is not canonical unpadded base64url', c_hint);
  elsif pg_catalog.jsonb_typeof(v_header) <> 'object' or pg_catalog.jsonb_typeof(v_claims) <> 'object' then
    perform coord.fail('PT401', 'the JWT header or payload is not a JSON object', c_hint);
  elsif (v_header ->> 'alg') is distinct from 'HS256' or pg_catalog.jsonb_typeof(v_header -> 'alg') <> 'string' then
    perform coord.fail('PT401', format('JWT algorithm %s is not accepted', coalesce(left(v_header ->> 'alg', 40), 'missing')),
      'only HS256 JWTs minted by coord token issue --jwt are accepted');
  elsif v_header ? 'crit' then
    perform coord.fail('PT401', 'the JWT header has critical extensions (crit)', c_hint);
  end if;

  if v_header ? 'kid' then
    select k.value into v_secret from coord.secrets as k where k.name = 'jwt:' || (v_header ->> 'kid');
  else
    select k.value into v_secret from coord.secrets as k where k.name like 'jwt:%'
    order by k.created_at desc, k.name limit 1;
  end if;
  -- Compared as hashes: the comparison's early exit then tells nothing about the signature.
  if v_secret is null or pg_catalog.sha256(v_signature) is distinct from pg_catalog.sha256(
       coord.hmac_sha256(v_secret, pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'UTF8'))) then
    perform coord.fail('PT401', 'the JWT signature does not verify (changed, or signed with another or a retired key)', c_hint);
  end if;

  if pg_catalog.jsonb_typeof(v_claims -> 'exp') is distinct from 'number' then
    perform coord.fail('PT401', 'the JWT has no numeric exp claim', c_hint);
  elsif (v_claims ->> 'exp')::numeric <= v_now then
    perform coord.fail('PT401', format('the JWT expired (exp %s, now %s)', left(v_claims ->> 'exp', 40), floor(v_now)),
      'issue a new one with coord token issue --jwt');
  elsif v_claims ? 'nbf' and (pg_catalog.jsonb_typeof(v_claims -> 'nbf') <> 'number'
                              or (v_claims ->> 'nbf')::numeric > v_now) then
    perform coord.fail('PT401', format('the JWT is not valid yet (nbf %s, now %s)', left(v_claims ->> 'nbf', 40), floor(v_now)),
      'wait until its nbf time, or check the clock of whoever minted it');
  end if;
  return v_claims;
end;
$$;

comment on function coord.jwt_claims(text) is 'The claims of a compact HS256 JWT whose signature verifies under a JWT key of coord.secrets (jwt:<kid>) and which is within exp and nbf at coord.now(); PT401 otherwise (malformed, alg none or any other algorithm, crit, unknown or retired kid, bad signature, no exp, expired, not yet valid).';
revoke all on function coord.jwt_claims(text) from public;
