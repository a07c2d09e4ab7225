-- The default alert rules every tenant starts with (migrations 0011 and 0012 gave the same set
-- to the tenants that existed then). Idempotent: rules the tenant already has, by name, are kept as
-- they are, so an operator's changes to a default rule survive.
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
    from (values
      ('guardrail-blocks', 'guardrail.*', array['blocked'], 3, interval '10 minutes', 'warning',
       'An agent had 3 operations blocked by guardrails within 10 minutes.'),
      ('policy-denials', '*', array['denied'], 5, interval '10 minutes', 'warning',
       'An agent was denied by the policy gate 5 times within 10 minutes.'),
      ('revoked-token-use', 'auth.revoked_token', array['refused'], 1, interval '1 minute', 'critical',
       'A revoked token was presented.'),
      ('login-drift', 'login.check', array['refused'], 1, interval '1 minute', 'critical',
       'A client login''s role settings or password differ from the declared ones (coord up restores them).')
    ) as d (name, action_pattern, decisions, threshold, within, severity, description)
    on conflict (tenant_id, name) do nothing
    returning 1
  )
  select count(*)::integer from added;
$$;

comment on function coord.seed_alert_rules(uuid) is 'Adds the default alert rules (guardrail-blocks, policy-denials, revoked-token-use, login-drift) the tenant lacks; returns how many it added.';
revoke all on function coord.seed_alert_rules(uuid) from public;
