-- Bootstrap: cluster-wide roles and the migrations ledger.
-- Run by `coord migrate` as a superuser before any numbered migration, every time.
-- Idempotent by construction; it is not checksummed because it never changes shape in place.

-- Roles are cluster-wide, so several databases (and concurrent migrators on
-- different databases) may race to create them: duplicates are ignored.
do $bootstrap$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_owner') then
    begin create role coord_owner nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_auth') then
    begin create role coord_auth nologin noinherit bypassrls; exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_authenticator') then
    -- With the defaults every client login is declared to carry (coord.login_policy), so a
    -- fresh install starts without drift.
    begin
      create role coord_authenticator login noinherit;
      alter role coord_authenticator set idle_in_transaction_session_timeout = '5min';
    exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_anon') then
    begin create role coord_anon nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_agent') then
    begin create role coord_agent nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_operator') then
    begin create role coord_operator nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_auditor') then
    begin create role coord_auditor nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  end if;
end
$bootstrap$;

-- The authenticator (PostgREST, the Python client, psql users) may become any request role;
-- what it may *do* there is decided by the vouched principal, never by the role alone.
-- SET ROLE checks the session user's memberships, so the pre-request function (running as
-- anon) can switch to the principal's role without anon being a member of it.
grant coord_anon, coord_agent, coord_operator, coord_auditor to coord_authenticator;

-- The per-call principal cache (coord.try_principal) and the tenant whose event-writer key the
-- call took before its transaction had an id (audit.declare_event_tenant): every function a
-- client may execute resets both with a SET clause, and only a role granted SET on a placeholder
-- parameter may write such a clause into a function it owns.
grant set on parameter coord.principal_cache, coord.event_tenant to coord_owner, coord_auth;

-- No temporary objects for clients: temp types and tables are how search_path tricks start.
do $revoke_temp$
begin
  execute format('revoke temporary on database %I from public', current_database());
end
$revoke_temp$;

create schema if not exists coord authorization coord_owner;
revoke all on schema coord from public;

create table if not exists coord.schema_migrations (
  version integer primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default pg_catalog.clock_timestamp(),
  applied_by text not null default session_user
);
alter table coord.schema_migrations owner to coord_owner;
comment on table coord.schema_migrations is 'Applied numbered migrations with the SHA-256 of each file; an edited applied file is refused.';
revoke all on coord.schema_migrations from public;

-- Alerts (issue 4 §5): the loopback role that records a revoked token's use in a transaction of
-- its own (coord.record_revoked_token_use). It logs in over the local socket and may call one
-- function, coord.note_revoked_token; see docs/security.md. Created here, like every role, so a
-- database restored into a fresh cluster finds it.
do $loopback$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'coord_loopback') then
    begin create role coord_loopback login noinherit connection limit 16; exception when duplicate_object or unique_violation then null; end;
  end if;
end
$loopback$;
comment on role coord_loopback is 'Agent Coordinator loopback: may only call coord.note_revoked_token (records a revoked token''s use in its own transaction). Reached over the local socket.';

-- Every client logs in as the one coord_authenticator, and PostgreSQL lets a role read the
-- query text of, cancel and terminate every backend of the same login role. Without this,
-- any holder of the client DSN (no token needed) could read another tenant's psql
-- `select api.login('<token>')` (or its LISTEN channel) in pg_stat_activity and kill its
-- sessions mid-transaction. In this database only superusers and the pg_read_all_stats /
-- pg_signal_backend roles keep them. (Other databases of a shared cluster are outside this
-- file: docs/security.md says to revoke CONNECT on them from PUBLIC.)
revoke select on pg_catalog.pg_stat_activity from public;
revoke execute on function pg_catalog.pg_stat_get_activity(integer) from public;
revoke execute on function pg_catalog.pg_stat_get_backend_activity(integer) from public;
revoke execute on function pg_catalog.pg_cancel_backend(integer) from public;
revoke execute on function pg_catalog.pg_terminate_backend(integer, bigint) from public;
grant select on pg_catalog.pg_stat_activity to pg_read_all_stats;
grant execute on function pg_catalog.pg_stat_get_activity(integer) to pg_read_all_stats;
grant execute on function pg_catalog.pg_stat_get_backend_activity(integer) to pg_read_all_stats;
grant execute on function pg_catalog.pg_cancel_backend(integer) to pg_signal_backend;
grant execute on function pg_catalog.pg_terminate_backend(integer, bigint) to pg_signal_backend;

-- Lease decisions serialize on advisory locks keyed by hash(tenant, path node). A client that
-- could read pg_locks and take advisory locks itself would copy another tenant's keys while it
-- works and hold them in its own session, hanging that tenant's acquires (55P03). Only the
-- owner roles, whose functions take these locks, keep them; monitoring keeps pg_locks.
do $advisory$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure from pg_catalog.pg_proc as p
    where p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ '^pg_(try_)?advisory_'
  loop
    execute format('revoke execute on function %s from public', v_function);
    execute format('grant execute on function %s to coord_owner, coord_auth', v_function);
  end loop;
end
$advisory$;
revoke select on pg_catalog.pg_locks from public;
revoke execute on function pg_catalog.pg_lock_status() from public;
grant select on pg_catalog.pg_locks to pg_read_all_stats;
grant execute on function pg_catalog.pg_lock_status() to pg_read_all_stats;
-- The event stream's horizon (coord.event_horizon, owned by coord_auth) reads which running
-- transactions hold which tenant's event-writer key.
grant select on pg_catalog.pg_locks to coord_auth;
grant execute on function pg_catalog.pg_lock_status() to coord_auth;

-- The rest of the catalog a bare client login could use against other sessions or shared
-- state (tests/test_client_surface.py lists every volatile catalog function a client may call,
-- each with its reason; docs/security.md, "What a bare login can do"):
-- * large objects: one namespace for the whole database, owned by the login that created them,
--   so under a shared login tenant A could read, overwrite or unlink tenant B's, and any login
--   could fill the disk. Nothing here uses them; only superusers keep them.
-- * pg_logical_emit_message writes arbitrary messages into the WAL that logical decoding
--   consumers (CDC pipelines) read as if the database had sent them.
-- * pg_blocking_pids, pg_safe_snapshot_blocking_pids, pg_isolation_test_session_is_blocked and
--   pg_stat_get_backend_io / pg_stat_get_backend_wal (PostgreSQL 18) describe other backends,
--   like pg_locks and pg_stat_activity above: monitoring keeps them.
do $catalog$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure from pg_catalog.pg_proc as p
    where p.pronamespace = 'pg_catalog'::regnamespace
      and (p.proname ~ '^lo_' or p.proname in ('loread', 'lowrite', 'pg_logical_emit_message'))
  loop
    execute format('revoke execute on function %s from public', v_function);
  end loop;
  for v_function in
    select p.oid::regprocedure from pg_catalog.pg_proc as p
    where p.pronamespace = 'pg_catalog'::regnamespace
      and p.proname in ('pg_blocking_pids', 'pg_safe_snapshot_blocking_pids', 'pg_isolation_test_session_is_blocked',
                        'pg_stat_get_backend_io', 'pg_stat_get_backend_wal')
  loop
    execute format('revoke execute on function %s from public', v_function);
    execute format('grant execute on function %s to pg_read_all_stats', v_function);
  end loop;
end
$catalog$;
revoke select on pg_catalog.pg_largeobject_metadata from public;
