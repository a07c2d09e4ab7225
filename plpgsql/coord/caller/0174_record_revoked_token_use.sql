-- coord:owner coord_auth
-- Called by coord.verify_token just before it refuses a revoked token. The refusal is an error,
-- so the caller's transaction aborts and nothing it writes survives; the attempt is therefore
-- recorded through a second connection to this database (dblink over the local socket, as
-- coord_loopback), which commits on its own. Callers cannot reach dblink (no usage on its
-- schema) or this function; the loopback role can only call coord.note_revoked_token. When
-- the loopback is unavailable the refusal still happens and a WARNING goes to the server log.
create or replace function coord.record_revoked_token_use(p_token_hash bytea)
returns boolean
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_conninfo text;
  v_request jsonb;
begin
  select l.conninfo into v_conninfo from coord.loopback as l;
  if v_conninfo is null then
    raise warning using message = 'coord: the use of a revoked token was not recorded: the loopback is not configured',
      hint = 'set coord.loopback.conninfo (see docs/security.md)';
    return false;
  end if;
  v_request := audit.request_context();
  begin
    if 'coord_loopback' = any (coalesce(dblink.dblink_get_connections(), '{}')) then
      perform dblink.dblink_disconnect('coord_loopback');
    end if;
    perform dblink.dblink_connect_u('coord_loopback', format(
      '%s dbname=''%s'' user=coord_loopback application_name=coord_loopback connect_timeout=5 '
      'options=''-c lock_timeout=2s -c statement_timeout=5s''',
      v_conninfo, replace(replace(pg_catalog.current_database(), '\', '\\'), '''', '\''')));
    -- a DO block: dblink_exec refuses a statement that returns rows (a select), after the
    -- remote side has already run it
    perform dblink.dblink_exec('coord_loopback',
      format('do $note$ begin perform coord.note_revoked_token(%L::bytea, %L::jsonb); end $note$', p_token_hash, v_request));
    perform dblink.dblink_disconnect('coord_loopback');
    return true;
  exception when others then
    begin
      if 'coord_loopback' = any (coalesce(dblink.dblink_get_connections(), '{}')) then
        perform dblink.dblink_disconnect('coord_loopback');
      end if;
    exception when others then
      null;
    end;
    raise warning using message = format('coord: the use of a revoked token was not recorded: %s', sqlerrm);
    return false;
  end;
end;
$$;

comment on function coord.record_revoked_token_use(bytea) is 'Records, in its own transaction over the loopback connection, that the revoked token with this SHA-256 was presented; false (and a WARNING in the server log) when the loopback is unavailable.';
revoke all on function coord.record_revoked_token_use(bytea) from public;
