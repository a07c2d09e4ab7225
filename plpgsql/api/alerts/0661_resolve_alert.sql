create or replace function api.resolve_alert(p_alert_id bigint, p_note text)
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
  v_alert record;
begin
  if p_note is null or char_length(btrim(p_note)) = 0 or char_length(p_note) > 1000 then
    perform coord.fail('CO497', format('note has %s characters', coalesce(char_length(p_note)::text, 'no')));
  end if;
  v_decision := authz.gate('alert.resolve', 'alert', p_alert_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  -- The row lock orders a resolve after a concurrent bump (and vice versa).
  select a.id, a.state, a.resolved_at, r.name as rule, a.actor_name, a.event_count
  into v_alert
  from coord.alerts as a
  join coord.alert_rules as r on r.tenant_id = a.tenant_id and r.id = a.rule_id
  where a.tenant_id = v_me.tenant_id and a.id = p_alert_id
  for update of a;
  if not found then
    perform coord.fail('CO494', format('alert %s', p_alert_id));
  end if;
  if v_alert.state = 'resolved' then
    return coord.result('already_resolved', format('resolved at %s', v_alert.resolved_at),
                        jsonb_build_object('alert_id', p_alert_id));
  end if;
  update coord.alerts
  set state = 'resolved', resolved_at = coord.now(), resolved_by = v_me.principal_id, resolution = p_note
  where tenant_id = v_me.tenant_id and id = p_alert_id;
  perform audit.record('alert.resolve', 'resolved', 'alert', p_alert_id::text, p_note,
    jsonb_build_object('rule', v_alert.rule, 'actor_name', v_alert.actor_name, 'event_count', v_alert.event_count),
    v_decision, 'notice');
  return coord.result('resolved',
    p_details => jsonb_build_object('alert_id', p_alert_id, 'rule', v_alert.rule, 'event_count', v_alert.event_count));
end;
$$;

comment on function api.resolve_alert(bigint, text) is
'Operators: resolves an open alert of your tenant with a note (code resolved; already_resolved when it was). A later match raises a new alert. denied when the policy refuses. Errors: CO497 note, CO494 unknown alert.';
revoke all on function api.resolve_alert(bigint, text) from public;
grant execute on function api.resolve_alert(bigint, text) to coord_operator;
