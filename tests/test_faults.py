"""Fault injection at a small size (bin/bench faults runs the same code at full size): the
server crashed under 8 clients and restarted, a client's backend terminated inside its
transaction, an agent frozen past its leases and thawed, the data directory's file system
filled during writes. Each runs on a server of its own (tests/faults.py), never the shared
test cluster. After each fault: nothing acknowledged is lost, nothing completes twice, no
exclusive leases overlap, every acknowledged mutation has its audit event, the chain verifies."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest

from coordinator.errors import CoordError
from coordinator.server import AUTHENTICATOR
from tests import faults
from tests.faults import FaultServer


@pytest.fixture(scope="module")
def fault_server() -> Iterator[FaultServer]:
    with faults.fault_server() as server:
        yield server


def test_crash_cycles_lose_nothing_acknowledged() -> None:
    """3 crashes (SIGKILL of the postmaster, then pg_ctl stop -m immediate, then SIGKILL) under
    8 clients; the full run is 20 (bin/bench faults)."""
    with faults.fault_server() as server:
        report = faults.crash_cycles(server, cycles=3, clients=8, calls_per_cycle=30, seed=17)
    assert len(report.checks) == 3 and server.crashes == 3
    for n, check in enumerate(report.checks, 1):
        assert check.missing == [], f"cycle {n}: acknowledged commits missing"
        assert check.doubled == [], f"cycle {n}: double completions"
        assert check.overlapping == [], f"cycle {n}: overlapping exclusive leases"
        assert check.unaudited == [], f"cycle {n}: acknowledged mutations without their event"
        assert check.chain["ok"] is True and check.chain["tenants"] >= 1, check.chain
    assert report.acknowledged >= 3 * 30 and report.completed > 0 and report.submitted > 0


def test_the_crash_check_finds_lost_commits() -> None:
    """The check is live: with synchronous_commit off for the clients (and the WAL writer idle)
    a crash loses commits the clients were told about, and the check names them."""
    options = ["-c wal_writer_delay=10s", "-c wal_writer_flush_after=1GB", "-c bgwriter_lru_maxpages=0",
               "-c checkpoint_timeout=1h"]
    with faults.fault_server(options=options) as server:
        with server.connect() as conn:
            conn.execute(f"alter role {AUTHENTICATOR} set synchronous_commit = off")
        report = faults.crash_cycles(server, cycles=1, clients=8, calls_per_cycle=30, seed=18, work_after=False)
    check = report.checks[0]
    assert check.missing and check.unaudited, check


def test_a_killed_completion_leaves_nothing_and_its_retry_completes_once(fault_server: FaultServer) -> None:
    for seed in (1, 2):
        report = faults.killed_completion(fault_server, random.Random(seed), clients=4)
        assert report.killed_error.startswith("08"), report  # the connection is gone
        assert report.partial == [], report
        assert report.retry == "completed", report
        assert report.leaks == [], report


def test_a_killed_acquire_leaks_no_advisory_lock(fault_server: FaultServer) -> None:
    report = faults.killed_acquire(fault_server, random.Random(3))
    assert report.partial == [] and report.leaks == [], report
    assert report.retry == "granted", report


def test_retries_the_api_promises_are_safe(agent_factory) -> None:
    """What a client may repeat when it cannot tell whether a call committed (its connection died
    after the commit, before the answer): the second call must not do the work twice."""
    _principal, agent = agent_factory()
    assert agent.start_session(capabilities=["faults"]).code == "started"
    first = agent.acquire_lock("src/a.py", "1 hour")
    again = agent.acquire_lock("src/a.py", "1 hour")
    assert (first.code, again.code, again.fence) == ("granted", "renewed", first.fence), "acquire_lock renews"
    submitted = agent.submit_task("build", {"n": 1}, unique_key="build-1")
    duplicate = agent.submit_task("build", {"n": 1}, unique_key="build-1")
    assert (duplicate.code, duplicate.task_id) == ("duplicate", submitted.task_id), "unique_key dedupes"
    claim = agent.claim_task(["build"], "1 hour")
    assert agent.complete_task(claim.task_id, claim.claim, {"ok": 1}).code == "completed"
    with pytest.raises(CoordError) as again_completed:
        agent.complete_task(claim.task_id, claim.claim, {"ok": 1})
    assert again_completed.value.code == "CO412", "a completion answers CO412 for the claim that completed it"
    assert agent.release_lock("src/a.py", first.fence).code == "released"
    assert agent.release_lock("src/a.py", first.fence).code == "not_held", "a second release changes nothing"
    assert agent.heartbeat("working").code == "alive" and agent.heartbeat("working").code == "alive"
    assert agent.end_session().code == "ended"
    assert agent.end_session().code == "session_ended", "ending twice changes nothing"


def test_retries_the_api_does_not_promise(agent_factory) -> None:
    """Not idempotent (docs/faults.md): submit_task without a unique_key queues a second task,
    and claim_task claims another task (the first claim runs out its lease)."""
    _principal, agent = agent_factory()
    first, second = agent.submit_task("lint", {"n": 1}), agent.submit_task("lint", {"n": 1})
    assert first.task_id != second.task_id
    claims = {agent.claim_task(["lint"], "1 hour").task_id, agent.claim_task(["lint"], "1 hour").task_id}
    assert claims == {first.task_id, second.task_id}


def test_a_frozen_agent_is_refused_as_stale_and_overwrites_nothing(fault_server: FaultServer) -> None:
    report = faults.frozen_agent(fault_server, random.Random(4))
    assert report.accepted == [], report
    assert report.overwritten == [], report
    assert set(report.refused.values()) <= faults.STALE_CODES and len(report.refused) == 13, report


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CAP_SYS_ADMIN); CI runs as root")
@pytest.mark.parametrize("wal", [False, True], ids=["heap-full", "wal-full"])
def test_a_full_disk_refuses_writes_and_loses_nothing(wal: bool) -> None:
    """The data directory on a 96 MB tmpfs, filled by a file while 4 clients write. heap-full:
    writes are refused with 53100 (could not extend file ...: No space left on device, hint
    Check free disk space), registered as disk_full (ResourcesExhausted: coord exits 75, retry
    later; PostgREST 503), and the server stays up. wal-full: a WAL segment switch cannot create
    the next segment, the server PANICs and restarts itself, and recovery completes once space is
    freed. Either way nothing acknowledged is lost and the chain verifies."""
    with faults.small_tmpfs("96m") as mount:
        server = FaultServer(mount)
        try:
            report = faults.disk_full(server, clients=4, refusals=3, switch_wal=wal)
        finally:
            server.close()
    assert report.acknowledged > 0 and report.missing == 0, report
    assert report.after_free == "submitted", report
    assert report.chain["ok"] is True, report
    assert sum(report.refused.values()) >= 4 * 3, report
    if not wal:
        assert not report.crashed, report
        assert all(r.startswith("53100 ResourcesExhausted exit 75: ") and "No space left on device" in r
                   for r in report.refused), report
    else:
        # Whether the WAL switch PANICs (no room for the next segment) or a heap write is refused
        # first depends on when the filler wins the race for the last blocks: either way it is a
        # refusal or a crash and recovery, never a loss (asserted above).
        assert report.crashed or all(r.startswith("53100 ") for r in report.refused), report

