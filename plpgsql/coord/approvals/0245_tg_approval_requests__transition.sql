-- The approval state machine, enforced under every writer: pending -> approved | denied |
-- expired | cancelled; approved -> used | expired; denied, expired, cancelled and used are
-- terminal. What a request is about (requester, operation and its hash, target, rules, scopes)
-- never changes. Writers compare-and-set on the state; this is the guard behind them.
create or replace function coord.tg_approval_requests__transition()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if (new.tenant_id, new.requester_id, new.kind, new.operation, new.operation_hash, new.target_type, new.target_id,
      new.rules, new.scopes, new.created_at)
     is distinct from (old.tenant_id, old.requester_id, old.kind, old.operation, old.operation_hash, old.target_type,
                       old.target_id, old.rules, old.scopes, old.created_at) then
    perform coord.fail('CO465', format('approval request %s: what it is about cannot change', old.id));
  end if;
  if new.state is distinct from old.state
     and not ((old.state = 'pending' and new.state in ('approved', 'denied', 'expired', 'cancelled'))
              or (old.state = 'approved' and new.state in ('used', 'expired'))) then
    perform coord.fail('CO465', format('approval request %s: %s -> %s', old.id, old.state, new.state));
  end if;
  if new.state = old.state and old.state <> 'pending' and new is distinct from old then
    perform coord.fail('CO465', format('approval request %s is %s: it no longer changes', old.id, old.state));
  end if;
  return new;
end;
$$;

comment on function coord.tg_approval_requests__transition() is 'Trigger: refuses (CO465) a transition outside pending -> approved | denied | expired | cancelled and approved -> used | expired, any change of a decided request other than its transition, and any change of what a request is about.';
revoke all on function coord.tg_approval_requests__transition() from public;

create or replace trigger approval_requests_transition before update on coord.approval_requests
  for each row execute function coord.tg_approval_requests__transition();
