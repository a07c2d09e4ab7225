-- The one compare-and-set of an approval request's state: moves request p_id of p_tenant_id
-- from p_from to p_to and returns the row, or returns null when the request is no longer in
-- p_from (a lost race: the caller reports it as a result). A decision stamps who decided (a
-- principal, or a policy) and why; an approval restarts the clock for using the grant.
create or replace function coord.set_approval_state(
  p_tenant_id uuid,
  p_id bigint,
  p_from text,
  p_to text,
  p_reason text default null,
  p_by uuid default null,
  p_by_name text default null,
  p_policy_id bigint default null,
  p_expires_at timestamptz default null
)
returns coord.approval_requests
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_row coord.approval_requests;
begin
  update coord.approval_requests as r
  set state = p_to,
      decided_at = case when p_from = 'pending' then v_now else r.decided_at end,
      decided_by = case when p_from = 'pending' then p_by else r.decided_by end,
      decided_by_name = case when p_from = 'pending' then p_by_name else r.decided_by_name end,
      policy_id = case when p_from = 'pending' then p_policy_id else r.policy_id end,
      decision_reason = case when p_from = 'pending' then left(p_reason, 1000) else r.decision_reason end,
      used_at = case when p_to = 'used' then v_now end,
      expires_at = coalesce(p_expires_at, r.expires_at)
  where r.tenant_id = p_tenant_id and r.id = p_id and r.state = p_from
  returning r.* into v_row;
  if not found then
    return null;
  end if;
  return v_row;
end;
$$;

comment on function coord.set_approval_state(uuid, bigint, text, text, text, uuid, text, bigint, timestamptz) is 'Compare-and-set of an approval request''s state (p_from -> p_to, checked again by the transition trigger); null when the request was no longer in p_from.';
revoke all on function coord.set_approval_state(uuid, bigint, text, text, text, uuid, text, bigint, timestamptz) from public;
