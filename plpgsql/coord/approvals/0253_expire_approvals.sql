-- Expiry of one tenant's approvals (coord maintain): pending requests and unused grants past
-- expires_at become expired, each by compare-and-set (a request decided meanwhile is left
-- alone), audited as the system. Rows other transactions hold are skipped, never waited for.
create or replace function coord.expire_approvals(p_tenant_id uuid, p_limit integer)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_count integer := 0;
  v_candidate record;
  v_row coord.approval_requests;
begin
  for v_candidate in
    select r.id, r.state from coord.approval_requests as r
    where r.tenant_id = p_tenant_id and r.state in ('pending', 'approved') and r.expires_at <= v_now
    order by r.expires_at
    limit p_limit
    for update skip locked
  loop
    v_row := coord.set_approval_state(p_tenant_id, v_candidate.id, v_candidate.state, 'expired',
      case v_candidate.state when 'pending' then 'expired unanswered' end);
    if v_row.id is not null then
      perform coord.approval_audit('approval.expire', 'expired', v_row,
        case v_candidate.state when 'pending' then 'expired unanswered' else 'the grant was not used in time' end,
        p_system => true);
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end;
$$;

comment on function coord.expire_approvals(uuid, integer) is 'Expires up to p_limit pending requests and unused grants of the tenant past expires_at (compare-and-set, audited approval.expire by the system); returns how many.';
revoke all on function coord.expire_approvals(uuid, integer) from public;
