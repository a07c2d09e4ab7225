create or replace function api.end_session()
returns api.session_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := coord.principal();
  v_decision authz.decision;
  v_summary jsonb;
  v_refusal text;
begin
  if v_me.session_id is null then
    perform coord.fail('CO431', 'end_session without an x-coord-session header');
  end if;
  perform coord.require_read_committed();
  v_decision := authz.decide('session.end', v_me.session_id::text);
  if not v_decision.allowed then
    perform audit.record('session.end', 'denied', 'session', v_me.session_id::text, v_decision.reason, '{}',
      v_decision, 'warning');
    return row(false, 'denied', v_decision.reason, v_me.session_id, null, '{}')::api.session_result;
  end if;
  v_refusal := coord.session_refusal(v_me);
  if v_refusal is null then
    v_summary := coord.cleanup_session(v_me.tenant_id, v_me.session_id, 'ended');
  end if;
  if v_summary is null then
    return row(false, 'session_ended', coalesce(v_refusal, 'the session is already over'), v_me.session_id, null,
               '{}')::api.session_result;
  end if;
  return row(true, 'ended', null, v_me.session_id, null, v_summary)::api.session_result;
end;
$$;

comment on function api.end_session() is
'Ends your session (x-coord-session): its leases are released and its claimed tasks requeued (details name them); code ended. session_ended if it was already over. Errors: CO431 no session.';
revoke all on function api.end_session() from public;
grant execute on function api.end_session() to coord_agent, coord_operator;
