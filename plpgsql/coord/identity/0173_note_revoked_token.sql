-- coord:owner coord_auth
-- Runs in the loopback session (as coord_loopback, which may call nothing else): records that
-- the token with this SHA-256 was presented although revoked, and commits on its own. It
-- records only for a token that is revoked, so the loopback cannot fabricate events about
-- live tokens, and it needs the token's hash, which only someone who held the token knows.
-- The actor is the token's principal, unauthenticated (details.authenticated = false).
create or replace function coord.note_revoked_token(p_token_hash bytea, p_request jsonb default null)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v record;
  v_id bigint;
begin
  select t.id as token_id, t.tenant_id, t.revoked_at, p.id as principal_id, p.kind, p.name
  into v
  from coord.tokens as t
  join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
  where t.token_hash = p_token_hash;
  if not found or v.revoked_at is null then
    return null;
  end if;
  insert into audit.events (txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type,
                            target_id, decision, rule, reason, severity, details, request)
  values (audit.declare_event_writer(v.tenant_id), v.tenant_id, coord.now(), v.kind, v.principal_id, v.name, 'auth.revoked_token', 'token',
          v.token_id::text, 'refused', 'token.revoked', format('token %s was revoked at %s', v.token_id, v.revoked_at),
          'critical',
          jsonb_build_object('token_id', v.token_id, 'revoked_at', v.revoked_at, 'authenticated', false,
                             'recorded_by', 'loopback'),
          case when jsonb_typeof(p_request) = 'object' then p_request end)
  returning id into v_id;
  perform audit.announce_events(v.tenant_id);  -- rare enough to announce whether followed or not
  return v_id;
end;
$$;

comment on function coord.note_revoked_token(bytea, jsonb) is 'Loopback only: audits (auth.revoked_token, refused, critical) the use of the revoked token with this SHA-256; null when no revoked token has it.';
revoke all on function coord.note_revoked_token(bytea, jsonb) from public;
grant execute on function coord.note_revoked_token(bytea, jsonb) to coord_loopback;
