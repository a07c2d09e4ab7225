"""The DDL guard of the audit trail: event triggers that refuse ALTER, DROP, DETACH, ATTACH,
RENAME, CREATE RULE/TRIGGER/POLICY, GRANT ... on every audit object to anyone, superusers
included, unless the retention and partition functions or coord migrate do it.

A superuser can still drop the event triggers (or announce a migration by hand): verify says
when the guard is gone, and a saved chain head (tests/test_audit_head.py) finds what was removed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from coordinator import retention
from coordinator.client import Client
from coordinator.migrate import migrate
from tests.conftest import Database, bypass_audit_guard, make_principal, requires_18

REFUSED = "CO602"


def _month(db: psycopg.Connection, months_ahead: int = 0) -> str:
    return db.execute("select to_char(date_trunc('month', coord.now()) + make_interval(months => %s), 'YYYY_MM')",
                      (months_ahead,)).fetchone()[0]  # type: ignore[index]


def _statements(db: psycopg.Connection) -> list[str]:
    this, far = _month(db), "2199_01"
    return [
        # take a month out of the log, then delete from it at leisure
        f"alter table audit.events detach partition audit.events_{this}",
        f"alter table audit.chain_links detach partition audit.chain_links_{this}",
        f"drop table audit.events_{this}",
        f"drop table audit.chain_links_{this}",
        "drop table audit.archives",
        "alter table audit.events_default rename to events_gone",
        f"alter table audit.events_{this} set schema public",
        # switching the append-only protection off
        "alter table audit.events disable trigger all",
        "alter table audit.events_default disable trigger events_refuse_truncate",
        "drop trigger events_refuse_truncate on audit.chain_links_default",
        "alter trigger events_refuse_truncate on audit.archives rename to harmless",
        "alter table audit.events no force row level security",
        "drop policy events_read_own_tenant on audit.events",
        "create rule keep_quiet as on insert to audit.events do instead nothing",
        "create trigger swallow before insert on audit.chain_links for each row "
        "execute function suppress_redundant_updates_trigger()",
        "create or replace function audit.tg_events__refuse_change() returns trigger language plpgsql "
        "as $$ begin return old; end $$",
        "alter function audit.verify_chain(uuid) owner to postgres",
        "drop function api.verify_audit(boolean, text)",
        "grant delete, truncate on audit.events to public",
        "comment on table audit.events is 'nothing to see'",
        "alter schema audit rename to history",
        "drop schema audit cascade",
        "drop function audit.tg_ddl__guard() cascade",
        "drop owned by coord_owner cascade",
        "do $$ begin execute 'drop language plpgsql cascade'; end $$",
        # a partition slipped in from elsewhere, without the triggers protect_table adds
        f"create table public.events_{far} partition of audit.events "
        f"for values from ('{far[:4]}-{far[5:]}-01') to ('{far[:4]}-{far[5:]}-02')",
        "alter table audit.events attach partition public.loose for values from ('2199-02-01') to ('2199-03-01')",
    ]


def test_a_superuser_typing_ddl_on_the_audit_trail_is_refused(db: psycopg.Connection) -> None:
    db.execute("select audit.ensure_partitions()")
    db.execute("create table public.loose (like audit.events including constraints)")
    allowed = []
    for statement in _statements(db):
        try:
            with db.transaction(force_rollback=True):
                db.execute(statement)
            allowed.append(statement)
        except psycopg.Error as exc:
            if exc.sqlstate != REFUSED:
                allowed.append(f"{statement}: {exc.sqlstate} {exc}")
            else:
                assert exc.diag.message_detail and exc.diag.message_hint, statement
    assert allowed == [], "\n".join(allowed)


def test_ddl_elsewhere_is_not_the_guards_business(db: psycopg.Connection) -> None:
    db.execute("create table public.scratch (id int)")
    db.execute("alter table public.scratch add column note text")
    db.execute("grant select on public.scratch to public")
    db.execute("create index on coord.locks (reason)")
    db.execute("drop table public.scratch")
    db.execute("reindex table audit.archives")  # maintenance, not a change of the trail
    # The guard judges every role's DDL, also one that cannot see schema audit (it runs as its owner).
    database = db.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    db.execute(f'grant temporary on database "{database}" to coord_authenticator')  # rolled back with the test
    db.execute("set local role coord_authenticator")
    db.execute("create temp table scratch_of_a_client (id int)")
    db.execute("drop table scratch_of_a_client")
    db.execute("reset role")


def test_a_function_of_its_own_is_not_the_archive_path(db: psycopg.Connection) -> None:
    """Only the frame of audit.archive_month (or its siblings) executing the statement counts:
    not a function of the superuser's, nor one nested inside a sanctioned call."""
    this = _month(db)
    db.execute(f"""create function public.sneak() returns void language plpgsql as $$
                   begin execute 'alter table audit.events detach partition audit.events_{this}'; end $$""")
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("select public.sneak()")
    assert caught.value.sqlstate == REFUSED
    # An event trigger of the superuser's that fires inside audit.ensure_partitions' own DDL.
    db.execute(f"""create function public.ride_along() returns event_trigger language plpgsql as $$
                   begin
                     if current_setting('test.armed', true) = 'yes' then
                       perform set_config('test.armed', 'no', true);
                       execute 'alter table audit.events detach partition audit.events_{this}';
                     end if;
                   end $$""")
    db.execute("create event trigger ride_along on ddl_command_end execute function public.ride_along()")
    db.execute("select set_config('test.armed', 'yes', true)")
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("select audit.ensure_partitions()")
    assert caught.value.sqlstate == REFUSED


def test_the_migration_marker_must_name_this_transaction(db: psycopg.Connection) -> None:
    db.execute("select set_config('coord.migrating', '12345', true)")
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute("alter table audit.events disable trigger all")
    assert caught.value.sqlstate == REFUSED
    bypass_audit_guard(db)  # what coord migrate does at the start of each transaction
    db.execute("alter table audit.archives disable trigger all")


def test_a_concurrent_detach_is_refused_before_it_starts(committed_db: Database) -> None:
    """DETACH ... CONCURRENTLY commits a first step (the partition vanishes from the parent)
    before ddl_command_end could refuse it: the guard refuses it at ddl_command_start."""
    with committed_db.connect() as admin:
        this = _month(admin)
        for statement in (f"alter table audit.events detach partition audit.events_{this} concurrently",
                          f"alter table if exists ONLY \"audit\".\"chain_links\" detach partition "
                          f"audit.chain_links_{this} concurrently",
                          f"alter table audit.events detach partition audit.events_{this} finalize"):
            with pytest.raises(psycopg.Error) as caught:
                admin.execute(statement)
            assert caught.value.sqlstate == REFUSED, statement
        pending = admin.execute("select count(*) from pg_inherits where inhdetachpending").fetchone()
        assert pending == (0,)


def test_retention_partitions_and_migrations_still_do_their_ddl(committed_db: Database, tmp_path: Path) -> None:
    with committed_db.connect() as admin:
        admin.execute("update coord.clock set offset_by = '-150 days'")
        agent = make_principal(admin, "old", tenant="kept")
    retention.ensure_partitions(committed_db.admin_dsn)
    with Client(committed_db.client_dsn, agent.token) as client:
        client.acquire_lock("then.py")
    with committed_db.connect() as admin:
        admin.execute("update coord.clock set offset_by = '0'")
    archived = retention.archive(committed_db.admin_dsn, date.today() - timedelta(days=90), tmp_path)
    assert archived and all(a["archived"] for a in archived)
    assert migrate(committed_db.admin_dsn).reapplied_objects > 40
    with committed_db.connect() as admin:
        tenant = admin.execute("select id from coord.tenants where name = 'kept'").fetchone()[0]  # type: ignore[index]
        assert admin.execute("select audit.verify_chain(%s)->>'ok'", (tenant,)).fetchone() == ("true",)
        assert admin.execute("select audit.guard_status()->>'ok'").fetchone() == ("true",)


@pytest.mark.parametrize("change", ["drop", "disable", pytest.param(
    "role_default", marks=requires_18("the event_triggers setting (PostgreSQL 17+)"))])
def test_verify_says_when_the_guard_is_gone(db: psycopg.Connection, agent_factory, change: str) -> None:
    """Event triggers are outside their own reach: a superuser can drop or disable them. That is
    visible: verify reports it (and the saved head finds what was removed meanwhile)."""
    _, auditor = agent_factory(role="auditor", tenant="watched")
    assert auditor.verify_audit().ok
    if change == "drop":
        db.execute("drop event trigger coord_audit_guard_end")
    elif change == "disable":
        db.execute("alter event trigger coord_audit_guard_drop disable")
    else:  # every later session of that role would run without the guard (PostgreSQL 17+)
        db.execute("alter role postgres set event_triggers = off")
    result = auditor.verify_audit()
    assert (result.ok, result.code) == (False, "broken")
    problem = "guard_missing" if change == "drop" else "guard_disabled"
    assert result.details["problem"] == problem and result.details["guard"]["ok"] is False
    assert problem in (result.reason or "")
