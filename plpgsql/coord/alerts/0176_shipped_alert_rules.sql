-- The shipped alert rules (product data). coord.seed_alert_rules copies them into a new tenant;
-- after that the tenant's rules are its operators' to change, so a migrate does not re-sync
-- them (migrations 0011 and 0012 gave the then-shipped rules to the tenants that existed).
create or replace view coord.shipped_alert_rules as
select name, action_pattern, decisions, threshold, within, severity, description
from (values
  ('guardrail-blocks', 'guardrail.*', array['blocked'], 3, interval '10 minutes', 'warning',
   'An agent had 3 operations blocked by guardrails within 10 minutes.'),
  ('policy-denials', '*', array['denied'], 5, interval '10 minutes', 'warning',
   'An agent was denied by the policy gate 5 times within 10 minutes.'),
  ('revoked-token-use', 'auth.revoked_token', array['refused'], 1, interval '1 minute', 'critical',
   'A revoked token was presented.'),
  ('login-drift', 'login.check', array['refused'], 1, interval '1 minute', 'critical',
   'A client login''s role settings or password differ from the declared ones (coord up restores them).')
) as d (name, action_pattern, decisions, threshold, within, severity, description);

comment on view coord.shipped_alert_rules is 'The shipped alert rules (product data): copied into every new tenant by coord.seed_alert_rules.';
