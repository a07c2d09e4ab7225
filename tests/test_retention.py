"""Retention: archive whole months older than the hot retention to gzip JSON lines with a
manifest, verified by the database before the partitions are dropped; the chain resumes from
the archived anchor; restore brings the month back for auditors, verified link by link.

Old months are made by moving coord.clock back (coord.now() writes occurred_at)."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from coordinator import retention
from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import Database, make_principal

BEFORE = date.today() - timedelta(days=90)


def _set_clock(database: Database, offset: str) -> None:
    with database.connect() as admin:
        admin.execute("update coord.clock set offset_by = %s::interval", (offset,))


def _work(token: str, database: Database, prefix: str, n: int = 3) -> None:
    with Client(database.client_dsn, token) as agent:
        for i in range(n):
            lock = agent.acquire_lock(f"{prefix}/f{i}.py")
            agent.release_lock(f"{prefix}/f{i}.py", lock.fence)


@pytest.fixture
def aged(committed_db: Database):
    """Tenant 'ret' with events 150 days ago and now; tenant 'quiet' only now."""
    _set_clock(committed_db, "-150 days")
    retention.ensure_partitions(committed_db.admin_dsn)
    with committed_db.connect() as admin:
        agent = make_principal(admin, "old", tenant="ret")
        auditor = make_principal(admin, "aud", tenant="ret", role="auditor")
    _work(agent.token, committed_db, "then")
    _set_clock(committed_db, "0")
    retention.ensure_partitions(committed_db.admin_dsn)
    _work(agent.token, committed_db, "now")
    with committed_db.connect() as admin:
        quiet = make_principal(admin, "q", tenant="quiet")
    return committed_db, agent, auditor, quiet


def _month_of(database: Database, tenant_id: object) -> date:
    with database.connect() as admin:
        return admin.execute("select min(occurred_at)::date from audit.events where tenant_id = %s",
                             (tenant_id,)).fetchone()[0].replace(day=1)  # type: ignore[index]


def test_archive_exports_verifies_records_and_drops_and_the_chain_resumes(aged, tmp_path: Path) -> None:
    database, agent, auditor, quiet = aged
    month = _month_of(database, agent.tenant_id)
    partition = f"events_{month:%Y_%m}"
    with database.connect() as admin:
        old_events = admin.execute("select count(*) from audit.events where tenant_id = %s and occurred_at < %s",
                                   (agent.tenant_id, month + timedelta(days=62))).fetchone()[0]
    assert old_events >= 7

    plan = retention.archive(database.admin_dsn, BEFORE, tmp_path, dry_run=True)
    assert partition in [p["partition"] for p in plan] and not any(p["archived"] for p in plan)
    done = retention.archive(database.admin_dsn, BEFORE, tmp_path)
    mine = next(d for d in done if d["partition"] == partition)
    assert mine["events"] >= 7

    # The files: gzip JSON lines and a manifest whose hashes are those of the files.
    data = tmp_path / f"{partition}.jsonl.gz"
    manifest = json.loads((tmp_path / f"{partition}.manifest.json").read_text())
    assert manifest["file_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    assert len(lines) == manifest["rows"] == mine["events"]
    content = hashlib.sha256(b"".join(hashlib.sha256(line.encode()).digest() for line in lines)).hexdigest()
    assert content == manifest["content_sha256"]
    first = json.loads(lines[0])
    assert set(first) == {"tenant_id", "chain_seq", "prev_hash", "hash", "event"}
    tenant_entry = next(t for t in manifest["tenants"] if t["tenant_id"] == str(agent.tenant_id))
    assert tenant_entry["first_seq"] == 1

    with database.connect() as admin:
        assert admin.execute("select to_regclass(%s), to_regclass(%s)",
                             (f"audit.{partition}", f"audit.chain_links_{month:%Y_%m}")).fetchone() == (None, None)
        archived = admin.execute("select last_seq, encode(last_hash, 'hex'), event_id from audit.archives "
                                 "where tenant_id = %s and partition_name = %s",
                                 (agent.tenant_id, partition)).fetchone()
        assert archived[0] == tenant_entry["last_seq"] and archived[1] == tenant_entry["last_hash"]
        event = admin.execute("select action, details->>'content_sha256' from audit.events where id = %s",
                              (archived[2],)).fetchone()
        assert event == ("audit.archived", manifest["content_sha256"])
        # Nothing of the month is left hot; everything later still is.
        assert admin.execute("select count(*) from audit.events where tenant_id = %s and occurred_at < %s",
                             (agent.tenant_id, month + timedelta(days=28))).fetchone()[0] == 0

    with Client(database.client_dsn, auditor.token) as client:
        result = client.verify_audit()
        assert result.ok, result
        assert result.details["anchor_seq"] == tenant_entry["last_seq"]
        assert result.details["head_seq"] > tenant_entry["last_seq"]
        archives = client.list_archives()
        assert [(a.partition_name, a.last_seq) for a in archives] == [(partition, tenant_entry["last_seq"])]
    # The other tenant had nothing in that month and is untouched.
    with database.connect() as admin:
        assert admin.execute("select audit.verify_chain(%s)->>'ok'", (quiet.tenant_id,)).fetchone()[0] == "true"

    # Restore: the month comes back, read-only, for the tenant's auditors.
    restored = retention.restore(database.admin_dsn, tmp_path, partition=partition)
    assert restored[0]["rows"] == manifest["rows"]
    with Client(database.client_dsn, auditor.token) as client:
        rows = client.query_restored_audit(partition=partition, limit=1000)
        assert len(rows) == tenant_entry["rows"]
        assert rows[-1].chain_seq == 1 and rows[0].chain_seq == tenant_entry["last_seq"]
        assert {r.action for r in rows} >= {"lock.acquire", "lock.release"}
        assert client.list_archives()[0].restored
    with pytest.raises(CoordError) as err:
        retention.restore(database.admin_dsn, tmp_path, partition=partition)
    assert err.value.code == "CO488"


def test_a_changed_archive_is_not_restored(aged, tmp_path: Path) -> None:
    database, agent, _auditor, _quiet = aged
    partition = f"events_{_month_of(database, agent.tenant_id):%Y_%m}"
    retention.archive(database.admin_dsn, BEFORE, tmp_path)
    data = tmp_path / f"{partition}.jsonl.gz"
    manifest_path = tmp_path / f"{partition}.manifest.json"
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    forged = json.loads(lines[1])
    forged["event"]["reason"] = "nothing happened here"
    lines[1] = json.dumps(forged)
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))

    with pytest.raises(CoordError) as err:  # the file no longer matches its manifest
        retention.restore(database.admin_dsn, tmp_path, partition=partition)
    assert err.value.code == "CO487"

    manifest = json.loads(manifest_path.read_text())
    manifest["file_sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CoordError) as err:  # a manifest rewritten to match: not the recorded archive
        retention.restore(database.admin_dsn, tmp_path, partition=partition)
    assert err.value.code == "CO487"

    manifest["content_sha256"] = hashlib.sha256(
        b"".join(hashlib.sha256(line.encode()).digest() for line in lines)).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CoordError) as err:  # hashes all consistent, but not what was archived
        retention.restore(database.admin_dsn, tmp_path, partition=partition)
    assert err.value.code == "CO487"
    with database.connect() as admin:
        assert admin.execute("select count(*) from audit.restored_events").fetchone()[0] == 0


def test_the_database_refuses_an_export_that_differs(aged, tmp_path: Path) -> None:
    database, agent, _auditor, _quiet = aged
    month = _month_of(database, agent.tenant_id)
    retention.seal_all(database.admin_dsn, wait=True)
    with database.connect() as admin:
        summary = admin.execute("select audit.archive_summary(%s)", (month,)).fetchone()[0]
        manifest = {**summary, "file": "x.jsonl.gz", "file_sha256": "0" * 64}
        for change in ({"rows": summary["rows"] - 1}, {"content_sha256": "f" * 64},
                       {"tenants": summary["tenants"][1:] or [{"tenant_id": str(agent.tenant_id)}]}):
            with pytest.raises(psycopg.Error) as err:
                admin.execute("select audit.archive_month(%s)", (json.dumps({**manifest, **change}),))
            assert err.value.sqlstate == "CO486", change
        assert admin.execute("select to_regclass(%s)", (f"audit.events_{month:%Y_%m}",)).fetchone()[0] is not None


def test_months_younger_than_the_hot_retention_are_not_archived(committed_db: Database, tmp_path: Path) -> None:
    with pytest.raises(CoordError) as err:
        retention.archive(committed_db.admin_dsn, date.today(), tmp_path)
    assert err.value.code == "CO481"
    assert not list(tmp_path.iterdir())


def test_events_in_the_default_partition_are_rehomed_then_archivable(committed_db: Database,
                                                                      tmp_path: Path) -> None:
    # No partition exists 300 days back: the events land in the default partition.
    _set_clock(committed_db, "-300 days")
    with committed_db.connect() as admin:
        agent = make_principal(admin, "early", tenant="drift")
    _work(agent.token, committed_db, "early")
    _set_clock(committed_db, "0")
    retention.seal_all(committed_db.admin_dsn, wait=True)
    with committed_db.connect() as admin:
        in_default = admin.execute("select count(*) from audit.events_default").fetchone()[0]
        links_in_default = admin.execute("select count(*) from audit.chain_links_default").fetchone()[0]
        assert in_default >= 7 and links_in_default == in_default
    created = retention.ensure_partitions(committed_db.admin_dsn)
    with committed_db.connect() as admin:
        month = admin.execute("select date_trunc('month', coord.now() - interval '300 days')::date").fetchone()[0]
        assert f"events_{month:%Y_%m}" in created and f"chain_links_{month:%Y_%m}" in created
        assert admin.execute("select count(*) from audit.events_default").fetchone()[0] == 0
        assert admin.execute(f"select count(*) from audit.events_{month:%Y_%m}").fetchone()[0] == in_default
        assert admin.execute("select audit.verify_chain(%s)->>'ok'", (agent.tenant_id,)).fetchone()[0] == "true"
        owner = admin.execute("select pg_get_userbyid(relowner) from pg_class where oid = %s::regclass",
                              (f"audit.events_{month:%Y_%m}",)).fetchone()[0]
        assert owner == "coord_owner"
    done = retention.archive(committed_db.admin_dsn, BEFORE, tmp_path)
    assert f"events_{month:%Y_%m}" in [d["partition"] for d in done]


def test_maintenance_creates_partitions_only_when_due(committed_db: Database) -> None:
    def due() -> bool:
        with committed_db.connect() as admin:
            return admin.execute("select audit.partitions_due()").fetchone()[0]  # type: ignore[index, no-any-return]

    assert not due()
    assert retention.ensure_partitions(committed_db.admin_dsn, when_due=True) == []
    _set_clock(committed_db, "5 months")
    assert due()
    created = retention.ensure_partitions(committed_db.admin_dsn, when_due=True)
    assert len(created) >= 4 and not due()
    _set_clock(committed_db, "-400 days")
    with committed_db.connect() as admin:
        make_principal(admin, "stray", tenant="stray")  # lands in the default partition
    _set_clock(committed_db, "0")
    assert due()
    retention.ensure_partitions(committed_db.admin_dsn, when_due=True)
    assert not due()
