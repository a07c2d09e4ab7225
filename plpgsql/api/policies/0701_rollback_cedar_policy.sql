create or replace function api.rollback_cedar_policy(p_version integer, p_reason text)
returns api.result
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
  v_policy text;
  v_version integer;
begin
  if p_reason is null or char_length(btrim(p_reason)) not between 1 and 1000 then
    perform coord.fail('CO562', 'a rollback needs a reason of 1-1000 characters');
  end if;
  v_decision := authz.gate('policy.admin', 'cedar_policy', p_version::text,
    p_details => jsonb_build_object('reason', p_reason), p_event => 'policy.cedar_rollback');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  select c.policy into v_policy from authz.cedar_policies as c where c.tenant_id = v_me.tenant_id and c.version = p_version;
  if not found then
    perform coord.fail('CO563', format('no Cedar policy version %s in this tenant', coalesce(p_version::text, 'null')));
  end if;
  -- Forward-only: the old text becomes the newest version; the versions after it stay in the history.
  select max(c.version) + 1 into v_version from authz.cedar_policies as c where c.tenant_id = v_me.tenant_id;
  insert into authz.cedar_policies (tenant_id, version, policy, reason, created_by, created_by_name, created_at,
                                    rolled_back_from)
  values (v_me.tenant_id, v_version, v_policy, p_reason, v_me.principal_id, v_me.name, coord.now(), p_version);
  perform audit.record('policy.cedar_rollback', 'stored', 'cedar_policy', v_version::text, p_reason,
    jsonb_build_object('version', v_version, 'rolled_back_from', p_version), v_decision, 'notice');
  return coord.result('policy_stored',
    p_details => jsonb_build_object('version', v_version, 'rolled_back_from', p_version));
end;
$$;

comment on function api.rollback_cedar_policy(integer, text) is 'Operators: makes the text of Cedar policy version p_version the tenant''s newest version again (a new version with rolled_back_from; the history keeps every version), with p_reason (code policy_stored, details.version, details.rolled_back_from); denied when the policy refuses (details.rule). It was validated when first stored. Errors: CO562 no reason, CO563 unknown version.';
revoke all on function api.rollback_cedar_policy(integer, text) from public;
grant execute on function api.rollback_cedar_policy(integer, text) to coord_operator;
