"""Forward-only, checksummed migrations, then idempotent re-application of plpgsql/ and rls/.

* ``migrations/bootstrap.sql`` (roles, the ledger) runs first, every time; it is idempotent.
* ``migrations/NNNN_verb_object.sql`` run once each, in order, each in its own transaction,
  as ``coord_owner`` unless the file starts with ``-- coord:superuser``. Each is recorded with
  its SHA-256 in ``coord.schema_migrations``; editing an applied file is an error.
* ``plpgsql/<schema>/<domain>/NNNN_name.sql`` (ordered by NNNN across schemas) and then
  ``rls/<table>.sql`` are re-applied in one transaction, as ``coord_owner`` unless a file says
  ``-- coord:owner <role>``. That transaction records what the files define and then drops the
  functions, views, triggers and policies of the product schemas that no file defined, and the
  grants and comments on code that no file made (docs/architecture.md, "Migrations"), and
  grants every bound login what the gateway holds (``coord.grant_login_api``).
* A session advisory lock serializes concurrent migrators on one database: the second waits,
  then finds nothing left to apply.
* Each transaction announces itself to the audit trail's DDL guard (``coord.migrating``, see
  ``audit.ddl_path``), which refuses DDL on the audit trail from anyone else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from . import sql
from .errors import MigrationError
from .paths import sql_root

MIN_SERVER_VERSION = 150000
OWNER = "coord_owner"
_NUMBERED_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")  # migrations/ and plpgsql/ alike
_OWNER_DIRECTIVE = re.compile(r"^--\s*coord:owner\s+([a-z_]+)\s*$", re.MULTILINE)
_SUPERUSER_DIRECTIVE = re.compile(r"^--\s*coord:superuser\s*$", re.MULTILINE)
_ALLOWED_OWNERS = {"coord_owner", "coord_auth"}


@dataclass(frozen=True)
class SqlFile:
    path: Path
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def owner(self) -> str | None:
        """Role to run as; None means the connected superuser."""
        if _SUPERUSER_DIRECTIVE.search(self.text):
            return None
        match = _OWNER_DIRECTIVE.search(self.text)
        role = match.group(1) if match else OWNER
        if role not in _ALLOWED_OWNERS:
            raise MigrationError(f"{self.path.name}: unknown owner {role}",
                                 hint=f"use one of {', '.join(sorted(_ALLOWED_OWNERS))}")
        return role


@dataclass(frozen=True)
class Migration(SqlFile):
    version: int = 0
    name: str = ""


@dataclass
class MigrationReport:
    database: str
    server_version: str
    applied: list[str] = field(default_factory=list)
    already_applied: int = 0
    reapplied_objects: int = 0
    partitions_created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"database": self.database, "server_version": self.server_version,
                "applied": self.applied, "already_applied": self.already_applied,
                "reapplied_objects": self.reapplied_objects, "partitions_created": self.partitions_created,
                "dropped": self.dropped}


def discover_migrations(root: Path | None = None) -> list[Migration]:
    directory = (root or sql_root()) / "migrations"
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        if path.name == "bootstrap.sql":
            continue
        match = _NUMBERED_FILE.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name} is not named NNNN_verb_object.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations share number {version:04d}: {found[version].path.name}, {path.name}")
        found[version] = Migration(path=path, text=path.read_text(), version=version, name=path.stem)
    return [found[v] for v in sorted(found)]


def discover_objects(root: Path | None = None) -> list[SqlFile]:
    """plpgsql/ files ordered by their load-order prefix (then schema and name: the domain
    folders a schema is split into do not change the order), then rls/ files by name."""
    base = root or sql_root()
    objects: list[tuple[int, str, str, Path]] = []
    for path in (base / "plpgsql").rglob("*.sql"):
        match = _NUMBERED_FILE.match(path.name)
        if not match:
            raise MigrationError(f"plpgsql file {path} is not named NNNN_name.sql")
        objects.append((int(match.group(1)), path.relative_to(base / "plpgsql").parts[0], path.name, path))
    ordered = [SqlFile(p, p.read_text()) for *_, p in sorted(objects)]
    ordered += [SqlFile(p, p.read_text()) for p in sorted((base / "rls").glob("*.sql"))]
    return ordered


def migrate(dsn: str, *, root: Path | None = None, progress: Callable[[str], None] | None = None,
            reapply: bool = True) -> MigrationReport:
    """Apply pending migrations and re-apply plpgsql/ and rls/ on the database at ``dsn``."""
    say = progress or (lambda _msg: None)
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        raise MigrationError("cannot connect to the database to migrate it", detail=str(exc).strip()) from None
    with conn:
        facts = conn.execute(sql.SERVER_FACTS).fetchone()
        assert facts is not None
        version_num, version, superuser, database = facts
        if version_num < MIN_SERVER_VERSION:
            raise MigrationError(f"PostgreSQL {version} is too old",
                                 hint="Agent Coordinator needs PostgreSQL 15 or newer")
        if not superuser:
            raise MigrationError("migrations must run as a superuser (they create roles and schemas)",
                                 hint="pass a superuser DSN, e.g. --dsn postgresql://postgres@host/db")
        report = MigrationReport(database=database, server_version=version)
        if not conn.execute(sql.MIGRATION_TRY_LOCK).fetchone()[0]:  # type: ignore[index]
            say("another coord migrate is running on this database; waiting for it")
            conn.execute(sql.MIGRATION_LOCK)
        try:
            _apply_all(conn, root, report, say, reapply)
        finally:
            conn.execute(sql.MIGRATION_UNLOCK)
    return report


def _apply_all(conn: psycopg.Connection, root: Path | None, report: MigrationReport,
               say: Callable[[str], None], reapply: bool) -> None:
    base = root or sql_root()
    bootstrap = SqlFile(base / "migrations" / "bootstrap.sql", (base / "migrations" / "bootstrap.sql").read_text())
    with conn.transaction():
        _execute(conn, bootstrap, as_role=None)

    migrations = discover_migrations(base)
    by_version = {m.version: m for m in migrations}
    applied = conn.execute(sql.APPLIED_MIGRATIONS).fetchall()
    applied_versions = set()
    for version, name, checksum in applied:
        applied_versions.add(version)
        current = by_version.get(version)
        if current is None:
            raise MigrationError(f"migration {name} is recorded as applied but its file is missing",
                                 hint="migrations are forward-only: restore the file")
        if current.checksum != checksum:
            raise MigrationError(f"migration {current.path.name} was edited after it was applied",
                                 detail=f"recorded sha256 {checksum}, file sha256 {current.checksum}",
                                 hint="never edit an applied migration; add a new numbered one instead")
    report.already_applied = len(applied_versions)
    latest = max(applied_versions, default=0)
    pending = [m for m in migrations if m.version not in applied_versions]
    for migration in pending:
        if migration.version < latest:
            raise MigrationError(f"migration {migration.path.name} is numbered before the latest applied "
                                 f"({latest:04d})",
                                 hint="renumber it after the latest applied migration")
    for migration in pending:
        say(f"applying {migration.path.name}")
        with conn.transaction():
            _execute(conn, migration, as_role=migration.owner)
            conn.execute(sql.RESET_ROLE)
            conn.execute(sql.RECORD_MIGRATION, (migration.version, migration.name, migration.checksum))
        report.applied.append(migration.path.name)

    if reapply:
        objects = discover_objects(base)
        say(f"re-applying {len(objects)} plpgsql/ and rls/ files")
        with conn.transaction():
            conn.execute(sql.ANNOUNCE_MIGRATION)
            conn.execute(sql.START_REAPPLY_CAPTURE)
            if not conn.execute(sql.REAPPLY_CAPTURE_WORKS).fetchone()[0]:  # type: ignore[index]
                raise MigrationError("coord migrate cannot record what plpgsql/ and rls/ define: "
                                     "its event trigger did not fire", hint="check event_triggers and "
                                     "session_replication_role for this database and role")
            conn.execute(sql.RESET_CODE_PRIVILEGES)
            conn.execute(sql.GRANT_AUTH_CREATE)
            for obj in objects:
                _execute(conn, obj, as_role=obj.owner)
            conn.execute(sql.RESET_ROLE)
            conn.execute(sql.REVOKE_AUTH_CREATE)
            conn.execute(pgsql.SQL("set local role {}").format(pgsql.Identifier(OWNER)))
            report.partitions_created = [row[0] for row in conn.execute(sql.ENSURE_AUDIT_PARTITIONS)]
            conn.execute(sql.RESET_ROLE)
            if conn.execute(sql.GUARDRAIL_RULES_MODELLED).fetchone()[0]:  # type: ignore[index]
                conn.execute(sql.SYNC_TENANT_GUARDRAILS)
            conn.execute(sql.STOP_REAPPLY_CAPTURE)
            report.dropped = _drop_stale_code(conn, say)
            if conn.execute(sql.LOGIN_API_DEFINED).fetchone()[0]:  # type: ignore[index]
                conn.execute(sql.GRANT_LOGIN_API)
        report.reapplied_objects = len(objects)


def _drop_stale_code(conn: psycopg.Connection, say: Callable[[str], None]) -> list[str]:
    """Drop the functions, views, triggers and policies of the product schemas that no re-applied
    file defined, and clear the comments no file set on those that stay. RESTRICT: stale objects
    may depend on each other (retried until none is left), but a table, a type or current code
    that still depends on one makes the migration fail, and the re-apply rolls back."""
    types = [row[0] for row in conn.execute(sql.REAPPLIED_TYPES)]
    if types:
        raise MigrationError(f"plpgsql/ or rls/ created type {', '.join(types)}",
                             hint="types belong in a numbered migration: a re-applied file cannot replace one")
    dropped: list[str] = []
    pending = conn.execute(sql.STALE_CODE).fetchall()
    while pending:
        refused: list[tuple[tuple, psycopg.Error]] = []
        for kind, name, drop_statement in pending:
            try:
                with conn.transaction():  # a savepoint: a refused drop is retried after the others
                    conn.execute(drop_statement)
            except psycopg.errors.DependentObjectsStillExist as exc:
                refused.append(((kind, name, drop_statement), exc))
                continue
            say(f"dropped {kind} {name}: no plpgsql/ or rls/ file defines it")
            dropped.append(f"{kind} {name}")
        if len(refused) == len(pending):
            (kind, name, _), exc = refused[0]
            raise MigrationError(f"{kind} {name} is defined by no plpgsql/ or rls/ file, but other objects "
                                 f"depend on it", code=exc.sqlstate or "CO501", detail=exc.diag.message_detail,
                                 hint="drop or change those objects in a numbered migration, "
                                      "or keep the file that defines it")
        pending = [row for row, _ in refused]
    for (uncomment_statement,) in conn.execute(sql.STALE_CODE_COMMENTS).fetchall():
        conn.execute(uncomment_statement)
    return dropped


def _execute(conn: psycopg.Connection, item: SqlFile, *, as_role: str | None) -> None:
    conn.execute(sql.ANNOUNCE_MIGRATION)  # the audit trail's DDL guard lets migrations change it
    conn.execute(sql.RESET_ROLE)
    if as_role is not None:
        conn.execute(pgsql.SQL("set local role {}").format(pgsql.Identifier(as_role)))
    try:
        conn.execute(item.text.encode())
    except psycopg.Error as exc:
        diag = exc.diag
        raise MigrationError(f"{item.path.name}: {diag.message_primary or exc}",
                             code=exc.sqlstate or "CO501",
                             detail=diag.message_detail or diag.context,
                             hint=diag.message_hint) from None
