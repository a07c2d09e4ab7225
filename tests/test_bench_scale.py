"""The snapshot, growth and agents benchmarks (bench/snapshot.py, growth.py, agents.py) run at
their --quick sizes against a committed clone: each harness runs end to end and reports what it
measured. No timing is asserted (benchmarks, not tests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import agents
import growth
import psycopg
import snapshot


def test_snapshot_reports_each_queue_with_and_without_a_held_snapshot(committed_db: Any) -> None:
    args = snapshot.parse(["--quick"])
    outcomes = snapshot.run(committed_db.client_dsn, committed_db.admin_dsn, args)
    assert [o.name for o in outcomes] == ["api", "naive"]
    for o in outcomes:
        assert o.baseline > 0 and len(o.held) == args.buckets and all(r > 0 for r in o.held)
    lines = snapshot.render(outcomes, args.seconds, args.buckets)
    assert lines[0].startswith("| queue | no snapshot | 1 s | 2 s | loss |") and len(lines) == 4
    assert all(o.buffers_before > 0 and o.buffers_after > 0 for o in outcomes)
    assert [(o.count_before is not None and o.count_before > 0, o.count_after is not None and o.count_after > 0)
            for o in outcomes] == [(True, True), (False, False)]
    with psycopg.connect(committed_db.admin_dsn, autocommit=True) as conn:  # the snapshot was released
        assert conn.execute("select count(*) from pg_stat_activity where state = 'idle in transaction' "
                            "and datname = current_database()").fetchone()[0] == 0  # type: ignore[index]


def test_growth_generates_each_size_and_plots_it(committed_db: Any, tmp_path: Path) -> None:
    args = growth.parse(["--quick"])
    figures = growth.run(committed_db.client_dsn, committed_db.admin_dsn, args)
    assert list(figures) == [1, 2] and all(set(f) == set(growth.OPS) for f in figures.values())
    with psycopg.connect(committed_db.admin_dsn, autocommit=True) as conn:
        tenant = "(select id from coord.tenants where name = 'bench')"
        count = lambda sql: conn.execute(sql.format(tenant=tenant)).fetchone()[0]  # type: ignore[index]  # noqa: E731
        assert count("select count(*) from coord.tasks where tenant_id = {tenant} and kind like 'backlog-%' "
                     "and state = 'completed'") == 2 * args.base.finished
        assert count("select count(*) from coord.tasks where tenant_id = {tenant} and kind like 'backlog-%' "
                     "and state = 'queued'") == 2 * args.base.queued
        assert count("select count(*) from coord.locks where tenant_id = {tenant} and path like 'held/%'") \
            == 2 * args.base.leases
        # the triggers the generation turned off are back as they were
        assert count("select string_agg(tgname || '=' || tgenabled::text, ',' order by tgname) from pg_trigger "
                     "where tgrelid = 'coord.tasks'::regclass and tgname in ('tasks_submitted', 'tasks_transition')") \
            == "tasks_submitted=A,tasks_transition=A"
        # the empty copy measured alongside is gone
        assert count("select count(*) from pg_database where datname = current_database() || '_empty'") == 0
    lines = growth.render(figures, args.base)
    assert [line.split(" | ")[:2] for line in lines[2:10]] == [[f"| {k}x", op] for k in (1, 2) for op in growth.OPS]
    png = tmp_path / "growth.png"
    growth.plot(figures, args.base, png, "smoke")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_agents_share_one_pool_and_report_every_call(committed_db: Any) -> None:
    args = agents.parse(["--quick"])
    results = agents.run(committed_db.client_dsn, committed_db.admin_dsn, args)
    assert set(results) == {(4, 2), (8, 2)}
    for cells in results.values():
        assert all(cell.latencies[c] for cell in cells for c in ("acquire_lock", "release_lock", "submit_task",
                                                                  "claim_task"))
    lines = agents.render(results, args.agents, args.pools)
    assert len(lines) == 4 and "| 4 | **2** |" in lines[2]
