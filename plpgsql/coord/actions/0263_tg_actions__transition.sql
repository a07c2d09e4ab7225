-- The action state machine, enforced under every writer: proposed -> approved | rejected |
-- expired; approved -> executing | expired; executing -> executing (renewed) | executed |
-- failed | approved (lease ran out, retry); rejected, executed, failed and expired are
-- terminal. A claim only grows, by one per attempt. What an action is about never changes.
-- Writers compare-and-set on the state and the claim; this is the guard behind them.
create or replace function coord.tg_actions__transition()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if (new.tenant_id, new.kind, new.payload, new.required_scopes, new.operation_hash, new.proposer_id, new.target_id,
      new.max_attempts, new.created_at)
     is distinct from (old.tenant_id, old.kind, old.payload, old.required_scopes, old.operation_hash, old.proposer_id,
                       old.target_id, old.max_attempts, old.created_at)
     or (new.approval_id is distinct from old.approval_id and old.approval_id is not null and new.approval_id is not null)
  then
    perform coord.fail('CO460', format('action %s: what it is about cannot change', old.id));
  end if;
  if old.state in ('rejected', 'executed', 'failed', 'expired')
     and (new.state, new.claim, new.result, new.error, new.lease_expires_at, new.finished_at)
         is distinct from (old.state, old.claim, old.result, old.error, old.lease_expires_at, old.finished_at) then
    perform coord.fail('CO460', format('action %s is %s: it no longer changes', old.id, old.state));
  end if;
  if new.state is distinct from old.state
     and not ((old.state = 'proposed' and new.state in ('approved', 'rejected', 'expired'))
              or (old.state = 'approved' and new.state in ('executing', 'expired'))
              or (old.state = 'executing' and new.state in ('executed', 'failed', 'approved'))) then
    perform coord.fail('CO460', format('action %s: %s -> %s', old.id, old.state, new.state));
  end if;
  if new.claim <> old.claim and not (old.state = 'approved' and new.state = 'executing' and new.claim = old.claim + 1) then
    perform coord.fail('CO460', format('action %s: claim %s -> %s outside a claim', old.id, old.claim, new.claim));
  end if;
  return new;
end;
$$;

comment on function coord.tg_actions__transition() is 'Trigger: refuses (CO460) a transition outside proposed -> approved | rejected | expired, approved -> executing | expired, executing -> executed | failed | approved, any change of a terminal action, a claim that does not grow by one on a claim, and any change of what an action is about.';
revoke all on function coord.tg_actions__transition() from public;

create or replace trigger actions_transition before update on coord.actions
  for each row execute function coord.tg_actions__transition();
create or replace trigger actions_fleet_inserted after insert on coord.actions for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
create or replace trigger actions_fleet_updated after update on coord.actions for each row
  when (not pg_catalog.pg_try_advisory_xact_lock_shared(1131376502, pg_catalog.uuid_hash(new.tenant_id)))
  execute function coord.tg_fleet__changed();
