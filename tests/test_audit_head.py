"""The chain head an operator keeps outside the database: api.audit_head / coord audit head
print it; api.verify_audit(p_head) / coord audit verify --head refuse a chain that no longer
contains it or ends before it. A chain only proves itself: a superuser who deletes the newest
events and links leaves a shorter chain that verifies; the saved head is what notices."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cli.main import main
from coordinator.client import Client
from coordinator.errors import EXIT_DATAERR, EXIT_NOT_OK, CoordError
from tests.conftest import Database, bypass_audit_guard, make_principal

HEAD = re.compile(r"^coord-audit-head:1:[0-9a-f-]{36}:[0-9]+:[0-9a-f]{64}$")
ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": ""}


def test_the_head_is_the_newest_sealed_link_and_taking_it_is_audited(db: psycopg.Connection, agent_factory) -> None:
    principal, agent = agent_factory(tenant="headed")
    _, auditor = agent_factory(role="auditor", tenant="headed")
    agent.acquire_lock("a.py")
    head = auditor.audit_head()
    # Inside the test's transaction nothing is sealable yet: the head is the genesis.
    assert (head.ok, head.code, head.details["chain_seq"]) == (True, "head", 0)
    assert head.details["hash"] == db.execute("select encode(audit.genesis_hash(%s), 'hex')",
                                              (principal.tenant_id,)).fetchone()[0]
    assert HEAD.match(head.details["head"]) and head.details["head"].endswith(head.details["hash"])
    assert db.execute("select count(*) from audit.events where action = 'audit.head' and tenant_id = %s",
                      (principal.tenant_id,)).fetchone() == (1,)
    with pytest.raises(CoordError) as refused:
        agent.audit_head()
    assert refused.value.code == "42501"
    _, narrow = agent_factory(role="auditor", tenant="headed", scopes=["locks:read"])
    assert narrow.audit_head().code == "denied"


def test_a_malformed_head_or_another_tenants_head_is_an_error(db: psycopg.Connection, agent_factory) -> None:
    _, auditor = agent_factory(role="auditor", tenant="one")
    _, other = agent_factory(role="auditor", tenant="two")
    for bad in ("", "coord-audit-head:1:x:1:ab", "coord-audit-head:2:" + "0" * 36 + ":1:" + "a" * 64):
        with pytest.raises(CoordError) as caught:
            auditor.verify_audit(head=bad)
        assert caught.value.code == "CO603", bad
    with pytest.raises(CoordError) as caught:
        auditor.verify_audit(head=other.audit_head().details["head"])
    assert caught.value.code == "CO604"


@pytest.fixture
def chain(committed_db: Database):
    """A committed tenant with a sealed chain of a dozen events and a superuser connection."""
    with committed_db.connect() as admin:
        worker = make_principal(admin, "worker", tenant="kept")
        auditor = make_principal(admin, "auditor", tenant="kept", role="auditor")
    with Client(committed_db.client_dsn, worker.token) as agent:
        for i in range(6):
            lock = agent.acquire_lock(f"src/f{i}.py")
            agent.release_lock(f"src/f{i}.py", lock.fence)
    client = Client(committed_db.client_dsn, auditor.token)
    conn = psycopg.connect(committed_db.admin_dsn)
    yield worker.tenant_id, client, conn, worker
    conn.close()
    client.close()


def _truncate_after(conn: psycopg.Connection, tenant_id: object, keep: int) -> None:
    """The superuser's cover-up: every event after chain position `keep` and its link deleted
    (the unsealed ones too), so what is left is a shorter chain that verifies."""
    bypass_audit_guard(conn)
    for table in ("audit.events", "audit.chain_links"):
        for (partition,) in conn.execute("select inhrelid::regclass::text from pg_inherits "
                                         "where inhparent = %s::regclass", (table,)).fetchall():
            conn.execute(f"alter table {partition} disable trigger all")
    last = conn.execute("select txid, event_id from audit.chain_links where tenant_id = %s and chain_seq = %s",
                        (tenant_id, keep)).fetchone()
    conn.execute("delete from audit.chain_links where tenant_id = %s and chain_seq > %s", (tenant_id, keep))
    conn.execute("delete from audit.events where tenant_id = %s and (txid, id) > (%s, %s)", (tenant_id, *last))
    conn.commit()


def test_a_saved_head_finds_the_newest_links_truncated(chain, committed_db: Database) -> None:
    tenant_id, client, conn, worker = chain
    saved = client.audit_head()
    seq, head = saved.details["chain_seq"], saved.details["head"]
    assert seq >= 12 and HEAD.match(head)
    assert client.verify_audit(head=head).ok

    _truncate_after(conn, tenant_id, seq - 4)
    conn.execute("select audit.seal(%s, true)", (tenant_id,))  # re-sealed: nothing left to link
    conn.commit()
    blind = client.verify_audit(seal=False)
    assert (blind.ok, blind.code) == (True, "intact"), "the shortened chain proves itself"
    assert blind.details["head_seq"] == seq - 4

    caught = client.verify_audit(seal=False, head=head)
    assert (caught.ok, caught.code, caught.details["problem"]) == (False, "broken", "head_missing")
    assert caught.details["saved_head"] == {"ok": False, "problem": "head_missing", "chain_seq": seq,
                                      "expected": f"a link at chain_seq {seq}",
                                      "found": f"the chain ends at chain_seq {seq - 4}",
                                      "missing": f"{seq - 3}..{seq}"}
    assert f"chain_seq {seq - 3}..{seq}" in (caught.reason or "")

    # New events are sealed where the deleted ones were: the saved position now holds another link.
    with Client(committed_db.client_dsn, worker.token) as agent:
        for i in range(3):
            agent.acquire_lock(f"later/{i}.py")
    rewritten = client.verify_audit(head=head)  # seals first
    assert rewritten.details["head_seq"] >= seq
    assert (rewritten.ok, rewritten.details["problem"]) == (False, "head_mismatch")
    assert rewritten.details["saved_head"]["found"] != saved.details["hash"]
    assert rewritten.details["saved_head"]["expected"] == saved.details["hash"]


def test_coord_audit_head_and_verify_head_from_a_file(chain, committed_db: Database, tmp_path: Path) -> None:
    tenant_id, client, conn, _ = chain
    base = ["--dsn", committed_db.client_dsn, "--token", client.token]
    printed = CliRunner().invoke(main, ["audit", "head", *base], env=ENV, catch_exceptions=False)
    assert printed.exit_code == 0, printed.stderr
    line = printed.stdout.strip().splitlines()[0]
    assert HEAD.match(line), printed.stdout
    as_json = CliRunner().invoke(main, ["audit", "head", "--json", *base], env=ENV, catch_exceptions=False)
    kept = tmp_path / "head.json"
    kept.write_text(as_json.stdout)
    verified = CliRunner().invoke(main, ["audit", "verify", "--head", str(kept), *base], env=ENV,
                                  catch_exceptions=False)
    assert verified.exit_code == 0, verified.stdout
    (tmp_path / "head.txt").write_text("coord-audit-head:1:an-older-one\n" + line + "\n\n")  # a log: the last counts
    _truncate_after(conn, tenant_id, int(line.split(":")[3]) - 2)
    broken = CliRunner().invoke(main, ["audit", "verify", "--no-seal", "--head", str(tmp_path / "head.txt"), *base],
                                env=ENV, catch_exceptions=False)
    assert broken.exit_code == EXIT_NOT_OK and "head_missing" in broken.stdout
    by_value = CliRunner().invoke(main, ["audit", "verify", "--no-seal", "--head", line, "--json", *base], env=ENV,
                                  catch_exceptions=False)
    assert by_value.exit_code == EXIT_NOT_OK and json.loads(by_value.stdout)["details"]["problem"] == "head_missing"
    bad = CliRunner().invoke(main, ["audit", "verify", "--head", "not-a-head", "--json", *base], env=ENV,
                             catch_exceptions=False)
    assert bad.exit_code == EXIT_DATAERR and json.loads(bad.stdout)["code"] == "CO603"
