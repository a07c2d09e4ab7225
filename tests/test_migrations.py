"""The migration runner: fresh install equals upgrade, re-applying is a no-op, edited or
missing migrations are refused, and concurrent migrators apply each migration once."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg
import pytest

from coordinator.docs import dump_schema
from coordinator.errors import MigrationError
from coordinator.migrate import discover_migrations, migrate
from tests.catalog_fingerprint import differences, fingerprint
from tests.conftest import Database, requires_18, wait_for_backends

ROOT = Path(__file__).parent.parent


def _schema_dump(database: Database) -> str:
    # The server's own pg_dump: pg_dump 18 misreads a 15 server's column options.
    return dump_schema(database.admin_dsn, pg_dump=database.cluster.server.bin_dir / "pg_dump").replace(
        database.name, "DB")


def _partial_root(tmp_path: Path, up_to: int) -> Path:
    root = tmp_path / "sql"
    for folder in ("plpgsql", "rls"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "migrations").mkdir(parents=True)
    shutil.copy2(ROOT / "migrations" / "bootstrap.sql", root / "migrations")
    for migration in discover_migrations(ROOT):
        if migration.version <= up_to:
            shutil.copy2(migration.path, root / "migrations")
    return root


def test_fresh_install_equals_upgrade_and_reapply_is_a_no_op(empty_db_factory, tmp_path: Path) -> None:
    fresh_db, empty_db = empty_db_factory(), empty_db_factory()
    migrate(fresh_db.admin_dsn)
    fresh = _schema_dump(fresh_db)
    fresh_catalog = fingerprint(fresh_db.admin_dsn)

    # An "old" deployment with only the first migrations, then upgraded to all of them.
    report = migrate(empty_db.admin_dsn, root=_partial_root(tmp_path, 2), reapply=False)
    assert report.applied == ["0001_create_schemas.sql", "0002_create_identity.sql"]
    upgraded = migrate(empty_db.admin_dsn)
    assert upgraded.already_applied == 2 and len(upgraded.applied) == len(discover_migrations(ROOT)) - 2
    assert differences(fingerprint(empty_db.admin_dsn), fresh_catalog) == []
    assert _schema_dump(empty_db) == fresh

    again = migrate(empty_db.admin_dsn)
    assert again.applied == [] and again.reapplied_objects > 40 and again.dropped == []
    assert differences(fingerprint(empty_db.admin_dsn), fresh_catalog) == []


# --- the tree defines the code: what no plpgsql/ or rls/ file defines is dropped -----------------

_STALE_HELPER = """
create or replace function coord.stale_helper() returns integer language sql immutable
set search_path = pg_catalog, pg_temp as 'select 1';
comment on function coord.stale_helper() is 'Removed from the tree later.';
revoke all on function coord.stale_helper() from public;
"""
_STALE_VIEW = "create or replace view coord.stale_view as select coord.stale_helper() as x;\n"
_STALE_VIEW_ON_VIEW = "create or replace view coord.stale_view_on_view as select x from coord.stale_view;\n"
_STALE_TRIGGER = """
create or replace function coord.tg_locks__stale() returns trigger language plpgsql
set search_path = pg_catalog, pg_temp as $$ begin return null; end; $$;
revoke all on function coord.tg_locks__stale() from public;
create or replace trigger locks_stale after insert on coord.locks
  for each row execute function coord.tg_locks__stale();
"""
_STALE_POLICY = "\ncreate policy locks_stale on coord.locks for select to coord_owner using (false);\n"


def _api_call(name: str, types: str, grantees: str, comment: str | None) -> str:
    identity = f"api.{name}({types})"
    return (f"create or replace function {identity} returns integer language sql stable\n"
            "set search_path = pg_catalog, pg_temp as 'select 1';\n"
            f"revoke all on function {identity} from public;\n"
            f"grant execute on function {identity} to {grantees};\n"
            + (f"comment on function {identity} is '{comment}';\n" if comment else ""))


def test_code_no_file_defines_is_dropped_and_tables_stay(empty_db_factory, tmp_path: Path) -> None:
    upgraded_db, fresh_db = empty_db_factory(), empty_db_factory()
    root = _partial_root(tmp_path, 99)
    code = root / "plpgsql"
    (code / "coord" / "9001_stale_helper.sql").write_text(_STALE_HELPER)
    (code / "coord" / "9002_stale_view.sql").write_text(_STALE_VIEW)
    (code / "coord" / "9003_tg_locks__stale.sql").write_text(_STALE_TRIGGER)
    (code / "coord" / "9006_stale_view_on_view.sql").write_text(_STALE_VIEW_ON_VIEW)
    (code / "api" / "9004_changed_call.sql").write_text(_api_call("changed_call", "integer", "coord_agent", "v1"))
    (code / "api" / "9005_kept_call.sql").write_text(
        _api_call("kept_call", "integer", "coord_agent, coord_operator", "Loses this comment."))
    rls_locks = root / "rls" / "coord.locks.sql"
    rls_locks.write_text(rls_locks.read_text() + _STALE_POLICY)
    (root / "migrations" / "0099_create_keepsakes.sql").write_text(
        "create type coord.keepsake_kind as enum ('kept');\n"
        "create table coord.keepsakes (id integer primary key, kind coord.keepsake_kind not null);\n"
        "insert into coord.keepsakes values (1, 'kept');\n")
    migrate(upgraded_db.admin_dsn, root=root)
    with upgraded_db.connect() as conn:  # a DBA's own function in a product schema
        conn.execute("create function coord.by_hand() returns integer language sql as 'select 2'")

    # The next tree: four files removed, one signature changed, a grant and a comment dropped.
    for name in ("9001_stale_helper.sql", "9002_stale_view.sql", "9003_tg_locks__stale.sql",
                 "9006_stale_view_on_view.sql"):
        (code / "coord" / name).unlink()
    (code / "api" / "9004_changed_call.sql").write_text(
        _api_call("changed_call", "integer, text", "coord_agent", "v2"))
    (code / "api" / "9005_kept_call.sql").write_text(_api_call("kept_call", "integer", "coord_operator", None))
    rls_locks.write_text(rls_locks.read_text().replace(_STALE_POLICY, ""))
    report = migrate(upgraded_db.admin_dsn, root=root)

    migrate(fresh_db.admin_dsn, root=root)
    found = differences(fingerprint(upgraded_db.admin_dsn), fingerprint(fresh_db.admin_dsn))
    assert not found, "\n".join(found)
    with upgraded_db.connect() as conn:
        assert conn.execute("select to_regprocedure('api.changed_call(integer, text)') is not null, "
                            "obj_description('api.kept_call(integer)'::regprocedure, 'pg_proc'), "
                            "has_function_privilege('coord_agent', 'api.kept_call(integer)', 'execute'), "
                            "has_function_privilege('coord_operator', 'api.kept_call(integer)', 'execute')"
                            ).fetchone() == (True, None, False, True)
        assert conn.execute("select id, kind::text from coord.keepsakes").fetchall() == [(1, "kept")]
    assert report.dropped == [  # the view another stale view depends on goes once that one has gone
        "policy locks_stale on coord.locks", "trigger locks_stale on coord.locks", "view coord.stale_view_on_view",
        "function api.changed_call(integer)", "function coord.by_hand()", "function coord.tg_locks__stale()",
        "view coord.stale_view", "function coord.stale_helper()"]


def test_grants_of_bound_logins_stay_and_grants_by_hand_go(empty_db: Database) -> None:
    migrate(empty_db.admin_dsn)
    with empty_db.connect() as conn:
        role = conn.execute("select role_name from coord.add_login(coord.ensure_tenant('t1'), 'ci-runner')"
                            ).fetchone()[0]
        conn.execute("create role coord_test_by_hand")
        # As a login made before api.begin_request existed: migrate grants it what the gateway holds.
        conn.execute(f"revoke execute on function api.begin_request(text, text, boolean) from {role}")
        try:
            conn.execute("grant execute on function api.check_locks(text[]) to coord_test_by_hand")
            migrate(empty_db.admin_dsn)
            granted = conn.execute(
                "select has_function_privilege(%s, 'api.login(text)', 'execute') "
                "and has_function_privilege(%s, 'api.begin_request(text, text, boolean)', 'execute'), "
                "has_function_privilege('coord_test_by_hand', 'api.check_locks(text[])', 'execute')",
                (role, role)).fetchone()
        finally:
            conn.execute("drop owned by coord_test_by_hand")
            conn.execute("drop role coord_test_by_hand")
            conn.execute("select coord.remove_login(coord.ensure_tenant('t1'), 'ci-runner')")
    assert granted == (True, False)


def test_stale_code_that_something_still_needs_is_refused(empty_db: Database, tmp_path: Path) -> None:
    root = _partial_root(tmp_path, 99)
    helper = root / "plpgsql" / "coord" / "9001_keepsake_default.sql"
    helper.write_text("create or replace function coord.keepsake_default() returns integer language sql immutable\n"
                      "set search_path = pg_catalog, pg_temp as 'select 1';\n")
    migrate(empty_db.admin_dsn, root=root)
    (root / "migrations" / "0099_create_keepsakes.sql").write_text(
        "create table coord.keepsakes (id integer default coord.keepsake_default());\n")
    helper.unlink()
    with pytest.raises(MigrationError) as caught:
        migrate(empty_db.admin_dsn, root=root)
    assert caught.value.message == ("function coord.keepsake_default() is defined by no plpgsql/ or rls/ file, "
                                    "but other objects depend on it")
    assert "default value for column id of table coord.keepsakes" in (caught.value.detail or "")
    assert caught.value.hint and "numbered migration" in caught.value.hint
    with empty_db.connect() as conn:  # the re-apply rolled back as a whole; the migration stays applied
        assert conn.execute("select to_regprocedure('coord.keepsake_default()') is not null, "
                            "(select max(version) from coord.schema_migrations)").fetchone() == (True, 99)


@requires_18("the event_triggers setting (PostgreSQL 17+)")
def test_event_triggers_switched_off_do_not_hide_the_tree(empty_db: Database) -> None:
    # Without the recording, every function would look stale to the re-apply.
    migrate(empty_db.admin_dsn)
    before = fingerprint(empty_db.admin_dsn)
    with empty_db.connect() as conn:
        conn.execute(f'alter database "{empty_db.name}" set session_replication_role = replica')
        conn.execute(f'alter database "{empty_db.name}" set event_triggers = off')
    assert migrate(empty_db.admin_dsn).dropped == []
    with empty_db.connect() as conn:
        conn.execute(f'alter database "{empty_db.name}" reset all')
    assert differences(fingerprint(empty_db.admin_dsn), before) == []


def test_a_type_in_a_reapplied_file_is_refused(empty_db: Database, tmp_path: Path) -> None:
    root = _partial_root(tmp_path, 99)
    (root / "plpgsql" / "coord" / "9001_made_here.sql").write_text("create type coord.made_here as (x integer);\n")
    with pytest.raises(MigrationError, match=r"plpgsql/ or rls/ created type coord\.made_here"):
        migrate(empty_db.admin_dsn, root=root)
    with empty_db.connect() as conn:
        assert conn.execute("select to_regtype('coord.made_here')").fetchone() == (None,)


def test_an_edited_migration_is_refused(empty_db: Database, tmp_path: Path) -> None:
    root = _partial_root(tmp_path, 99)
    migrate(empty_db.admin_dsn, root=root)
    edited = root / "migrations" / "0003_create_audit.sql"
    edited.write_text(edited.read_text() + "\n-- a harmless-looking edit\n")
    with pytest.raises(MigrationError) as caught:
        migrate(empty_db.admin_dsn, root=root)
    assert "0003_create_audit.sql was edited after it was applied" in caught.value.message
    assert caught.value.hint and "new numbered" in caught.value.hint


def test_missing_and_out_of_order_migrations_are_refused(empty_db: Database, tmp_path: Path) -> None:
    root = _partial_root(tmp_path, 99)
    migrate(empty_db.admin_dsn, root=root)
    late = root / "migrations" / "0000_sneak_in.sql"
    late.write_text("select 1;\n")
    with pytest.raises(MigrationError, match="numbered before the latest applied"):
        migrate(empty_db.admin_dsn, root=root)
    late.unlink()
    (root / "migrations" / "0004_create_locks.sql").unlink()
    with pytest.raises(MigrationError, match="recorded as applied but its file is missing"):
        migrate(empty_db.admin_dsn, root=root)


def test_a_failing_migration_applies_nothing(empty_db: Database, tmp_path: Path) -> None:
    root = _partial_root(tmp_path, 99)
    (root / "migrations" / "0099_break_things.sql").write_text(
        "create table coord.half_done (id int);\nselect 1/0;\n")
    with pytest.raises(MigrationError, match=r"0099_break_things\.sql: division by zero"):
        migrate(empty_db.admin_dsn, root=root)
    with empty_db.connect() as conn:
        assert conn.execute("select to_regclass('coord.half_done')").fetchone() == (None,)
        assert conn.execute("select max(version) from coord.schema_migrations").fetchone()[0] < 99


def test_concurrent_migrators_apply_each_migration_once(empty_db: Database) -> None:
    logs: list[list[str]] = [[], []]
    failures: list[BaseException] = []
    with empty_db.connect() as holder:
        holder.execute("select pg_advisory_lock(1131376498, 1)")  # as if a third migrator were running

        def run(log: list[str]) -> None:
            try:
                migrate(empty_db.admin_dsn, progress=log.append)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(log,)) for log in logs]
        for t in threads:
            t.start()
        wait_for_backends(empty_db, "wait_event = 'advisory'", 2)  # both migrators wait for the migration lock
        holder.execute("select pg_advisory_unlock(1131376498, 1)")
        for t in threads:
            t.join(120)
    assert failures == []
    assert all(any("waiting" in line for line in log) for log in logs)
    applied = [line for log in logs for line in log if line.startswith("applying")]
    assert len(applied) == len(discover_migrations(ROOT)), "each migration applied by exactly one migrator"
    with empty_db.connect() as conn:
        versions = [r[0] for r in conn.execute("select version from coord.schema_migrations order by version")]
    assert versions == [m.version for m in discover_migrations(ROOT)]


def test_migrations_need_a_superuser(shared_db: Database) -> None:
    with pytest.raises(MigrationError, match="superuser"):
        migrate(shared_db.client_dsn)


def test_migration_files_are_numbered_and_forward_only() -> None:
    migrations = discover_migrations(ROOT)
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for migration in migrations:
        lowered = migration.text.lower()
        assert "drop table" not in lowered and "drop column" not in lowered, migration.path.name


def test_the_ledger_records_checksums(shared_db: Database) -> None:
    with psycopg.connect(shared_db.admin_dsn) as conn:
        ledger = {r[0]: r[1] for r in conn.execute("select name, checksum from coord.schema_migrations")}
    assert ledger == {m.name: m.checksum for m in discover_migrations(ROOT)}
