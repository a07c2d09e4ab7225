-- The one compare-and-set of an action: moves action p_id from state p_from with claim p_claim
-- to p_to and returns the row, or null when the action is no longer there (a lost race or a
-- stale fence: the caller reports it as a result). A claim (approved -> executing) takes the
-- next claim and attempt and starts the lease; a renewal (executing -> executing) extends it;
-- executed keeps the result, failed the error; the transition trigger checks the pair again.
create or replace function coord.set_action_state(
  p_tenant_id uuid,
  p_id bigint,
  p_from text,
  p_claim bigint,
  p_to text,
  p_lease_expires_at timestamptz default null,
  p_result jsonb default null,
  p_error text default null,
  p_expires_at timestamptz default null,
  p_approval_id bigint default null
)
returns coord.actions
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_claiming boolean := p_from = 'approved' and p_to = 'executing';
  v_row coord.actions;
begin
  update coord.actions as a
  set state = p_to,
      claim = case when v_claiming then a.claim + 1 else a.claim end,
      attempts = case when v_claiming then a.attempts + 1 else a.attempts end,
      claimed_at = case when v_claiming then v_now else a.claimed_at end,
      lease_expires_at = case when p_to = 'executing' then p_lease_expires_at end,
      result = case when p_to = 'executed' then coalesce(p_result, '{}') end,
      error = case when p_error is not null then left(p_error, 1000) else a.error end,
      approved_at = case when p_from = 'proposed' and p_to = 'approved' then v_now else a.approved_at end,
      approval_id = coalesce(a.approval_id, p_approval_id),
      expires_at = coalesce(p_expires_at, a.expires_at),
      finished_at = case when p_to in ('executed', 'failed') then v_now end
  where a.tenant_id = p_tenant_id and a.id = p_id and a.state = p_from and a.claim = p_claim
  returning a.* into v_row;
  if not found then
    return null;
  end if;
  return v_row;
end;
$$;

comment on function coord.set_action_state(uuid, bigint, text, bigint, text, timestamptz, jsonb, text, timestamptz, bigint) is 'Compare-and-set of an action on its state and claim (p_from, p_claim -> p_to; checked again by the transition trigger); null when the action is no longer in p_from with p_claim.';
revoke all on function coord.set_action_state(uuid, bigint, text, bigint, text, timestamptz, jsonb, text, timestamptz, bigint) from public;
