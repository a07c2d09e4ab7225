-- The advisory lock keys of a tenant's waiting claimers (coord.await_tasks, coord.notify_task_ready),
-- derived from its secret task channel so another tenant cannot name them. 'waiting': each waiting
-- claimer holds it shared on its connection. 'gate': a writer that found nobody waiting holds it
-- shared until it commits, and a claimer starting to wait passes it (exclusive, at once released),
-- so its next claim sees what such writers made ready.
create or replace function coord.task_wait_key(p_channel text, p_which text)
returns bigint
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.hashtextextended(p_channel, case p_which when 'waiting' then 1 when 'gate' then 2 end);
end;
$$;

comment on function coord.task_wait_key(text, text) is 'Advisory lock key of a tenant''s waiting claimers (p_which waiting) or of their gate (p_which gate), from its task channel.';
revoke all on function coord.task_wait_key(text, text) from public;
