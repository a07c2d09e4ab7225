"""api.query_audit filters and cursors, who may read the audit log, and the coord audit query,
coord audit tail --follow and coord alerts commands."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator import errors
from coordinator.client import Client
from coordinator.errors import EXIT_DATAERR, EXIT_NOT_OK
from tests.conftest import Database, Principal, advance_clock, make_principal
from tests.test_alerts import emit


def coord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""},
                              catch_exceptions=False)


def test_filters(db: psycopg.Connection) -> None:
    alice = make_principal(db, "alice-q")
    bob = make_principal(db, "bob-q")
    auditor = Client(connection=db, token=make_principal(db, role="auditor").token)
    start = auditor.query_audit(limit=1)[0].id
    emit(db, alice, "guardrail.check", "blocked", "warning")
    emit(db, bob, "guardrail.check", "blocked", "warning")
    emit(db, alice, "network_rule.check", "denied", "notice")
    advance_clock(db, "1 hour")
    later = db.execute("select coord.now()").fetchone()[0]  # type: ignore[index]
    emit(db, alice, "lock.acquire", "granted", "info")
    mine = [(e.actor_name, e.action, e.decision) for e in auditor.query_audit(actor="alice-q")]
    assert mine == [("alice-q", "lock.acquire", "granted"), ("alice-q", "network_rule.check", "denied"),
                    ("alice-q", "guardrail.check", "blocked")]
    assert [e.actor_name for e in auditor.query_audit(action="guardrail.*")] [:2] == ["bob-q", "alice-q"]
    assert [e.action for e in auditor.query_audit(action="network_rule.*")] == ["network_rule.check"]
    assert [e.decision for e in auditor.query_audit(actor="alice-q", decision="denied")] == ["denied"]
    assert {e.severity for e in auditor.query_audit(after_id=start, severity="warning")} == {"warning"}
    assert [e.action for e in auditor.query_audit(actor="alice-q", since=later)] == ["lock.acquire"]
    assert [e.action for e in auditor.query_audit(actor="alice-q", until=later)] == \
        ["network_rule.check", "guardrail.check"]
    assert auditor.query_audit(actor="alice-q", since=later - timedelta(days=1), until=later - timedelta(hours=2)) == []
    # The cursor: oldest first after an id, in pages.
    page = auditor.query_audit(after_id=start, limit=2)
    assert [e.actor_name for e in page] == ["alice-q", "bob-q"] and page[0].id < page[1].id
    rest = auditor.query_audit(after_id=page[-1].id)
    assert [e.action for e in rest][:2] == ["network_rule.check", "lock.acquire"]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"action": "guardrail.%"}, "CO491"),
    ({"action": "Lock.acquire"}, "CO491"),
    ({"severity": "loud"}, "CO496"),
    ({"before_id": 10, "after_id": 5}, "CO496"),
    ({"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}, "CO496"),
    ({"limit": 0}, "CO224"),
])
def test_bad_filters(db: psycopg.Connection, kwargs: dict[str, Any], code: str) -> None:
    auditor = Client(connection=db, token=make_principal(db, role="auditor").token)
    with pytest.raises(errors.CoordError) as caught:
        auditor.query_audit(**kwargs)
    assert caught.value.code == code


def test_auditors_read_agents_cannot_and_tenants_stay_apart(db: psycopg.Connection) -> None:
    agent = make_principal(db, tenant="t1")
    emit(db, agent, "guardrail.check", "blocked")
    with pytest.raises(errors.PermissionDenied):
        Client(connection=db, token=agent.token).query_audit()
    foreign = Client(connection=db, token=make_principal(db, tenant="t2", role="auditor").token)
    assert foreign.query_audit(actor=agent.name) == []
    local = Client(connection=db, token=make_principal(db, tenant="t1", role="auditor").token)
    assert [e.actor_name for e in local.query_audit(actor=agent.name)] == [agent.name]


def _setup_cli(database: Database) -> tuple[Principal, str, str]:
    with database.connect() as conn:
        agent = make_principal(conn, "cli-agent")
        operator = make_principal(conn, "cli-ops", role="operator")
        auditor = make_principal(conn, "cli-auditor", role="auditor")
        for _ in range(3):
            emit(conn, agent, "guardrail.check", "blocked")
    return agent, operator.token, auditor.token


def test_cli_audit_and_alerts(committed_db: Database) -> None:
    agent, ops, auditor = _setup_cli(committed_db)
    dsn = ["--dsn", committed_db.client_dsn]
    queried = coord("audit", "query", "--action", "guardrail.*", "--actor", agent.name, "--token", auditor, *dsn,
                    "--json")
    assert queried.exit_code == 0, queried.stderr
    assert [e["decision"] for e in json.loads(queried.stdout)] == ["blocked"] * 3
    bad = coord("audit", "query", "--action", "Bad!", "--token", auditor, *dsn)
    assert bad.exit_code == EXIT_DATAERR and "CO491" in bad.stderr
    # tail --follow: the recent events, then what is written after (one JSON object per line).
    tail = coord("audit", "tail", "--limit", "2", "--follow", "--polls", "1", "--interval", "0", "--token", auditor,
                 *dsn, "--json")
    lines = [json.loads(line) for line in tail.stdout.splitlines()]
    assert tail.exit_code == 0 and len(lines) >= 2 and lines[0]["id"] < lines[1]["id"]
    assert [line["action"] for line in lines[2:]] == ["event.follow"]  # the tail's own registration, streamed
    # Alerts: list (default subcommand), resolve with a note, rules.
    listed = json.loads(coord("alerts", "--open", "--token", auditor, *dsn, "--json").stdout)
    assert [(a["rule"], a["actor_name"], a["event_count"]) for a in listed] == [("guardrail-blocks", agent.name, 3)]
    table = coord("alerts", "list", "--token", auditor, *dsn)
    assert table.exit_code == 0 and "aler" in table.stdout  # a table (narrow in the test terminal)
    denied = coord("alerts", "resolve", str(listed[0]["alert_id"]), "--note", "x", "--token", auditor, *dsn)
    assert denied.exit_code != 0
    resolved = coord("alerts", "resolve", str(listed[0]["alert_id"]), "--note", "re-prompted", "--token", ops, *dsn,
                     "--json")
    assert resolved.exit_code == 0 and json.loads(resolved.stdout)["code"] == "resolved"
    again = coord("alerts", "resolve", str(listed[0]["alert_id"]), "--note", "again", "--token", ops, *dsn)
    assert again.exit_code == EXIT_NOT_OK and "already_resolved" in again.stdout
    assert json.loads(coord("alerts", "--open", "--token", ops, *dsn, "--json").stdout) == []
    added = coord("alerts", "rules", "add", "net", "--action", "network.*", "--decision", "denied", "--threshold",
                  "2", "--within", "5 minutes", "--token", ops, *dsn, "--json")
    assert added.exit_code == 0, added.stdout
    assert coord("alerts", "rules", "disable", "net", "--token", ops, *dsn).exit_code == 0
    assert coord("alerts", "rules", "set", "net", "--threshold", "4", "--token", ops, *dsn).exit_code == 0
    rules = {r["name"]: r for r in json.loads(coord("alerts", "rules", "--token", auditor, *dsn, "--json").stdout)}
    assert (rules["net"]["enabled"], rules["net"]["threshold"]) == (False, 4)
    unknown = coord("alerts", "rules", "enable", "nope", "--token", ops, *dsn)
    assert unknown.exit_code == errors.REGISTRY["CO493"].exit_code


# Each read order of the log, as its reader asks for it (api.query_audit's pages and cursor,
# coord.event_position, the stream and the sealer), and the index that must give it without a
# sort: one index per order, the primary key serving the id order (migration 0045). (Which index
# an action filter takes depends on the rows, so it is not held here.)
READ_ORDERS = [
    ("select e.id from audit.events as e where e.tenant_id = %(t)s order by e.id desc limit 50", "events_pkey"),
    ("select e.id from audit.events as e where e.tenant_id = %(t)s and e.id < 100 order by e.id desc limit 50",
     "events_pkey"),
    ("select e.id from audit.events as e where e.tenant_id = %(t)s and e.id > 100 order by e.id limit 50",
     "events_pkey"),
    ("select e.txid from audit.events as e where e.tenant_id = %(t)s and e.id = 100", "events_pkey"),
    ("select e.id from audit.events as e where e.tenant_id = %(t)s and (e.txid, e.id) > ('1'::xid8, 0) "
     "order by e.txid, e.id limit 50", "events_tenant_txid_idx"),
]


@pytest.mark.parametrize(("query", "index"), READ_ORDERS)
def test_every_read_order_of_the_log_has_its_index(db: psycopg.Connection, query: str, index: str) -> None:
    """With sequential scans and sorts priced out, each reader's query reads the index named for
    its order (the partition's copy of it) and sorts nothing: the key by tenant took the place of
    events_tenant_id_idx, and no reader of the log may be left to a scan and a sort."""
    tenant = make_principal(db, "order-reader").tenant_id
    db.execute("set local enable_seqscan = off")
    db.execute("set local enable_sort = off")
    db.execute("set local enable_bitmapscan = off")
    plan = db.execute("explain (format json, costs off) " + query, {"t": tenant}).fetchone()[0]  # type: ignore[index]
    nodes: list[dict[str, Any]] = []
    todo = [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort", "Seq Scan")], json.dumps(plan)
    used = {idx for n in nodes if (idx := n.get("Index Name"))}
    parents = {r[0] for r in db.execute(
        "select p.relname from pg_catalog.pg_inherits as i join pg_catalog.pg_class as c on c.oid = i.inhrelid "
        "join pg_catalog.pg_class as p on p.oid = i.inhparent where c.relname = any(%s)", (list(used),))}
    assert parents == {index}, (used, parents)
