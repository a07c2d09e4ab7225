"""Every SQL statement the Python layer sends, in one reviewable place.

Nothing here decides anything: these statements start transactions, set the request context
the way PostgREST does, call ``api`` functions, run migrations and read the catalog.
"""

from __future__ import annotations

# --- one request of the Python client (docs/architecture.md, "One request") ------------------

# What PostgREST's set_config statement and api.pre_request do, in one call: role coord_anon,
# anonymous claims, method, path, the headers; READ ONLY for a stable function. Pipelined with
# the call itself (coordinator.client.rpc_query) and one Sync: one implicit transaction. The
# client prepares it once per connection (coordinator/wire.py: $n parameters); inside a caller's
# transaction it goes through psycopg (%s).
BEGIN_REQUEST_STATEMENT = 'select "api"."begin_request"($1, $2, $3)'
BEGIN_REQUEST = 'select "api"."begin_request"(%s, %s, %s)'

# PostgREST's own statements (docs/postgrest.md), which the client sends to a database older
# than api.begin_request: BEGIN, the request context, the pre-request, the call, COMMIT.
BEGIN_READ_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
BEGIN_READ_ONLY = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
SET_REQUEST_CONTEXT = (
    "select set_config('search_path', %s, true), set_config('role', %s, true), "
    "set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true), "
    "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
    "set_config('request.cookies', %s, true)"
)
PRE_REQUEST = 'select "api"."pre_request"()'

RESET_ROLE = "select set_config('role', 'none', true)"

# After a call inside a caller's own transaction (tests), give the caller its role back and
# drop the request's identity, so nothing after the call runs as the principal.
END_REQUEST = ("select set_config('role', 'none', true), set_config('coord.vouch', '', true), "
               "set_config('request.jwt.claims', '', true)")

# --- catalog ---------------------------------------------------------------------------------

API_FUNCTIONS = """
select p.proname as name,
       coalesce(p.proargnames[1:p.pronargs], '{}') as arg_names,
       array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t) as arg_types,
       p.pronargdefaults as n_defaults,
       p.provolatile = 'v' as volatile,
       p.proretset as returns_set,
       pg_catalog.format_type(p.prorettype, null) as return_type,
       coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '') as comment
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where n.nspname = 'api'
order by p.proname
"""

ERROR_REGISTRY = """
select code, name, origin, http_status, exit_code, message, hint
from coord.error_registry
order by code
"""

OUTCOME_REGISTRY = """
select code, ok, retryable, meaning, functions, destructive
from coord.outcome_registry
order by code
"""

# --- migrations --------------------------------------------------------------------------------

# Two-key form, so it never collides with the bigint keys coord.lock_key uses.
MIGRATION_LOCK = "select pg_advisory_lock(1131376498, 1)"
MIGRATION_TRY_LOCK = "select pg_try_advisory_lock(1131376498, 1)"
MIGRATION_UNLOCK = "select pg_advisory_unlock(1131376498, 1)"

SERVER_FACTS = """
select current_setting('server_version_num')::int as version_num,
       current_setting('server_version') as version,
       (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as superuser,
       current_database() as database
"""

APPLIED_MIGRATIONS = "select version, name, checksum from coord.schema_migrations order by version"

RECORD_MIGRATION = "insert into coord.schema_migrations (version, name, checksum) values (%s, %s, %s)"

ENSURE_AUDIT_PARTITIONS = "select audit.ensure_partitions()"
# Every tenant's copy of the shipped guardrail rules follows authz.shipped_guardrails (superuser: all
# tenants); from migration 0016 on, whose rule model the shipped rules are written in (asked
# first: in an older tree coord.seed_guardrails may not exist, and a call is resolved when parsed).
GUARDRAIL_RULES_MODELLED = "select exists (select from coord.schema_migrations where version >= 16)"
SYNC_TENANT_GUARDRAILS = "select coalesce(sum(coord.seed_guardrails(t.id)), 0) from coord.tenants as t"

# Announces coord migrate to the audit trail's DDL guard for this transaction (audit.ddl_path):
# the transaction's own id, so it cannot outlive it. Not a secret: see docs/security.md.
ANNOUNCE_MIGRATION = "select set_config('coord.migrating', pg_current_xact_id()::text, true)"

# coord_auth may create its functions only while plpgsql/ is being re-applied.
GRANT_AUTH_CREATE = "grant create on schema coord, api to coord_auth"
REVOKE_AUTH_CREATE = "revoke create on schema coord, api from coord_auth"

# --- re-applying plpgsql/ and rls/: the tree defines the code -----------------------------------
# Functions, views, triggers and policies in the product schemas (those coord_owner owns) come
# from plpgsql/ and rls/. While they are re-applied, an event trigger that lives only inside the
# re-apply transaction records every object the files create or replace and every comment they
# set; afterwards whatever of those kinds no file touched is stale (docs/architecture.md,
# "Migrations"). The superuser creates both; the function is security definer so that files run
# as coord_owner or coord_auth can record into the superuser's temporary table.
START_REAPPLY_CAPTURE = """
create temporary table coord_reapplied (classid oid, objid oid, objsubid integer, command text) on commit drop;
create function pg_temp.coord_note_reapplied() returns event_trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $note$
begin
  insert into pg_temp.coord_reapplied
  select c.classid, c.objid, c.objsubid, c.command_tag from pg_catalog.pg_event_trigger_ddl_commands() as c
  where c.classid <> 0;
end
$note$;
create event trigger coord_reapply_capture on ddl_command_end execute function pg_temp.coord_note_reapplied();
alter event trigger coord_reapply_capture enable always;
select pg_catalog.set_config('event_triggers', 'on', true)
where pg_catalog.current_setting('event_triggers', true) is not null;
comment on table pg_temp.coord_reapplied is 'what re-applying plpgsql/ and rls/ defined';
"""
# Whatever could keep the event trigger from firing (event_triggers off, PostgreSQL 17+, or
# session_replication_role = replica, hence ENABLE ALWAYS) would make every object look stale:
# the comment above must have been recorded.
REAPPLY_CAPTURE_WORKS = "select exists (select from pg_temp.coord_reapplied where command = 'COMMENT')"
STOP_REAPPLY_CAPTURE = """
drop event trigger coord_reapply_capture;
drop function pg_temp.coord_note_reapplied();
"""

# A grant a file no longer makes must not survive it: before the files run, every function and
# view of the product schemas loses the privileges its owner granted (the files grant them again),
# except those of the bound logins (coord.logins), which coord.grant_login_api grants (GRANT_LOGIN_API).
RESET_CODE_PRIVILEGES = """
do $reset$
declare
  v_statement text;
  v_logins text[] := '{}';
begin
  if pg_catalog.to_regclass('coord.logins') is not null then  -- from migration 0012 on
    execute 'select coalesce(pg_catalog.array_agg(l.role_name::text), ''{}'') from coord.logins as l' into v_logins;
  end if;
  for v_statement in
    select pg_catalog.format('revoke all on %s %s from %s', o.kind, o.name,
             pg_catalog.string_agg(case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(r.rolname) end,
                                   ', '))
    from (select 'routine' as kind, 'pg_catalog.pg_proc'::pg_catalog.regclass as classid, p.oid as objid,
                 p.oid::pg_catalog.regprocedure::text as name, p.proacl as acl, p.proowner as owner
          from pg_catalog.pg_proc as p
          join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
          where n.nspowner = 'coord_owner'::pg_catalog.regrole
          union all
          select 'table', 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid, c.oid::pg_catalog.regclass::text,
                 c.relacl, c.relowner
          from pg_catalog.pg_class as c
          join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
          where n.nspowner = 'coord_owner'::pg_catalog.regrole and c.relkind = 'v') as o
    cross join lateral pg_catalog.aclexplode(o.acl) as a
    left join pg_catalog.pg_roles as r on r.oid = a.grantee
    where a.grantee <> o.owner and (a.grantee = 0 or r.rolname <> all (v_logins))
      and not exists (select from pg_catalog.pg_depend as d
                      where d.classid = o.classid and d.objid = o.objid and d.deptype = 'e')
    group by o.kind, o.name
  loop
    execute v_statement;
  end loop;
end
$reset$;
"""

# The code objects of the product schemas: kind, name, the statements that drop it and clear its
# comment, and the catalog row that identifies it. Partitions' triggers are cloned from their
# parent's or made with the partition (audit.protect_table); extension members belong to their
# extension; materialized views hold data, like tables, and belong to migrations.
_CODE_OBJECTS = """
with schemas as (
  select n.oid from pg_catalog.pg_namespace as n where n.nspowner = 'coord_owner'::pg_catalog.regrole
), objects as (
  select 1 as step, 'policy' as kind,
         pg_catalog.format('%I on %s', pol.polname, pol.polrelid::pg_catalog.regclass) as name,
         pg_catalog.format('drop policy %I on %s', pol.polname, pol.polrelid::pg_catalog.regclass) as drop_statement,
         pg_catalog.format('comment on policy %I on %s is null', pol.polname, pol.polrelid::pg_catalog.regclass)
           as uncomment_statement,
         'pg_catalog.pg_policy'::pg_catalog.regclass as classid, pol.oid as objid
  from pg_catalog.pg_policy as pol
  join pg_catalog.pg_class as c on c.oid = pol.polrelid
  where c.relnamespace in (select oid from schemas)
  union all
  select 2, 'trigger', pg_catalog.format('%I on %s', t.tgname, t.tgrelid::pg_catalog.regclass),
         pg_catalog.format('drop trigger %I on %s', t.tgname, t.tgrelid::pg_catalog.regclass),
         pg_catalog.format('comment on trigger %I on %s is null', t.tgname, t.tgrelid::pg_catalog.regclass),
         'pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid
  from pg_catalog.pg_trigger as t
  join pg_catalog.pg_class as c on c.oid = t.tgrelid
  where c.relnamespace in (select oid from schemas) and not t.tgisinternal and not c.relispartition
  union all
  select 3, 'view', c.oid::pg_catalog.regclass::text,
         pg_catalog.format('drop view %s', c.oid::pg_catalog.regclass),
         pg_catalog.format('comment on view %s is null', c.oid::pg_catalog.regclass),
         'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
  from pg_catalog.pg_class as c
  where c.relnamespace in (select oid from schemas) and c.relkind = 'v'
  union all
  select 4, 'function', p.oid::pg_catalog.regprocedure::text,
         pg_catalog.format('drop routine %s', p.oid::pg_catalog.regprocedure),
         pg_catalog.format('comment on routine %s is null', p.oid::pg_catalog.regprocedure),
         'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid
  from pg_catalog.pg_proc as p
  where p.pronamespace in (select oid from schemas)
), code as (
  select o.* from objects as o
  where not exists (select from pg_catalog.pg_depend as d
                    where d.classid = o.classid and d.objid = o.objid and d.deptype = 'e')
)
"""

# The bound logins (coord.logins) hold what the gateway holds itself (coord.grant_login_api);
# granted again after every re-apply, so a function added there reaches logins made before it.
# Asked first: an older tree (tests/test_upgrades.py migrates them) may not define it.
LOGIN_API_DEFINED = "select pg_catalog.to_regprocedure('coord.grant_login_api(text)') is not null"
GRANT_LOGIN_API = "select coord.grant_login_api(l.role_name) from coord.logins as l"

# Code objects no re-applied file created or replaced, in an order that usually lets them drop.
STALE_CODE = _CODE_OBJECTS + """
select c.kind, c.name, c.drop_statement from code as c
where not exists (select from pg_temp.coord_reapplied as r where r.classid = c.classid and r.objid = c.objid)
order by c.step, c.name
"""

# Comments on the code objects that stay but that no re-applied file set.
STALE_CODE_COMMENTS = _CODE_OBJECTS + """
select c.uncomment_statement from code as c
where exists (select from pg_temp.coord_reapplied as r where r.classid = c.classid and r.objid = c.objid)
  and exists (select from pg_catalog.pg_description as d
              where d.classoid = c.classid and d.objoid = c.objid and d.objsubid = 0)
  and not exists (select from pg_temp.coord_reapplied as r
                  where r.classid = c.classid and r.objid = c.objid and r.objsubid = 0 and r.command = 'COMMENT')
order by c.step, c.name
"""

# Types belong to migrations (plpgsql/ and rls/ are re-applied, and a type has no "or replace").
REAPPLIED_TYPES = """
select distinct r.objid::pg_catalog.regtype::text from pg_temp.coord_reapplied as r
where r.classid = 'pg_catalog.pg_type'::pg_catalog.regclass and r.command in ('CREATE TYPE', 'CREATE DOMAIN')
order by 1
"""

# --- docs/schema.sql ------------------------------------------------------------------------------

PRODUCT_SCHEMAS = """
select n.nspname from pg_catalog.pg_namespace as n
where n.nspowner = 'coord_owner'::pg_catalog.regrole order by 1
"""
# Partitions with bounds (audit months): they follow the calendar, not the tree.
DATED_PARTITIONS = """
select c.oid::pg_catalog.regclass::text from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where n.nspowner = 'coord_owner'::pg_catalog.regrole and c.relispartition
  and pg_catalog.pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
order by 1
"""
VIEW_COLUMNS = """
select c.oid::pg_catalog.regclass::text,
       pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ' '
                             || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspowner = 'coord_owner'::pg_catalog.regrole and c.relkind = 'v'
group by c.oid
"""

# --- server administration (superuser connection) --------------------------------------------

# The embedded cluster is ours alone: clients (all logging in as coord_authenticator) may connect
# only to the coordinator database, where bootstrap closes pg_stat_activity and backend signals.
CLOSE_MAINTENANCE_DATABASES = "revoke connect on database postgres, template1 from public"

# --- client logins (docs/security.md, "Credentials") -------------------------------------------

# The gateway's password as a SCRAM verifier, so the password itself appears in no statement
# (and so in no server log).
SET_GATEWAY_PASSWORD = "alter role coord_authenticator password {}"
GATEWAY_HAS_PASSWORD = "select rolpassword is not null from pg_catalog.pg_authid where rolname = 'coord_authenticator'"

ADD_LOGIN = "select name, role_name, password, connection_limit from coord.add_login(%s, %s, %s, %s)"
REMOVE_LOGIN = "select coord.remove_login(%s, %s)"
LIST_LOGINS = """
select t.name as tenant, l.name, l.role_name, l.connection_limit, l.comment, l.created_by, l.created_at,
       (select count(*) from pg_catalog.pg_stat_activity as a where a.usename = l.role_name) as connections,
       d.actual as drift
from coord.logins as l
join coord.tenants as t on t.id = l.tenant_id
left join coord.login_drift_found(l.tenant_id) as d on d.role_name = l.role_name and d.kind = 'bound'
where %s::text is null or t.name = %s
order by t.name, l.name
"""
# Drift of every watched login now (p_password_refused: roles whose saved password was refused).
LOGIN_DRIFT = "select role_name, kind, tenant_id, expected, actual from coord.login_drift_found(null, %s)"
# Audit drift to one tenant; null: passwords were not checked this time.
CHECK_LOGINS = "select coord.check_logins(%s, %s)"
REPAIR_LOGINS = "select role_name, kind, tenant_id, expected, actual from coord.repair_logins(%s)"
END_STALE_CLIENT_TRANSACTIONS = (
    "select pid, role_name, tenant_id, state, xact_start from coord.end_stale_client_transactions()")

DATABASE_EXISTS = "select 1 from pg_catalog.pg_database where datname = %s"

ENSURE_TENANT = "select coord.ensure_tenant(%s)"

TENANT_ID = "select id from coord.tenants where name = %s"

PRINCIPAL_ID = "select id from coord.principals where tenant_id = %s and name = %s"

REGISTER_PRINCIPAL = (
    "select (g).* from (select coord.register_principal(%s, %s::coord.request_role, %s, "
    "coalesce(%s::text[], '{*}'), %s::interval) as g) as s"
)

ISSUE_TOKEN = (
    "select (g).* from (select coord.issue_token(%s, %s, coalesce(%s::text[], '{*}'), %s::interval, %s, %s) as g) as s"
)

ISSUE_JWT = (
    "select (g).* from (select coord.issue_jwt(%s, %s, coalesce(%s::text[], '{*}'), %s::interval, %s, %s) as g) as s"
)

JWT_KEYS = "select coord.jwt_keys_jwks()"

ROTATE_JWT_KEY = "select coord.rotate_jwt_key()"

RETIRE_JWT_KEY = "select coord.retire_jwt_key(%s)"

REVOKE_TOKEN = "select (r).* from (select coord.revoke_token(%s, %s) as r) as s"

TOKEN_TENANT = "select tenant_id from coord.tokens where id = %s"

TOKEN_ID_BY_TEXT = "select id, tenant_id from coord.tokens where token_hash = sha256(convert_to(%s, 'UTF8'))"

# A JWT names its token in jti; the database verifies it first (signature, alg, exp, nbf).
TOKEN_ID_BY_JWT = "select id, tenant_id from coord.tokens where id = (coord.jwt_claims(%s) ->> 'jti')::uuid"

HAS_OPERATOR = "select exists (select from coord.principals where tenant_id = %s and role = 'operator')"

TENANTS = """
select t.name, t.id, t.created_at,
       (select count(*) from coord.principals as p where p.tenant_id = t.id) as principals,
       (select count(*) from coord.locks as l where l.tenant_id = t.id and l.expires_at > coord.now()) as live_locks
from coord.tenants as t
order by t.name
"""

MIGRATION_STATUS = "select count(*) as applied, max(version) as latest from coord.schema_migrations"

# Eager sweep of every tenant (coord maintain): ends dead sessions, rescues expired claims,
# removes expired leases, expires approval requests and unused grants; one transaction per tenant.
TENANT_IDS = "select id, name from coord.tenants order by name"
SWEEP_TENANT = ("select coord.sweep(%(tenant)s, %(limit)s, true)"
                " || jsonb_build_object('approvals_expired', coord.expire_approvals(%(tenant)s, %(limit)s))")

# --- audit chain and retention (admin path, superuser connection) -----------------------------

# The sealer, one tenant per transaction; p_wait false skips a tenant another sealer holds.
SEAL_TENANT = "select audit.seal(%s, %s)"
VERIFY_TENANT = "select audit.verify_chain(%s)"
ENSURE_AUDIT_PARTITIONS_AS_OWNER = "set local role coord_owner"
REHOME_AUDIT_DEFAULT = "select audit.rehome_default()"
AUDIT_PARTITIONS_DUE = "select audit.partitions_due()"
ARCHIVE_PLAN = "select month, partition_name, events from audit.archive_plan(%s)"
ARCHIVE_SUMMARY = "select audit.archive_summary(%s)"
ARCHIVE_LINES = "select line from audit.archive_lines(%s)"
ARCHIVE_MONTH = "select audit.archive_month(%s)"
RESTORE_LINES_TABLE = "create temp table coord_restore_lines (n bigint primary key, line text not null) on commit drop"
RESTORE_LINES_COPY = "copy coord_restore_lines (n, line) from stdin"
RESTORE_ARCHIVE = "select audit.restore_archive(%s)"

# --- the MCP server's tools: the api functions a role may execute ------------------------------
# Excluded (stated as rules on the catalog, not a list): what coord_anon may execute is the
# authentication plumbing (authenticate, pre_request, login, begin_request) that runs before a
# caller has an identity; functions returning api.session_result are the session lifecycle, which the MCP
# connection owns (started on initialize, heartbeated, ended on close).
# The columns of what an api function returns (p: pg_proc, t: pg_type of its return type): the
# attributes of a composite result, or the OUT/TABLE columns. Shared by MCP_TOOLS and coordinator.codegen.
RESULT_COLUMNS = """\
case when t.typtype = 'c'
            then array(select a.attname::text from pg_catalog.pg_attribute as a
                       where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped order by a.attnum)
            else array(select u.name from unnest(p.proargnames, p.proargmodes) with ordinality as u(name, mode, i)
                       where u.mode in ('o', 't', 'b') order by u.i)
       end as column_names,
       case when t.typtype = 'c'
            then array(select pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute as a
                       where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped order by a.attnum)
            else array(select pg_catalog.format_type(u.type, null)
                       from unnest(p.proallargtypes, p.proargmodes) with ordinality as u(type, mode, i)
                       where u.mode in ('o', 't', 'b') order by u.i)
       end as column_types"""

MCP_TOOLS = """
select p.proname as name,
       coalesce(p.proargnames[1:p.pronargs], '{}') as arg_names,
       array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t) as arg_types,
       p.pronargdefaults as n_defaults,
       p.provolatile <> 'v' as read_only,
       p.proretset as returns_set,
       pg_catalog.format_type(p.prorettype, null) as return_type,
       coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '') as comment,
       {RESULT_COLUMNS}
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
join pg_catalog.pg_type as t on t.oid = p.prorettype
where n.nspname = 'api'
  and pg_catalog.has_function_privilege(%(role)s, p.oid, 'EXECUTE')
  and not pg_catalog.has_function_privilege('coord_anon', p.oid, 'EXECUTE')
  and p.prorettype <> 'api.session_result'::pg_catalog.regtype
order by p.proname
""".replace("{RESULT_COLUMNS}", RESULT_COLUMNS)

# The webhook deliverer on the admin path (coord maintain): every tenant with an enabled webhook,
# claimed and reported as the system (coordinator/webhooks.py). A run: per tenant its id, name,
# the lanes, the lease, an error or its claim.
CLAIM_WEBHOOK_ROUND = ("select r.tenant_id, r.tenant_name, r.parallel_tenants, r.lease, r.error, (r.result).* "
                       "from coord.claim_webhook_round(%s::interval) as r")
REPORT_WEBHOOK_DELIVERY = ("select (r).* from (select coord.report_webhook_delivery(%s, %s, %s, %s, %s, %s) as r) "
                           "as c")

# Prepared transactions older than the bound (coord maintain, coord status): each holds back
# every tenant's event stream.
STREAM_HOLDING_PREPARED = ("select gid, database, owner, prepared, age::text as age, transaction::text as transaction, "
                           "holds_stream, resolve "
                           "from coord.stream_holding_prepared(coalesce(%s::interval, interval '5 minutes'))")

# --- coord eval (coordinator.evaluation), as the evaluation's superuser ------------------------

# Moves the evaluation database's test clock (coord.now()), as tests/conftest.advance_clock does.
EVAL_ADVANCE_CLOCK = "update coord.clock set offset_by = offset_by + %s::interval"

# How many of the request ids the agents sent (x-request-id) an audit event of the run's tenants holds.
EVAL_AUDITED_REQUESTS = """
select count(distinct e.request ->> 'request_id')
from audit.events as e
join coord.tenants as t on t.id = e.tenant_id
where t.name = any(%s) and e.request ->> 'request_id' = any(%s)
"""
