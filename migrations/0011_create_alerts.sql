-- coord:superuser
-- Alerts over the audit log: rules as data per tenant, alerts raised in the database as audit
-- events are written, and the loopback that records a revoked token's use even though the
-- request that presented it is refused (its transaction aborts).
-- Superuser because of the dblink extension and its grants; every table and type it creates
-- is handed to coord_owner.

-- Events whose decision is one of these can raise alerts; the AFTER INSERT trigger on
-- audit.events fires only for them (its WHEN clause lists the same set), so ordinary events
-- never enter PL/pgSQL. Kept in sync by tests/test_alerts.py::test_trigger_filter_matches_rule_vocabulary.
create type coord.alert_state as enum ('open', 'resolved');
alter type coord.alert_state owner to coord_owner;
comment on type coord.alert_state is 'An alert is open until an operator resolves it; resolved is final.';

create table coord.alert_rules (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  name text collate "C" not null,
  action_pattern text collate "C" not null,
  -- The pattern as a LIKE pattern: * is the wildcard, _ and % are literal.
  action_like text collate "C" generated always as (replace(replace(action_pattern, '_', '\_'), '*', '%')) stored,
  decisions text[] not null,
  threshold integer not null,
  within interval not null,
  severity text not null,
  enabled boolean not null default true,
  description text,
  created_by uuid,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint alert_rules_tenant_name_key unique (tenant_id, name),
  constraint alert_rules_tenant_id_key unique (tenant_id, id),
  constraint alert_rules_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and action_pattern ~ '^[a-z_*]+(\.[a-z_*]+)*$' and char_length(action_pattern) <= 100
    and cardinality(decisions) between 1 and 4
    and decisions <@ array['denied', 'blocked', 'needs_approval', 'refused']
    and threshold between 1 and 10000
    and within between interval '1 second' and interval '7 days'
    and severity in ('notice', 'warning', 'critical')
    and (description is null or char_length(description) <= 1000))
);
alter table coord.alert_rules owner to coord_owner;
create index alert_rules_enabled_idx on coord.alert_rules (tenant_id) where enabled;
comment on table coord.alert_rules is 'Alert rules of a tenant: threshold events by one actor within an interval, matching an action pattern and a decision set, raise an alert of the rule''s severity.';
comment on column coord.alert_rules.action_pattern is 'Audit action to match; * matches any run of characters (guardrail.*, *). Letters, _, . and * only.';
comment on column coord.alert_rules.decisions is 'Decisions to match, a subset of the alertable ones: denied, blocked, needs_approval, refused (the trigger on audit.events fires only for these).';
comment on column coord.alert_rules.threshold is 'Matching events by one actor within the interval that raise the alert (1: every match).';

create table coord.alerts (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  rule_id bigint not null,
  actor_type coord.actor_type not null,
  actor_id uuid,
  actor_name text,
  severity text not null,
  event_count integer not null,
  first_event_id bigint not null,
  last_event_id bigint not null,
  first_event_at timestamptz not null,
  last_event_at timestamptz not null,
  raised_at timestamptz not null,
  state coord.alert_state not null default 'open',
  resolved_at timestamptz,
  resolved_by uuid,
  resolution text,
  constraint alerts_rule_fkey foreign key (tenant_id, rule_id)
    references coord.alert_rules (tenant_id, id) on delete cascade,
  constraint alerts_values_check check (
    event_count >= 1 and first_event_id <= last_event_id and first_event_at <= last_event_at
    and severity in ('notice', 'warning', 'critical')
    and (resolution is null or char_length(resolution) <= 1000)),
  constraint alerts_state_check check (
    (state = 'open' and resolved_at is null and resolved_by is null and resolution is null)
    or (state = 'resolved' and resolved_at is not null and resolved_by is not null))
);
alter table coord.alerts owner to coord_owner;
-- One open alert per rule and actor: a second writer bumps the first one's count.
create unique index alerts_open_key on coord.alerts (tenant_id, rule_id, actor_id) nulls not distinct
  where state = 'open';
create index alerts_tenant_idx on coord.alerts (tenant_id, id);
comment on table coord.alerts is 'Alerts raised by alert rules; while one is open for a rule and actor, further matches bump its count instead of raising another.';
comment on column coord.alerts.state is 'open until an operator resolves it (resolved_at, resolved_by, resolution); resolved is final.';
comment on column coord.alerts.event_count is 'Matching events counted into this alert: the threshold that raised it plus every later match while open.';

-- Matching events of one actor in a window, found without scanning ordinary events.
create index events_alertable_idx on audit.events (tenant_id, actor_id, occurred_at)
  where decision in ('denied', 'blocked', 'needs_approval', 'refused');

-- Default rules for the tenants that already exist (coord.seed_alert_rules ships the same set
-- to tenants created later; tests/test_alerts.py checks that both agree).
-- defaults:begin
insert into coord.alert_rules (tenant_id, name, action_pattern, decisions, threshold, within, severity,
                               description, created_at, updated_at)
select t.id, d.name, d.action_pattern, d.decisions, d.threshold, d.within, d.severity, d.description,
       pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp()
from coord.tenants as t
cross join (values
  ('guardrail-blocks', 'guardrail.*', array['blocked'], 3, interval '10 minutes', 'warning',
   'An agent had 3 operations blocked by guardrails within 10 minutes.'),
  ('policy-denials', '*', array['denied'], 5, interval '10 minutes', 'warning',
   'An agent was denied by the policy gate 5 times within 10 minutes.'),
  ('revoked-token-use', 'auth.revoked_token', array['refused'], 1, interval '1 minute', 'critical',
   'A revoked token was presented.')
) as d (name, action_pattern, decisions, threshold, within, severity, description)
on conflict (tenant_id, name) do nothing;
-- defaults:end

-- The loopback: a revoked token's request is refused with an error, so its transaction aborts
-- and nothing it writes survives. coord.record_revoked_token_use (owned by coord_auth) opens a
-- second connection to this database as coord_loopback, whose only privilege is to call
-- coord.note_revoked_token, and commits the audit event there. See docs/security.md.
create schema if not exists dblink;
revoke all on schema dblink from public;
create extension if not exists dblink schema dblink;
-- Extension functions are executable by PUBLIC; nobody but coord_auth gets any of them.
revoke all on all functions in schema dblink from public;

-- The role coord_loopback is created by bootstrap.sql (roles are cluster-wide).
grant usage on schema coord to coord_loopback;
grant usage on schema dblink to coord_auth;
grant execute on function dblink.dblink_connect_u(text, text) to coord_auth;
grant execute on function dblink.dblink_exec(text, text) to coord_auth;
grant execute on function dblink.dblink_disconnect(text) to coord_auth;
grant execute on function dblink.dblink_get_connections() to coord_auth;
-- The alert evaluation (coord.evaluate_alert_rules) and the loopback's recorder are owned by coord_auth
-- (BYPASSRLS): they act for the tenant of the event, which may have no vouched caller.
grant usage on schema audit to coord_auth;

-- Where the loopback connects: the server's first Unix socket directory and port, read here
-- because only a superuser may read unix_socket_directories. The database name is taken at
-- run time (template clones share this row). No password: coord_loopback must be trusted on a
-- local socket only the server's OS user can open (docs/security.md).
create table coord.loopback (
  singleton boolean primary key default true,
  conninfo text,
  updated_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint loopback_singleton_check check (singleton)
);
alter table coord.loopback owner to coord_owner;
comment on table coord.loopback is 'Connection parameters (host=socket dir, port) of the loopback that records revoked-token use; null conninfo disables it. Set by migration 0011; update it if the socket moves.';
insert into coord.loopback (conninfo)
select case when s.dir <> ''
            then format('host=''%s'' port=%s', replace(replace(s.dir, '\', '\\'), '''', '\'''),
                         pg_catalog.current_setting('port'))
       end
from (select pg_catalog.btrim(pg_catalog.split_part(pg_catalog.current_setting('unix_socket_directories'), ',', 1)) as dir) as s;

-- api.query_audit gains filters and columns (one name, one signature).
drop function if exists api.query_audit(integer, text, text, bigint);
