-- A waiter announces itself by holding its tenant's inbox watch key shared (session level,
-- until its connection closes); senders NOTIFY only while someone holds it
-- (coord.notify_inbox). A sender that did not notify holds the key exclusively until it
-- commits, so once this returns, the caller's next inbox read sees that sender's message.
create or replace function api.watch_inbox()
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_channel text;
  v_key bigint;
  v_locked boolean := false;
begin
  v_decision := authz.gate('message.watch', 'principal', v_me.principal_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  v_channel := coord.inbox_channel(v_me.tenant_id, v_me.principal_id);
  v_key := coord.inbox_watch_key(v_me.tenant_id);
  -- The watch is a session lock, which outlives a failed call: taken inside the block, as the
  -- value of the statement that records it (no cancel between), and released by the handler
  -- when anything after it fails (statement_timeout, pg_cancel_backend), the return included.
  begin
    v_locked := pg_catalog.pg_advisory_lock_shared(v_key) is not null;  -- void: true once granted
    perform audit.record('message.watch', 'watching', 'principal', v_me.principal_id::text, null, '{}', v_decision);
    return coord.result('watching', p_details => jsonb_build_object('channel', v_channel));
  exception when others or query_canceled then
    if v_locked then
      perform pg_catalog.pg_advisory_unlock_shared(v_key);
    end if;
    raise;
  end;
end;
$$;

comment on function api.watch_inbox() is 'Wait for mail: from now until this connection closes, each message delivered to you is announced on details.channel (LISTEN on it; the payload is the message id, nothing else). Call it, LISTEN, then read the inbox, then wait for notifications (Client.wait_for_messages does this). Use a connection of its own: a pooled connection (PostgREST) keeps the watch until the pool closes it, and while anyone of the tenant watches, every send notifies. Code watching; denied when the policy refuses. Audited as message.watch.';
revoke all on function api.watch_inbox() from public;
grant execute on function api.watch_inbox() to coord_agent, coord_operator;
