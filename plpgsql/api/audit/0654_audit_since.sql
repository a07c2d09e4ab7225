-- The audit log as a stream: every event after p_after in the event stream's order and under
-- its visibility rule (coord.audit_stream), so a tail that resumes after the last id it
-- printed never skips an event whose transaction committed late (a cursor on id alone would).
create or replace function api.audit_since(p_after bigint default 0, p_limit integer default 100)
returns table (
  id bigint,
  occurred_at timestamptz,
  actor_type text,
  actor_name text,
  action text,
  target_type text,
  target_id text,
  decision text,
  severity text,
  rule text,
  reason text,
  details jsonb
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('audit.query');
  v_txid xid8;
  v_id bigint;
begin
  perform coord.check_limit(p_limit);
  if p_after < 0 then
    perform coord.fail('CO651', format('event %s', p_after));
  end if;
  select p.txid, p.id into v_txid, v_id from coord.event_position(v_me.tenant_id, p_after) as p;
  return query
  select e.id, e.occurred_at, e.actor_type::text, e.actor_name, e.action, e.target_type, e.target_id,
         e.decision, e.severity, e.rule, e.reason, e.details
  from coord.audit_stream(v_me.tenant_id, v_txid, v_id, p_limit) as e;
end;
$$;

comment on function api.audit_since(bigint, integer) is
'Operators and auditors: every audit event of your tenant after p_after (an id this function or events_since returned; 0: from the start), oldest first in stream order, at most p_limit; only events of finished transactions older than every running one, so resuming after the last id received misses nothing (coord audit tail --follow). Errors: CO224 limit, CO651 unknown id, PT403.';
revoke all on function api.audit_since(bigint, integer) from public;
grant execute on function api.audit_since(bigint, integer) to coord_operator, coord_auditor;
