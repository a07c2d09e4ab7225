"""Sealing, archiving and restoring the audit log: the admin path (a superuser connection).

Every rule lives in SQL (``audit.seal``, ``audit.archive_month``, ``audit.restore_archive``):
this module streams the database's canonical lines into a gzip file, hashes what it wrote,
and hands the hashes back for the database to recompute and compare before anything is
dropped. Python decides nothing; it moves bytes between the database and files.

An archive of month M is two files in the target directory:

* ``events_YYYY_MM.jsonl.gz``        one canonical JSON line per event with its chain link,
                                      ordered by tenant and chain position;
* ``events_YYYY_MM.manifest.json``   file_sha256 (of the .gz bytes), content_sha256 (sha256 over
                                      the sha256 of every line), rows, and per tenant the first
                                      and last link (the database's own summary).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from . import sql
from .admin import admin_connect
from .errors import from_psycopg, registered

MANIFEST_FORMAT = "coord-audit-archive/1"
MANIFEST_SUFFIX = ".manifest.json"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def seal_all(admin_dsn: str, *, wait: bool = False) -> dict[str, int]:
    """Run the sealer for every tenant (one transaction each); links appended, by tenant."""
    with admin_connect(admin_dsn) as conn:
        try:
            tenants = conn.execute(sql.TENANT_IDS).fetchall()
            return {name: conn.execute(sql.SEAL_TENANT, (tenant_id, wait)).fetchone()[0]  # type: ignore[index]
                    for tenant_id, name in tenants}
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None


def verify_all(admin_dsn: str) -> dict[str, dict[str, Any]]:
    """audit.verify_chain for every tenant (after sealing what has finished)."""
    seal_all(admin_dsn, wait=True)
    with admin_connect(admin_dsn) as conn:
        tenants = conn.execute(sql.TENANT_IDS).fetchall()
        return {name: conn.execute(sql.VERIFY_TENANT, (tenant_id,)).fetchone()[0]  # type: ignore[index]
                for tenant_id, name in tenants}


def ensure_partitions(admin_dsn: str, *, when_due: bool = False) -> list[str]:
    """Monthly partitions ahead (as coord_owner, like coord migrate), then rows that landed in a
    default partition moved into monthly ones (audit.rehome_default, as the superuser).

    ``when_due``: do nothing unless audit.partitions_due() says so (the maintenance loop: the
    trigger DDL of ensure_partitions briefly blocks inserts into the audit log)."""
    with admin_connect(admin_dsn) as conn:
        try:
            if when_due and not conn.execute(sql.AUDIT_PARTITIONS_DUE).fetchone()[0]:  # type: ignore[index]
                return []
            with conn.transaction():
                conn.execute(sql.ENSURE_AUDIT_PARTITIONS_AS_OWNER)
                created = [row[0] for row in conn.execute(sql.ENSURE_AUDIT_PARTITIONS)]
            with conn.transaction():
                created += [row[0] for row in conn.execute(sql.REHOME_AUDIT_DEFAULT)]
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
    return created


def archive(admin_dsn: str, before: date, to_dir: Path, *, dry_run: bool = False) -> list[dict[str, Any]]:
    """Export, verify (in the database), record and drop every whole month before ``before``."""
    ensure_partitions(admin_dsn)
    seal_all(admin_dsn, wait=True)
    done: list[dict[str, Any]] = []
    with admin_connect(admin_dsn) as conn:
        try:
            plan = conn.execute(sql.ARCHIVE_PLAN, (before,)).fetchall()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        if dry_run:
            return [{"month": m.isoformat(), "partition": p, "events": n, "archived": False} for m, p, n in plan]
        to_dir.mkdir(parents=True, exist_ok=True)
        for month, partition, _events in plan:
            data_path = to_dir / f"{partition}.jsonl.gz"
            manifest_path = to_dir / f"{partition}{MANIFEST_SUFFIX}"
            try:
                with conn.transaction():
                    summary = conn.execute(sql.ARCHIVE_SUMMARY, (month,)).fetchone()[0]  # type: ignore[index]
                    content = hashlib.sha256()
                    rows = 0
                    with gzip.open(data_path, "wb") as gz, conn.cursor(name=f"lines_{partition}") as cur:
                        cur.execute(sql.ARCHIVE_LINES, (month,))
                        for (line,) in cur:
                            raw = line.encode()
                            gz.write(raw + b"\n")
                            content.update(hashlib.sha256(raw).digest())
                            rows += 1
                    manifest = {"format": MANIFEST_FORMAT, "partition": partition, "month": month.isoformat(),
                                "file": data_path.name, "file_sha256": _file_sha256(data_path),
                                "content_sha256": content.hexdigest(), "rows": rows,
                                "tenants": summary["tenants"],
                                "exported_at": datetime.now(UTC).isoformat()}
                    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
                    result = conn.execute(sql.ARCHIVE_MONTH, (Jsonb(manifest),)).fetchone()[0]  # type: ignore[index]
            except BaseException as exc:
                # Not recorded, nothing dropped: the files are not an archive.
                data_path.unlink(missing_ok=True)
                manifest_path.unlink(missing_ok=True)
                if isinstance(exc, psycopg.Error):
                    raise from_psycopg(exc) from None
                raise
            done.append({"month": month.isoformat(), "partition": partition, "events": rows, "archived": True,
                         "file": str(data_path), "manifest": str(manifest_path),
                         "content_sha256": manifest["content_sha256"], "file_sha256": manifest["file_sha256"],
                         "archived_events": result["archived_events"]})
    return done


def restore(admin_dsn: str, from_dir: Path, *, partition: str | None = None) -> list[dict[str, Any]]:
    """Bring archives back into audit.restored_events after the database verified them."""
    manifests = sorted(from_dir.glob(f"*{MANIFEST_SUFFIX}"))
    if partition is not None:
        manifests = [m for m in manifests if m.name == f"{partition}{MANIFEST_SUFFIX}"]
    if not manifests:
        raise registered("CO484", f"no archive manifest in {from_dir}",
                         hint="pass the directory coord audit archive --to wrote")
    restored: list[dict[str, Any]] = []
    with admin_connect(admin_dsn) as conn:
        for manifest_path in manifests:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("rows") == 0 and partition is None:
                continue  # an empty month: dropped when archived, nothing to bring back
            if manifest.get("format") != MANIFEST_FORMAT:
                raise registered("CO487", f"{manifest_path.name} is not a {MANIFEST_FORMAT} manifest")
            data_path = from_dir / str(manifest.get("file"))
            if data_path.parent != from_dir or not data_path.is_file():
                raise registered("CO487", f"{manifest_path.name}: archive file {manifest.get('file')} is missing")
            found = _file_sha256(data_path)
            if found != manifest.get("file_sha256"):
                raise registered("CO487", f"{data_path.name} does not match its manifest",
                                 f"file sha256 {found}, manifest {manifest.get('file_sha256')}")
            try:
                with conn.transaction():
                    conn.execute(sql.RESTORE_LINES_TABLE)
                    with conn.cursor() as cur, cur.copy(sql.RESTORE_LINES_COPY) as copy, \
                            gzip.open(data_path, "rb") as gz:
                        for n, raw in enumerate(gz, 1):
                            copy.write_row((n, raw.rstrip(b"\n").decode()))
                    result = conn.execute(sql.RESTORE_ARCHIVE, (Jsonb(manifest),)).fetchone()[0]  # type: ignore[index]
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
            restored.append(result)
    return restored
