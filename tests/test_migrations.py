"""The migration runner: fresh install equals upgrade, re-applying is a no-op, edited or
missing migrations are refused, and concurrent migrators apply each migration once."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from coordinator.errors import MigrationError
from coordinator.migrate import discover_migrations, migrate
from tests.conftest import Database

ROOT = Path(__file__).parent.parent


def _schema_dump(database: Database) -> str:
    result = subprocess.run([str(database.cluster.server.bin_dir / "pg_dump"), "--schema-only", "--no-owner",
                             "--restrict-key=coordtest", "-d", database.admin_dsn],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 and "restrict-key" in result.stderr:  # pg_dump before 17.6 has no such option
        result = subprocess.run([str(database.cluster.server.bin_dir / "pg_dump"), "--schema-only", "--no-owner",
                                 "-d", database.admin_dsn], capture_output=True, text=True, check=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _catalog_fingerprint(database: Database) -> list[tuple]:
    with database.connect() as conn:
        return conn.execute("""
            select 'proc', p.oid::regprocedure::text, md5(p.prosrc), p.proacl::text, p.proconfig::text, p.prosecdef,
                   pg_get_userbyid(p.proowner), obj_description(p.oid, 'pg_proc')
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname in ('api', 'coord', 'authz', 'audit')
            union all
            select 'policy', pol.polrelid::regclass::text || '.' || pol.polname, pg_get_expr(pol.polqual, pol.polrelid),
                   pol.polroles::text, pg_get_expr(pol.polwithcheck, pol.polrelid), pol.polpermissive, null, null
            from pg_policy pol
            union all
            select 'rel', c.oid::regclass::text, c.relacl::text, c.relrowsecurity::text, c.relforcerowsecurity::text,
                   null, pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname in ('api', 'coord', 'authz', 'audit')
            union all
            select 'trigger', tgrelid::regclass::text || '.' || tgname, tgenabled::text, null, null, null, null, null
            from pg_trigger where not tgisinternal
            order by 1, 2""").fetchall()


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
    fresh_catalog = _catalog_fingerprint(fresh_db)

    # An "old" deployment with only the first migrations, then upgraded to all of them.
    report = migrate(empty_db.admin_dsn, root=_partial_root(tmp_path, 2), reapply=False)
    assert report.applied == ["0001_create_schemas.sql", "0002_create_identity.sql"]
    upgraded = migrate(empty_db.admin_dsn)
    assert upgraded.already_applied == 2 and len(upgraded.applied) == len(discover_migrations(ROOT)) - 2
    assert _catalog_fingerprint(empty_db) == fresh_catalog
    assert _schema_dump(empty_db).replace(empty_db.name, "DB") == fresh.replace(fresh_db.name, "DB")

    again = migrate(empty_db.admin_dsn)
    assert again.applied == [] and again.reapplied_objects > 40
    assert _catalog_fingerprint(empty_db) == fresh_catalog


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
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = holder.execute("select count(*) from pg_stat_activity where wait_event = 'advisory' "
                                     "and datname = current_database()").fetchone()[0]
            if waiting == 2:
                break
        assert waiting == 2, "both migrators should wait for the migration lock"
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
