"""The per-tenant audit hash chain: sealing, verification, and tampering by a superuser.

Tampering needs the append-only triggers out of the way: the superuser announces a migration to
the DDL guard (tests/test_audit_guard.py) and disables them with ALTER TABLE ... DISABLE TRIGGER
inside the test's own transaction."""

from __future__ import annotations

import json

import psycopg
import pytest

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import bypass_audit_guard, make_principal


def _events(db: psycopg.Connection, tenant_id: object) -> list[tuple[int, int]]:
    """(chain_seq, event_id) of the tenant's links in chain order."""
    return db.execute("select chain_seq, event_id from audit.chain_links where tenant_id = %s order by chain_seq",
                      (tenant_id,)).fetchall()


def _busy_tenant(db: psycopg.Connection, agent_factory, tenant: str = "chain") -> tuple[object, Client, Client]:
    principal, agent = agent_factory(tenant=tenant)
    _, auditor = agent_factory(role="auditor", tenant=tenant)
    for i in range(4):
        lock = agent.acquire_lock(f"src/f{i}.py")
        agent.release_lock(f"src/f{i}.py", lock.fence)
    agent.check_network("example.com")
    return principal.tenant_id, agent, auditor


def _unprotect(db: psycopg.Connection) -> None:
    bypass_audit_guard(db)
    for table in ("audit.events_default", "audit.chain_links_default"):
        db.execute(f"alter table {table} disable trigger all")
    for row in db.execute("select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                          "where n.nspname = 'audit' and c.relispartition and c.relkind = 'r'").fetchall():
        db.execute(f"alter table {row[0]} disable trigger all")


def test_an_untouched_chain_verifies_and_counts_what_it_sealed(db: psycopg.Connection, agent_factory) -> None:
    tenant_id, _agent, auditor = _busy_tenant(db, agent_factory)
    # Inside one test transaction every event's position is at or above our txid, never below xmin:
    # nothing is sealable until it commits. That is the sealer's rule, seen from inside.
    assert db.execute("select audit.seal(%s, true)", (tenant_id,)).fetchone()[0] == 0
    result = auditor.verify_audit()
    assert result.ok and result.code == "intact"
    assert result.details["sealed"] == 0 and result.details["unsealed"] >= 9
    assert db.execute("select count(*) from audit.events where action = 'audit.verify' and decision = 'intact' "
                      "and tenant_id = %s", (tenant_id,)).fetchone()[0] == 1


def test_only_operators_and_auditors_with_audit_read_verify_and_denials_are_audited(
        db: psycopg.Connection, agent_factory) -> None:
    tenant_id, agent, _ = _busy_tenant(db, agent_factory)
    with pytest.raises(CoordError) as err:
        agent.verify_audit()
    assert err.value.code == "42501"  # not granted to agents at all
    _, narrow = agent_factory(role="auditor", tenant="chain", scopes=["locks:read"])
    result = narrow.verify_audit()
    assert not result.ok and result.code == "denied"
    assert db.execute("select count(*) from audit.events where action = 'audit.verify' and decision = 'denied' "
                      "and tenant_id = %s", (tenant_id,)).fetchone()[0] == 1


@pytest.fixture
def sealed(committed_db):
    """A committed tenant with a sealed chain of a dozen events, plus a superuser connection."""
    with committed_db.connect() as admin:
        principal = make_principal(admin, "worker", tenant="sealed")
        auditor = make_principal(admin, "auditor", tenant="sealed", role="auditor")
        make_principal(admin, "other", tenant="elsewhere")
    with Client(committed_db.client_dsn, principal.token) as agent:
        for i in range(5):
            lock = agent.acquire_lock(f"src/f{i}.py")
            agent.release_lock(f"src/f{i}.py", lock.fence)
        agent.check_network("example.com")
    client = Client(committed_db.client_dsn, auditor.token)
    first = client.verify_audit()
    assert first.ok and first.details["sealed"] >= 11 and first.details["unsealed"] == 0
    conn = psycopg.connect(committed_db.admin_dsn)
    yield principal.tenant_id, client, conn
    conn.close()
    client.close()


def _report(client: Client) -> dict:
    result = client.verify_audit(seal=False)
    assert not result.ok and result.code == "broken", result
    return result.details  # type: ignore[return-value]


def _link(conn: psycopg.Connection, tenant_id: object, seq: int) -> tuple[int, object]:
    return conn.execute("select event_id, occurred_at from audit.chain_links where tenant_id = %s and chain_seq = %s",
                        (tenant_id, seq)).fetchone()  # type: ignore[return-value]


def test_the_first_chain_of_each_tenant_starts_at_its_genesis(sealed) -> None:
    tenant_id, _client, conn = sealed
    seqs = _events(conn, tenant_id)
    assert [s for s, _ in seqs] == list(range(1, len(seqs) + 1))
    first = conn.execute("select prev_hash = audit.genesis_hash(tenant_id) from audit.chain_links "
                         "where tenant_id = %s and chain_seq = 1", (tenant_id,)).fetchone()[0]
    assert first
    # audit.record inserts are never updated: the reserved columns stay null.
    assert conn.execute("select count(*) from audit.events where hash is not null").fetchone()[0] == 0


def test_modified_details_are_named_as_the_first_bad_link(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    event_id, at = _link(conn, tenant_id, 4)
    conn.execute("update audit.events set details = details || '{\"forged\": true}' where id = %s and occurred_at = %s",
                 (event_id, at))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"], report["event_id"]) == ("hash_mismatch", 4, event_id)
    assert report["expected"] != report["found"] and len(report["found"]) == 64


def test_a_deleted_event_is_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    event_id, at = _link(conn, tenant_id, 3)
    conn.execute("delete from audit.events where id = %s and occurred_at = %s", (event_id, at))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"], report["event_id"]) == ("event_missing", 3, event_id)


def test_two_swapped_events_are_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    (a, _at_a), (b, _at_b) = _link(conn, tenant_id, 5), _link(conn, tenant_id, 6)
    # Swap the two events' contents (everything but their identity).
    conn.execute("""
        with x as (select id, action, target_id, decision, details from audit.events where id in (%s, %s))
        update audit.events e set action = y.action, target_id = y.target_id, decision = y.decision,
                                  details = y.details
        from x y where e.id in (%s, %s) and y.id <> e.id""", (a, b, a, b))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"], report["event_id"]) == ("hash_mismatch", 5, a)


def test_swapped_links_are_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    conn.execute("update audit.chain_links set chain_seq = 15 - chain_seq "
                 "where tenant_id = %s and chain_seq in (7, 8)", (tenant_id,))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"]) == ("prev_hash_mismatch", 7)


def test_an_edited_stored_hash_is_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    conn.execute("update audit.chain_links set hash = sha256('forged') where tenant_id = %s and chain_seq = 2",
                 (tenant_id,))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"]) == ("hash_mismatch", 2)
    assert report["found"] == conn.execute("select encode(sha256('forged'), 'hex')").fetchone()[0]


def test_a_deleted_link_and_a_rewritten_tail_are_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    conn.execute("delete from audit.chain_links where tenant_id = %s and chain_seq = 6", (tenant_id,))
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["chain_seq"], report["expected"], report["found"]) == (
        "link_missing", 7, "6", "7")
    # Re-hashing everything after an edit does not help: the recomputed links no longer
    # continue from the genesis-rooted prefix unless the whole chain is rewritten, and a
    # rewrite from seq 1 changes the head hash an auditor recorded outside the database.


def test_an_event_slipped_in_behind_the_head_is_named(sealed) -> None:
    tenant_id, client, conn = sealed
    _unprotect(conn)
    forged = conn.execute("""
        insert into audit.events (tenant_id, occurred_at, actor_type, action, decision, txid)
        values (%s, now(), 'system', 'lock.release', 'released', '3') returning id""", (tenant_id,)).fetchone()[0]
    conn.commit()
    report = _report(client)
    assert (report["problem"], report["event_id"]) == ("event_unlinked", forged)


def test_the_other_tenant_is_not_affected_by_tampering(sealed, committed_db) -> None:
    tenant_id, _client, conn = sealed
    _unprotect(conn)
    event_id, at = _link(conn, tenant_id, 4)
    conn.execute("update audit.events set reason = 'x' where id = %s and occurred_at = %s", (event_id, at))
    conn.commit()
    other = conn.execute("select id from coord.tenants where name = 'elsewhere'").fetchone()[0]
    conn.execute("select audit.seal(%s, true)", (other,))
    conn.commit()
    assert conn.execute("select audit.verify_chain(%s)->>'ok'", (other,)).fetchone()[0] == "true"


def test_the_chain_itself_refuses_update_delete_and_truncate(db: psycopg.Connection) -> None:
    tenant_id = make_principal(db, tenant="frozen").tenant_id
    db.execute("insert into audit.chain_links (tenant_id, chain_seq, event_id, occurred_at, txid, prev_hash, hash) "
               "values (%s, 1, 1, now(), '1', sha256(''), sha256(''))", (tenant_id,))
    for statement in ("update audit.chain_links set chain_seq = chain_seq",
                      "delete from audit.chain_links", "truncate audit.chain_links",
                      "truncate audit.archives", "truncate audit.restored_events"):
        with pytest.raises(psycopg.Error) as err, db.transaction():
            db.execute("set local session_replication_role = replica")
            db.execute(statement)
        assert err.value.sqlstate in ("CO601", "42501"), statement


def test_coord_audit_verify_exits_nonzero_on_a_broken_chain(sealed, committed_db) -> None:
    from click.testing import CliRunner

    from cli.main import main
    from coordinator.errors import EXIT_NOT_OK

    tenant_id, client, conn = sealed
    args = ["audit", "verify", "--json", "--dsn", committed_db.client_dsn, "--token", client.token]
    env = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""}
    intact = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert intact.exit_code == 0 and json.loads(intact.stdout)["code"] == "intact"
    sealed_now = CliRunner().invoke(main, ["audit", "seal", "--admin-dsn", committed_db.admin_dsn, "--json"],
                                    env=env, catch_exceptions=False)
    assert sealed_now.exit_code == 0 and json.loads(sealed_now.stdout)["sealed"] == 1  # the verify event
    _unprotect(conn)
    event_id, at = _link(conn, tenant_id, 2)
    conn.execute("update audit.events set actor_name = 'someone else' where id = %s and occurred_at = %s",
                 (event_id, at))
    conn.commit()
    broken = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert broken.exit_code == EXIT_NOT_OK
    report = json.loads(broken.stdout)
    assert (report["code"], report["details"]["chain_seq"], report["details"]["event_id"]) == ("broken", 2, event_id)
    human = CliRunner().invoke(main, args[:2] + args[3:], env=env, catch_exceptions=False)
    assert human.exit_code == EXIT_NOT_OK and "hash_mismatch at chain_seq 2" in human.stdout
