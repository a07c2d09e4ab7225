create or replace function api.verify_audit(p_seal boolean default true)
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := coord.principal();
  v_decision authz.decision := authz.decide('audit.verify');
  v_sealed integer := 0;
  v_report jsonb;
begin
  perform coord.require_read_committed();
  if not v_decision.allowed then
    perform audit.record('audit.verify', 'denied', 'tenant', v_me.tenant_id::text, v_decision.reason, '{}',
      v_decision, 'warning');
    return row(false, 'denied', v_decision.reason, '{}')::api.result;
  end if;
  -- Seal what has finished first (waiting for a concurrent sealer), so the verdict covers
  -- every event whose transaction is over. Sealing only derives links; it changes no event.
  if p_seal then
    v_sealed := audit.seal(v_me.tenant_id, true);
  end if;
  v_report := audit.verify_chain(v_me.tenant_id) || jsonb_build_object('newly_sealed', v_sealed);
  -- The verdict is itself an event (unsealed until the next seal, like every event).
  perform audit.record('audit.verify', case when (v_report ->> 'ok')::boolean then 'intact' else 'broken' end,
    'tenant', v_me.tenant_id::text, v_report ->> 'problem', v_report, v_decision,
    case when (v_report ->> 'ok')::boolean then 'info' else 'critical' end);
  if (v_report ->> 'ok')::boolean then
    return row(true, 'intact', null, v_report)::api.result;
  end if;
  return row(false, 'broken',
    format('%s at chain_seq %s (event %s): expected %s, found %s', v_report ->> 'problem',
           coalesce(v_report ->> 'chain_seq', '-'), coalesce(v_report ->> 'event_id', '-'),
           v_report ->> 'expected', v_report ->> 'found'),
    v_report)::api.result;
end;
$$;

comment on function api.verify_audit(boolean) is
'Operators and auditors: seal the tenant''s finished audit events (p_seal, default true) and verify its hash chain from the archived anchor. Code intact (details: sealed, unsealed, head_seq, head_hash) or broken (ok false; details: problem, chain_seq, event_id, expected, found). Every verification is audited as audit.verify.';
revoke all on function api.verify_audit(boolean) from public;
grant execute on function api.verify_audit(boolean) to coord_operator, coord_auditor;
