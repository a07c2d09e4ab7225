"""Upgrades are as safe as fresh installs: a database installed from an earlier tree (each release
in migrations/RELEASES, and the tree just before each migration was added) and migrated to this
tree has exactly the catalog of a fresh install; released migrations are frozen; docs/schema.sql
is a fresh install's schema."""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

import coordinator
from coordinator.docs import dump_schema, render_schema
from coordinator.migrate import discover_migrations, migrate
from tests.catalog_fingerprint import differences, fingerprint
from tests.conftest import Cluster, Database, requires_18
from tests.trees import (
    REPOSITORY,
    earlier_trees,
    edited_released_migrations,
    migrations_at,
    releases,
    tree_at,
)

EARLIER_TREES = earlier_trees()


@dataclass
class FreshInstall:
    database: Database
    catalog: dict[str, list[tuple]]
    dump: str


def _create_database(cluster: Cluster) -> Database:
    name = f"u_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(name)))
    return Database(cluster, name)


def _drop_database(database: Database) -> None:
    with psycopg.connect(database.cluster.admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("drop database {} with (force)").format(pgsql.Identifier(database.name)))


def _dump(database: Database) -> str:
    # The server's own pg_dump: pg_dump 18 misreads a 15 server's column options.
    return dump_schema(database.admin_dsn, pg_dump=database.cluster.server.bin_dir / "pg_dump").replace(
        database.name, "DB")


@pytest.fixture(scope="module")
def fresh(cluster: Cluster) -> Iterator[FreshInstall]:
    """One fresh install of this tree, compared with every upgraded database."""
    database = _create_database(cluster)
    try:
        migrate(database.admin_dsn)
        yield FreshInstall(database, fingerprint(database.admin_dsn), _dump(database))
    finally:
        _drop_database(database)


@pytest.mark.parametrize("commit", list(EARLIER_TREES.values()), ids=list(EARLIER_TREES))
def test_an_upgraded_database_equals_a_fresh_install(fresh: FreshInstall, empty_db: Database, tmp_path: Path,
                                                     commit: str) -> None:
    old = migrate(empty_db.admin_dsn, root=tree_at(commit, tmp_path))
    upgraded = migrate(empty_db.admin_dsn)
    assert upgraded.already_applied == len(old.applied)
    assert upgraded.applied == [m.path.name for m in discover_migrations()][len(old.applied):]
    found = differences(fingerprint(empty_db.admin_dsn), fresh.catalog)
    assert not found, "\n".join(found)
    assert _dump(empty_db) == fresh.dump


def test_upgrades_start_from_each_release_and_earlier_trees() -> None:
    assert {r.version for r in releases()} <= set(EARLIER_TREES)
    # 0002-0005 came with 0001 in the first commit; before 0009-0011, earlier migrations were
    # still edited after they were added (before the release), so no tree held exactly the
    # migrations before them.
    assert len(EARLIER_TREES) >= 9


def test_a_function_removed_just_before_a_release_is_gone_after_the_upgrade(empty_db: Database,
                                                                             tmp_path: Path) -> None:
    # 9163f10 (v0.1.0) replaced coord.assign_declared_profile with coord.set_agent_profile.
    migrate(empty_db.admin_dsn, root=tree_at("9163f10^", tmp_path))
    with empty_db.connect() as conn:
        assert conn.execute("select to_regproc('coord.assign_declared_profile') is not null").fetchone() == (True,)
    report = migrate(empty_db.admin_dsn, root=tree_at("9163f10", tmp_path))
    assert [d for d in report.dropped if "assign_declared_profile" in d] == [
        "function coord.assign_declared_profile(uuid,uuid,text,text)"]
    with empty_db.connect() as conn:
        assert conn.execute("select to_regproc('coord.assign_declared_profile') is null").fetchone() == (True,)


# --- frozen migrations --------------------------------------------------------------------------------

def test_released_migrations_are_frozen() -> None:
    assert edited_released_migrations() == []
    for release in releases():
        shipped = migrations_at(release.commit)
        assert shipped[-1] == release.last_migration, f"{release.version} ships up to {shipped[-1]}"
        assert shipped == [m.path.name for m in discover_migrations()][:len(shipped)]


def test_releases_are_well_formed_and_the_newest_is_the_package_version() -> None:
    """A version bump comes with its line in migrations/RELEASES (what freezes its migrations)."""
    found = releases()
    numbers = [tuple(int(x) for x in r.version.removeprefix("v").split(".")) for r in found]
    assert all(re.fullmatch(r"v\d+\.\d+\.\d+", r.version) for r in found), [r.version for r in found]
    assert numbers == sorted(set(numbers)), "one line per release, oldest first"
    assert all(re.fullmatch(r"[0-9a-f]{40}", r.commit) for r in found), "full commit ids (CI has no tags)"
    newest = [r.last_migration for r in found]
    assert newest == sorted(newest), "a release ships at least the migrations of the one before"
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    assert f"v{project}" == found[-1].version == f"v{coordinator.__version__}"


def test_editing_a_released_migration_is_caught(tmp_path: Path) -> None:
    root = tree_at("HEAD", tmp_path)
    first = migrations_at(releases()[0].commit)[0]
    edited = root / "migrations" / first
    edited.write_bytes(edited.read_bytes() + b"\n-- a harmless-looking edit\n")
    assert edited_released_migrations(root) == [f"{r.version}: {first}" for r in releases()], "each release shipping it"


# --- docs/schema.sql -------------------------------------------------------------------------------------

@requires_18("the pg_dump 18 output docs/schema.sql is committed in (coord docs renders it with the embedded 18)")
def test_the_schema_dump_is_a_fresh_install_of_the_tree(fresh: FreshInstall) -> None:
    committed = (REPOSITORY / "docs" / "schema.sql").read_text()
    assert committed == render_schema(fresh.database.admin_dsn), "docs/schema.sql is stale: run coord docs"
