-- Append the events of one statement's rows in one statement: for each element of the parallel
-- arrays, the row audit.record would write when called with that element's action, decision,
-- target, reason, details, severity, system flag, tenant and time (and no decision of its own: a
-- principal's event carries the statement's, as audit.record's does). For the statement-level
-- triggers that audit what one statement changed (coord.tg_tasks__audited), where a row trigger
-- paid one audit.record per row (~45-60 us each after the first, against ~15-20 us per row of
-- one INSERT ... SELECT; docs/benchmarks.md "Audit writes"). Rows go in in array order, so their
-- ids (the stream's order) follow it. Any tenant per element: every tenant named gets its
-- writer key and its followers' wake-up, as from audit.record.
create or replace function audit.record_each(
  p_actions text[],
  p_decisions text[],
  p_target_type text,
  p_target_ids text[],
  p_reasons text[],
  p_details jsonb[],
  p_severities text[],
  p_system boolean[],
  p_tenant_ids uuid[],
  p_occurred_at timestamptz[]
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal coord.caller := coord.try_principal();
  v_statement authz.decision;
  v_request jsonb := audit.request_context();
  v_tenant_id uuid;
  v_quiet boolean;
begin
  if coalesce(pg_catalog.cardinality(p_actions), 0) = 0 then
    return;
  end if;
  if v_principal.principal_id is not null then
    v_statement := authz.statement_decision();
  end if;
  insert into audit.events (
    txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id,
    decision, engine, rule, reason, severity, details, request
  )
  select audit.declare_event_writer(u.tenant_id), u.tenant_id, coalesce(u.occurred_at, coord.now()),
         case when u.system then 'system' else v_principal.kind::coord.actor_type end,
         case when u.system then null else v_principal.principal_id end,
         case when u.system then 'system' else v_principal.name end,
         u.action, p_target_type, u.target_id, u.decision, (u.authz).engine, (u.authz).rule, u.reason,
         coalesce(u.severity, 'info'),
         coalesce(u.details, '{}')
           || case when u.system and v_principal.principal_id is not null
                   then jsonb_build_object('on_behalf_of', v_principal.principal_id) else '{}' end
           || case when (u.authz).decision is not null
                   then jsonb_build_object('authz', jsonb_build_object('decision', (u.authz).decision, 'reason', (u.authz).reason))
                   else '{}' end,
         v_request
  from (select e.action, e.decision, e.target_id, e.reason, e.details, e.severity, e.occurred_at, e.ord,
               coalesce(e.tenant_id, v_principal.tenant_id) as tenant_id,
               (coalesce(e.system, false) or v_principal.principal_id is null) as system,
               case when not (coalesce(e.system, false) or v_principal.principal_id is null) then v_statement end as authz
        from unnest(p_actions, p_decisions, p_target_ids, p_reasons, p_details, p_severities, p_system, p_tenant_ids,
                    p_occurred_at) with ordinality
             as e (action, decision, target_id, reason, details, severity, system, tenant_id, occurred_at, ord)
       ) as u
  order by u.ord;  -- ids in the order of the arrays
  -- Wake each tenant's event followers, as audit.record does after each event (one NOTIFY per
  -- transaction and tenant either way: PostgreSQL folds equal notifications).
  for v_tenant_id in
    select distinct coalesce(t.id, v_principal.tenant_id) from unnest(p_tenant_ids) as t (id)
  loop
    v_quiet := pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended('coord_events:' || v_tenant_id::text, 0));
    if not v_quiet or exists (select from coord.event_followers as f where f.tenant_id = v_tenant_id) then
      perform audit.announce_events(v_tenant_id);
    end if;
  end loop;
end;
$$;

comment on function audit.record_each(text[], text[], text, text[], text[], jsonb[], text[], boolean[], uuid[], timestamptz[]) is 'Appends one audit event per element of the parallel arrays, in order, in one statement: the row audit.record would write for each (actor, the statement''s decision, on_behalf_of for system events, request context, writer key and follower wake-up per tenant). For statement-level audit triggers; each element has its own action, severity, system flag, tenant and time.';
revoke all on function audit.record_each(text[], text[], text, text[], text[], jsonb[], text[], boolean[], uuid[], timestamptz[]) from public;
