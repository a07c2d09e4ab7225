create or replace function api.audit_head(p_seal boolean default true)
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
  v_head jsonb;
begin
  perform coord.require_read_committed();
  v_decision := authz.gate('audit.head', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  -- Seal first (as verify does), so the head covers every event whose transaction is over.
  if p_seal then
    perform audit.seal(v_me.tenant_id, true);
  end if;
  v_head := audit.chain_head(v_me.tenant_id);
  -- Who took which head is on record (the event itself comes after the head in the chain).
  perform audit.record('audit.head', 'exported', 'tenant', v_me.tenant_id::text, null, v_head, v_decision, 'notice');
  return coord.result('head', p_details => v_head);
end;
$$;

comment on function api.audit_head(boolean) is
'Operators and auditors: seal the tenant''s finished audit events (p_seal, default true) and return its chain head, the newest sealed link: details.chain_seq, hash, event_id, occurred_at, sealed_at and head, a printable line (coord-audit-head:1:<tenant>:<chain_seq>:<hash>). Keep it outside the database; verify_audit(p_head => ...) later refuses a chain that no longer holds it (its newest links deleted, or rewritten). Code head, or denied. Audited as audit.head.';
revoke all on function api.audit_head(boolean) from public;
grant execute on function api.audit_head(boolean) to coord_operator, coord_auditor;
