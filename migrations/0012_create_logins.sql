-- coord:superuser
-- Client logins (docs/security.md, "Credentials"): the gateway coord_authenticator is held by
-- infrastructure only; everyone else who needs a DSN gets a login role of their own, bound to
-- one tenant. PostgreSQL lets every role change its own defaults and password, so a DSN must
-- only be able to hurt its own holder; the database watches the logins' settings for drift.
-- Superuser because it seeds alert rules into every existing tenant (forced RLS); every table
-- it creates is handed to coord_owner.

create table coord.logins (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  name text collate "C" not null,
  role_name text collate "C" not null,
  connection_limit integer not null,
  comment text,
  created_by text not null,
  created_at timestamptz not null,
  constraint logins_pkey primary key (tenant_id, name),
  constraint logins_role_name_key unique (role_name),
  constraint logins_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and role_name ~ '^coord_login_[0-9a-f]{16}$'
    and connection_limit between 1 and 1000
    and (comment is null or char_length(comment) <= 1000))
);
alter table coord.logins owner to coord_owner;
comment on table coord.logins is 'Login roles bound to one tenant (coord login add): api.authenticate refuses their holders every token of another tenant. Role names are opaque so other tenants learn nothing from pg_roles.';
comment on column coord.logins.role_name is 'The PostgreSQL login role (coord_login_ + 16 hex digits): a member of the request roles like the gateway, NOINHERIT, with its own password and connection limit.';
comment on column coord.logins.connection_limit is 'The role''s CONNECTION LIMIT, which its holder cannot raise, so one holder cannot take every connection slot of the server.';

-- What every client login (the gateway and each bound login) must carry as role defaults, and
-- how long a client transaction may stay open before coord maintain ends it.
create table coord.login_policy (
  singleton boolean primary key default true,
  settings text[] not null default '{idle_in_transaction_session_timeout=5min}',
  transaction_bound interval default interval '5 minutes',
  updated_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint login_policy_singleton_check check (singleton),
  constraint login_policy_values_check check (
    cardinality(settings) <= 32 and array_position(settings, null) is null
    and array_to_string(settings, E'\n') ~ '^([a-z][a-z_]{0,62}=[^\n]{0,200}(\n|$))*$'
    and (transaction_bound is null or transaction_bound >= interval '1 second'))
);
alter table coord.login_policy owner to coord_owner;
insert into coord.login_policy default values;
-- A gateway that already carries defaults (coord up set idle_in_transaction_session_timeout;
-- operators may have added more, as operations.md suggested) keeps them: they become the declared
-- ones. Entries the policy cannot hold (custom name.with.dots settings) stay behind as drift.
update coord.login_policy as p
set settings = array(select c from unnest(s.setconfig) as c where c ~ '^[a-z][a-z_]{0,62}=[^\n]{0,200}$')
from pg_catalog.pg_db_role_setting as s
where s.setrole = 'coord_authenticator'::regrole and s.setdatabase = 0;
comment on table coord.login_policy is 'One row: the role defaults (name=value) every client login must carry, and the age after which coord maintain ends a client transaction (null: never). Change it as a superuser, then run coord up.';
comment on column coord.login_policy.settings is 'Declared ALTER ROLE ... SET defaults of coord_authenticator and every bound login; anything else in pg_db_role_setting for them (or any setting of a request role) is drift.';
comment on column coord.login_policy.transaction_bound is 'coord maintain terminates client backends whose transaction is older than this: role defaults are only defaults, a client can SET its own timeouts to 0.';

-- Drift as last reported to each tenant, so that a change is audited once, not on every pass.
create table coord.login_drift (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  role_name text collate "C" not null,
  expected text[] not null,
  actual text[] not null,
  reported_at timestamptz not null,
  constraint login_drift_pkey primary key (tenant_id, role_name)
);
alter table coord.login_drift owner to coord_owner;
comment on table coord.login_drift is 'Drift of a watched login (the gateway, the request roles, the tenant''s bound logins) already audited to the tenant as login.check refused; removed when the drift is gone or repaired.';
comment on column coord.login_drift.actual is 'What pg_db_role_setting holds for the role (settings in one database are suffixed "(in database NAME)"), plus "password" when the saved password was refused.';

-- The default rule for tenants that already exist (coord.seed_alert_rules ships it to new ones).
-- defaults:begin
insert into coord.alert_rules (tenant_id, name, action_pattern, decisions, threshold, within, severity,
                               description, created_at, updated_at)
select t.id, d.name, d.action_pattern, d.decisions, d.threshold, d.within, d.severity, d.description,
       pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp()
from coord.tenants as t
cross join (values
  ('login-drift', 'login.check', array['refused'], 1, interval '1 minute', 'critical',
   'A client login''s role settings or password differ from the declared ones (coord up restores them).')
) as d (name, action_pattern, decisions, threshold, within, severity, description)
on conflict (tenant_id, name) do nothing;
-- defaults:end
