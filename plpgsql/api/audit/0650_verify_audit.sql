create or replace function api.verify_audit(p_seal boolean default true, p_head text default null)
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
  v_sealed integer := 0;
  v_report jsonb;
  v_saved jsonb;
  v_guard jsonb;
  v_problem text;
begin
  perform coord.require_read_committed();
  if p_head is not null then
    perform audit.parse_head(p_head);  -- CO603 before anything is written
  end if;
  v_decision := authz.gate('audit.verify', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  -- Seal what has finished first (waiting for a concurrent sealer), so the verdict covers
  -- every event whose transaction is over. Sealing only derives links; it changes no event.
  if p_seal then
    v_sealed := audit.seal(v_me.tenant_id, true);
  end if;
  v_report := audit.verify_chain(v_me.tenant_id) || jsonb_build_object('newly_sealed', v_sealed);
  -- A chain only proves itself: a saved head finds its newest links deleted (or rewritten).
  if p_head is not null then
    v_saved := audit.verify_head(v_me.tenant_id, p_head);
    v_report := v_report || jsonb_build_object('saved_head', v_saved);
  end if;
  -- The DDL guard must be in place (a superuser can drop its event triggers).
  v_guard := audit.guard_status();
  v_report := v_report || jsonb_build_object('guard', v_guard);

  if (v_report ->> 'ok')::boolean and v_saved is not null and not (v_saved ->> 'ok')::boolean then
    v_report := v_report || jsonb_build_object('ok', false, 'problem', v_saved ->> 'problem',
      'chain_seq', (v_saved ->> 'chain_seq')::bigint, 'expected', v_saved -> 'expected', 'found', v_saved -> 'found');
  elsif (v_report ->> 'ok')::boolean and not (v_guard ->> 'ok')::boolean then
    v_report := v_report || jsonb_build_object('ok', false,
      'problem', case when jsonb_array_length(v_guard -> 'missing') > 0 then 'guard_missing' else 'guard_disabled' end,
      'expected', 'event triggers coord_audit_guard_start, _end and _drop enabled always',
      'found', format('missing %s, disabled %s, event_triggers %s, switched off for %s', v_guard -> 'missing',
                      v_guard -> 'disabled', v_guard ->> 'event_triggers', v_guard -> 'switched_off_for'));
  end if;
  v_problem := v_report ->> 'problem';

  -- The verdict is itself an event (unsealed until the next seal, like every event).
  perform audit.record('audit.verify', case when (v_report ->> 'ok')::boolean then 'intact' else 'broken' end,
    'tenant', v_me.tenant_id::text, v_problem, v_report, v_decision,
    case when (v_report ->> 'ok')::boolean then 'info' else 'critical' end);
  if (v_report ->> 'ok')::boolean then
    return coord.result('intact', p_details => v_report);
  end if;
  return coord.result('broken',
    case
      when v_problem = 'head_missing' then
        format('head_missing: the saved head is chain_seq %s; %s: chain_seq %s are missing',
               v_saved ->> 'chain_seq', v_saved ->> 'found', v_saved ->> 'missing')
      when v_problem = 'head_mismatch' then
        format('head_mismatch at chain_seq %s: the saved head has hash %s, the chain now %s (rewritten from there or before)',
               v_saved ->> 'chain_seq', v_saved ->> 'expected', v_saved ->> 'found')
      when v_problem like 'guard_%' then
        format('%s: the audit trail''s DDL guard is off (%s)', v_problem, v_report ->> 'found')
      else
        format('%s at chain_seq %s (event %s): expected %s, found %s', v_problem,
               coalesce(v_report ->> 'chain_seq', '-'), coalesce(v_report ->> 'event_id', '-'),
               v_report ->> 'expected', v_report ->> 'found')
    end,
    v_report);
end;
$$;

comment on function api.verify_audit(boolean, text) is
'Operators and auditors: seal the tenant''s finished audit events (p_seal, default true) and verify its hash chain from the archived anchor; with p_head (a head coord audit head printed earlier and kept elsewhere) also that the chain still holds that link, which finds the newest links deleted or the chain rewritten; and that the DDL guard''s event triggers are in place. Code intact (details: sealed, unsealed, head_seq, head_hash, saved_head, guard) or broken (ok false; details.problem: a chain problem (link_missing, prev_hash_mismatch, event_missing, order_violation, hash_mismatch, event_unlinked) with chain_seq, event_id, expected, found; else head_missing (details.saved_head.missing names the positions) or head_mismatch; else guard_missing or guard_disabled). A refusal of the policy is denied (details.rule). Errors: CO603 malformed head, CO604 a head of another tenant. Every verification is audited as audit.verify.';
revoke all on function api.verify_audit(boolean, text) from public;
grant execute on function api.verify_audit(boolean, text) to coord_operator, coord_auditor;
