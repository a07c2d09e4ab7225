create or replace function api.end_session()
returns api.session_result
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
  v_summary jsonb;
  v_refusal text;
begin
  if v_me.session_id is null then
    perform coord.fail('CO431', 'end_session without an x-coord-session header');
  end if;
  perform coord.require_read_committed();
  v_decision := authz.gate('session.end', 'session', v_me.session_id::text);
  if not v_decision.allowed then
    return coord.session_result(p_session_id => v_me.session_id, p_refusal => v_decision);
  end if;
  v_refusal := coord.session_refusal(v_me);
  if v_refusal is null then
    v_summary := coord.cleanup_session(v_me.tenant_id, v_me.session_id, 'ended');
  end if;
  if v_summary is null then
    return coord.session_result('session_ended', v_me.session_id, coalesce(v_refusal, 'the session is already over'));
  end if;
  return coord.session_result('ended', v_me.session_id, p_details => v_summary);
end;
$$;

comment on function api.end_session() is
'Ends your session (x-coord-session): its leases are released and its claimed tasks requeued (details name them); code ended. session_ended if it was already over; denied when the policy refuses (details.rule). Errors: CO431 no session.';
revoke all on function api.end_session() from public;
grant execute on function api.end_session() to coord_agent, coord_operator;
