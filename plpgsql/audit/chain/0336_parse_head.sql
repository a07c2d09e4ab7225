-- The parts of a printed chain head (audit.chain_head): CO603 for anything else.
create or replace function audit.parse_head(
  p_head text,
  out tenant_id uuid,
  out chain_seq bigint,
  out hash bytea
)
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[];
begin
  v_parts := pg_catalog.regexp_match(pg_catalog.btrim(coalesce(p_head, ''), E' \t\r\n'),
    '^coord-audit-head:1:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([0-9]{1,18}):([0-9a-f]{64})$');
  if v_parts is null then
    raise exception using
      errcode = 'CO603',
      message = 'malformed audit chain head',
      detail = pg_catalog.format('%s is not a printed head', pg_catalog.left(coalesce(p_head, 'null'), 200)),
      hint = 'pass the line coord audit head printed: coord-audit-head:1:<tenant id>:<chain_seq>:<sha256 hex>';
  end if;
  tenant_id := v_parts[1]::uuid;
  chain_seq := v_parts[2]::bigint;
  hash := pg_catalog.decode(v_parts[3], 'hex');
end;
$$;

comment on function audit.parse_head(text) is 'tenant_id, chain_seq and hash of a printed audit chain head (coord-audit-head:1:...); CO603 when malformed.';
revoke all on function audit.parse_head(text) from public;
