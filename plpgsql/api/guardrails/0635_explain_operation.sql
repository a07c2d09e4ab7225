create or replace function api.explain_operation(p_kind text, p_text text)
returns table (
  ok boolean,
  code text,
  reason text,
  kind text,
  normalized text,
  units jsonb,
  matches jsonb,
  trust smallint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('guardrail.read');
  v_trust smallint := coord.current_trust();
  v_eval jsonb;
begin
  perform coord.check_operation_input(p_kind, p_text);
  v_eval := coord.guard_evaluate(v_me.tenant_id, p_kind, p_text, v_trust, p_explain => true);
  return query select v_eval ->> 'code' = 'allowed', v_eval ->> 'code', v_eval ->> 'reason', p_kind,
                      v_eval ->> 'normalized', v_eval -> 'units', v_eval -> 'matches', v_trust;
end;
$$;

comment on function api.explain_operation(text, text) is 'How check_operation would see an operation, without recording it: each unit (command, SQL statement or path) with its parsed operation (program, subcommand, flags, operands, redirections) and its effects (action x target x target classes), the rules that match and the answer at your trust. Read-only. Errors: CO471, CO472, PT403.';
revoke all on function api.explain_operation(text, text) from public;
grant execute on function api.explain_operation(text, text) to coord_agent, coord_operator, coord_auditor;
