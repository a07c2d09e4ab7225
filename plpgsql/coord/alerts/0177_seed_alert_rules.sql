-- Adds the shipped alert rules (coord.shipped_alert_rules) a tenant lacks, by name. Rules the
-- tenant already has are kept as they are, so an operator's changes to a shipped rule survive.
create or replace function coord.seed_alert_rules(p_tenant_id uuid)
returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  with added as (
    insert into coord.alert_rules (tenant_id, name, action_pattern, decisions, threshold, within, severity,
                                   description, created_at, updated_at)
    select p_tenant_id, d.name, d.action_pattern, d.decisions, d.threshold, d.within, d.severity, d.description,
           coord.now(), coord.now()
    from coord.shipped_alert_rules as d
    on conflict (tenant_id, name) do nothing
    returning 1
  )
  select count(*)::integer from added;
$$;

comment on function coord.seed_alert_rules(uuid) is 'Adds the shipped alert rules (coord.shipped_alert_rules) the tenant lacks; returns how many it added.';
revoke all on function coord.seed_alert_rules(uuid) from public;
