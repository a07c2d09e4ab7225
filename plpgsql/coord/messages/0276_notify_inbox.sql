-- Wakes the recipients of a message: NOTIFY each one's inbox channel with the message id,
-- delivered at commit. NOTIFY serializes the commits of notifying transactions cluster-wide
-- (docs/benchmarks.md), so it is sent only while someone of the tenant watches its inbox: a
-- watcher holds the tenant's watch key shared (api.watch_inbox). When the exclusive try
-- succeeds nobody watches, and the lock is held to commit: a watcher arriving now waits for
-- this transaction, so its next read of the inbox sees the message that was not announced.
create or replace function coord.notify_inbox(p_tenant_id uuid, p_message_id bigint, p_recipient_ids uuid[])
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.pg_try_advisory_xact_lock(coord.inbox_watch_key(p_tenant_id)) then
    return false;
  end if;
  perform pg_catalog.pg_notify(coord.inbox_channel(p_tenant_id, r), p_message_id::text)
  from unnest(p_recipient_ids) as r;
  return true;
end;
$$;

comment on function coord.notify_inbox(uuid, bigint, uuid[]) is 'NOTIFY each recipient''s coord.inbox_channel with the message id while an inbox watcher of the tenant holds coord.inbox_watch_key shared; true when it notified.';
revoke all on function coord.notify_inbox(uuid, bigint, uuid[]) from public;
