create or replace function api.renew_lock(p_path text, p_fence bigint, p_ttl interval default interval '15 minutes')
returns api.lock_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_path text := coord.normalize_path(p_path);
  v_decision authz.decision;
  v_result api.lock_result;
  v_now timestamptz := coord.clock_now();
  v_refusal text;
begin
  perform coord.check_fence(p_fence);
  perform coord.require_read_committed();
  perform coord.check_ttl(p_ttl);
  v_decision := authz.gate('lock.renew', 'path', v_path, jsonb_build_object('fence', p_fence, 'ttl', p_ttl),
    jsonb_build_object('fence', p_fence, 'ttl', p_ttl), p_caller => v_me);
  if not v_decision.allowed then
    return coord.lock_result(p_path => v_path, p_refusal => v_decision, p_repository => v_me.repository);
  end if;

  v_refusal := coord.session_refusal(v_me);
  if v_refusal is not null then
    v_result := coord.lock_result('session_ended', v_path, p_reason => v_refusal, p_repository => v_me.repository);
  else
    v_result := coord.end_or_extend_lease(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_path, p_fence, v_now, v_now + p_ttl);
  end if;
  perform audit.record('lock.renew', v_result.code, 'path', v_path, v_result.reason,
    jsonb_strip_nulls(jsonb_build_object('repository', v_me.repository, 'fence', p_fence, 'ttl', p_ttl, 'expires_at', v_result.expires_at))
      || v_result.details,
    v_decision, p_caller => v_me);
  return v_result;
end;
$$;

comment on function api.renew_lock(text, bigint, interval) is
'Extends your live lease on p_path (in your repository) to now + p_ttl if p_fence is its current fence (code renewed, same fence). An expired lease cannot be renewed (code expired): acquire it again for a new fence. stale_fence, not_held, held_by_task and denied as for release_lock; session_ended when your session is over. Errors: CO201-CO206, CO211, CO213, CO216.';
revoke all on function api.renew_lock(text, bigint, interval) from public;
grant execute on function api.renew_lock(text, bigint, interval) to coord_agent, coord_operator;
