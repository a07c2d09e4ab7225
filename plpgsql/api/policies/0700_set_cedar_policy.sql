create or replace function api.set_cedar_policy(p_policy text, p_reason text)
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
  v_errors text[];
  v_version integer;
begin
  if p_policy is null or char_length(p_policy) not between 1 and 262144
     or p_reason is null or char_length(btrim(p_reason)) not between 1 and 1000 then
    perform coord.fail('CO562', format('policy of %s characters, reason of %s (1-262144 and 1-1000)',
      coalesce(char_length(p_policy)::text, 'null'), coalesce(char_length(p_reason)::text, 'null')));
  end if;
  v_decision := authz.gate('policy.admin', 'cedar_policy', null,
    p_details => jsonb_build_object('reason', p_reason), p_event => 'policy.cedar_set');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  -- Validation is the database's: where it cannot validate, nothing is stored.
  if not authz.cedar_available() then
    perform coord.fail('CO561', 'a Cedar policy is validated by cedarpy in the database before it is stored');
  end if;
  v_errors := authz.cedar_validation_errors(p_policy, authz.cedar_schema());
  if cardinality(v_errors) > 0 then
    perform coord.fail('CO562', left(array_to_string(v_errors, E'\n'), 4000));
  end if;
  select coalesce(max(c.version), 0) + 1 into v_version from authz.cedar_policies as c where c.tenant_id = v_me.tenant_id;
  insert into authz.cedar_policies (tenant_id, version, policy, reason, created_by, created_by_name, created_at)
  values (v_me.tenant_id, v_version, p_policy, p_reason, v_me.principal_id, v_me.name, coord.now());
  perform audit.record('policy.cedar_set', 'stored', 'cedar_policy', v_version::text, p_reason,
    jsonb_build_object('version', v_version, 'sha256', encode(sha256(convert_to(p_policy, 'UTF8')), 'hex')),
    v_decision, 'notice');
  return coord.result('policy_stored', p_details => jsonb_build_object('version', v_version));
end;
$$;

comment on function api.set_cedar_policy(text, text) is 'Operators: validates p_policy (Cedar policy text) against the shipped schema (authz.cedar_schema) with cedarpy in the database and stores it as the tenant''s newest version, with who, when and p_reason (code policy_stored, details.version); denied when the policy refuses (details.rule). The tenant decides with it when its engine is cedar or both. Errors: CO561 the server has no PL/Python with cedarpy (nothing is stored unvalidated), CO562 the policy does not validate (details list Cedar''s errors) or the reason is missing.';
revoke all on function api.set_cedar_policy(text, text) from public;
grant execute on function api.set_cedar_policy(text, text) to coord_operator;
