-- Marks messages of the caller's inbox read. Ids that are not in its inbox (another's, another
-- tenant's, none at all) are reported, not errors: acking is idempotent.
create or replace function api.ack_messages(p_message_ids bigint[])
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
  v_ids bigint[];
  v_decision authz.decision;
  v_acked bigint[];
  v_already bigint[];
  v_unknown bigint[];
begin
  -- One dimension first: array_position refuses a multidimensional array (0A000).
  if p_message_ids is null or array_ndims(p_message_ids) is distinct from 1
     or cardinality(p_message_ids) not between 1 and 1000 then
    perform coord.fail('CO716', format('%s ids in %s dimensions', coalesce(cardinality(p_message_ids), 0),
                                       coalesce(array_ndims(p_message_ids), 0)));
  end if;
  if array_position(p_message_ids, null) is not null then
    perform coord.fail('CO716', 'a null id');
  end if;
  v_ids := array(select distinct i from unnest(p_message_ids) as i order by i);

  v_decision := authz.gate('message.ack', 'message', v_ids[1]::text, jsonb_build_object('messages', cardinality(v_ids)));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;

  with a as (
    update coord.message_deliveries as d set read_at = coord.now()
    where d.tenant_id = v_me.tenant_id and d.recipient_id = v_me.principal_id and d.message_id = any (v_ids)
      and d.read_at is null
    returning d.message_id)
  select coalesce(array_agg(a.message_id order by a.message_id), '{}') into v_acked from a;
  select coalesce(array_agg(d.message_id order by d.message_id), '{}') into v_already
  from coord.message_deliveries as d
  where d.tenant_id = v_me.tenant_id and d.recipient_id = v_me.principal_id and d.message_id = any (v_ids)
    and not d.message_id = any (v_acked);
  v_unknown := array(select i from unnest(v_ids) as i where not i = any (v_acked || v_already) order by i);

  perform audit.record('message.ack', 'acked', 'message', v_ids[1]::text, null,
    jsonb_build_object('acked', cardinality(v_acked), 'already_acked', cardinality(v_already),
                       'unknown', cardinality(v_unknown), 'message_ids', to_jsonb(v_ids[1:100])), v_decision);
  return coord.result('acked', p_details => jsonb_build_object(
    'acked', to_jsonb(v_acked), 'already_acked', to_jsonb(v_already), 'unknown', to_jsonb(v_unknown)));
end;
$$;

comment on function api.ack_messages(bigint[]) is 'Marks messages of your inbox read (1-1000 ids): code acked with details.acked (marked now), already_acked and unknown (not in your inbox: no such message, or not delivered to you); idempotent; denied when the policy refuses (details.rule). Audited as message.ack. Errors: CO716.';
revoke all on function api.ack_messages(bigint[]) from public;
grant execute on function api.ack_messages(bigint[]) to coord_agent, coord_operator;
