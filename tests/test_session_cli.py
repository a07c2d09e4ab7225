"""coord session start|end|list|run and --session / COORD_SESSION on every command, against a committed
test database. session run is run as a real process, as a person runs it: its child is another
process that sees COORD_SESSION and calls the api with Client() alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from click.testing import CliRunner, Result
from coord_cli.main import main

from tests.conftest import Database, make_principal

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_SESSION": ""}
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}


def coord(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, **(env or {})}, catch_exceptions=False)


def as_json(result: Result) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def session_row(database: Database, session_id: str) -> tuple[Any, ...]:
    with database.connect() as conn:
        row = conn.execute("select end_reason, (select count(*) from coord.locks l where l.session_id = s.id) "
                           "from coord.sessions s where id = %s", (session_id,)).fetchone()
    assert row is not None
    return row


def test_start_act_in_list_and_end_a_session(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        agent = ["--token", make_principal(conn, "sess-cli").token, "--dsn", committed_db.client_dsn]
    started = as_json(coord("session", "start", "--ttl", "5 minutes", "--agent-type", "shell", *agent, "--json"))
    session = started["session_id"]
    assert started["code"] == "started"
    held = as_json(coord("lock", "acquire", "README.md", *agent, "--json", env={"COORD_SESSION": session}))
    assert held["code"] == "granted"
    assert session_row(committed_db, session) == (None, 1), "the lease belongs to the session COORD_SESSION names"
    beat = as_json(coord("call", "heartbeat", *agent, "--session", session, "--json"))
    assert beat["code"] == "alive", "coord call acts in the session too (it was CO431 without one)"
    listed = as_json(coord("session", "list", *agent, "--json"))
    assert [(r["session_id"], r["agent_type"], r["presence"]) for r in listed] == [(session, "shell", "online")]
    human = coord("session", "start", *agent)
    assert human.exit_code == 0 and "export COORD_SESSION=" in human.stdout
    ended = as_json(coord("session", "end", session, *agent, "--json"))
    assert ended["code"] == "ended"
    assert session_row(committed_db, session)[1] == 0, "ending the session released its lease"
    assert as_json(coord("session", "end", *agent, "--json", env={"COORD_SESSION": session}))["code"] == \
        "session_ended"
    nothing = coord("session", "end", *agent, "--json")
    assert nothing.exit_code != 0 and as_json(nothing)["code"] == "CO431"


def test_a_session_started_in_a_repository_keeps_its_leases_there(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        agent = ["--token", make_principal(conn, "sess-repo").token, "--dsn", committed_db.client_dsn]
    sessions = {repo: as_json(coord("session", "start", *agent, "--json", env={"COORD_REPOSITORY": repo}))["session_id"]
                for repo in ("web", "api")}
    for repo, session in sessions.items():
        held = as_json(coord("lock", "acquire", "README.md", *agent, "--json", env={"COORD_SESSION": session}))
        assert held["code"] == "granted", (repo, held)
    with committed_db.connect() as conn:
        rows = conn.execute("select s.repository, l.repository from coord.sessions s join coord.locks l "
                            "on l.session_id = s.id where s.id = any(%s) order by 1",
                            (list(sessions.values()),)).fetchall()
    assert rows == [("api", "api"), ("web", "web")]
    flag = as_json(coord("session", "start", "--repository", "Not A Name", *agent, "--json"))
    assert flag["code"] == "CO207"


CHILD_TAKES_A_LEASE = """
import os, sys
from coordinator.client import Client
with Client() as client:
    print(os.environ["COORD_SESSION"], client.acquire_lock("src/child.py").code, flush=True)
sys.exit(7)
"""


def run(committed_db: Database, token: str, *args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "coord_cli.main", "session", "run", *args[:-1],
                             "--dsn", committed_db.client_dsn, "--token", token, "--", sys.executable, "-c", args[-1]],
                            env={**CLEAN_ENV, **popen.pop("env", {})}, text=True, stdout=subprocess.PIPE, **popen)


def test_run_passes_the_exit_code_and_the_session_and_ends_it(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        token = make_principal(conn, "runner").token
    parent = run(committed_db, token, "--ttl", "30 seconds", CHILD_TAKES_A_LEASE)
    out, _ = parent.communicate(timeout=120)
    assert parent.returncode == 7, out
    session, code = out.split()
    assert code == "granted"
    end_reason, leases = session_row(committed_db, session)
    assert end_reason is not None and leases == 0, "the session ended with the command and took its lease along"
    with committed_db.connect() as conn:
        left = conn.execute("select count(*) from coord.locks where path = 'src/child.py'").fetchone()
    assert left == (0,), "the child's lease was taken in the session (a lease without one would outlive it)"


# The child waits on the event, not the clock: an operator's fleet watch makes the database
# announce each change of a session on the fleet channel. LISTEN first, then look, then look
# again on each announcement: a heartbeat before LISTEN is seen by the first look.
CHILD_WAITS_FOR_A_HEARTBEAT_THEN_A_SIGNAL = """
import os, signal, sys, time
import psycopg
from psycopg import sql
from coordinator.client import Client
signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
session = os.environ["COORD_SESSION"]
dsn = os.environ["WATCH_DSN"]
with Client() as client, Client(dsn, os.environ["WATCH_TOKEN"]) as watcher, \\
        psycopg.connect(dsn, autocommit=True) as listener:
    watched = watcher.watch_fleet()
    listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(watched.details["channel"])))
    deadline = time.monotonic() + 60
    while not [a for a in client.discover_agents()
               if str(a.session_id) == session and a.last_heartbeat_at > a.started_at]:
        if time.monotonic() > deadline:
            sys.exit(9)
        for _ in listener.notifies(timeout=max(0.0, deadline - time.monotonic()), stop_after=1):
            pass
print(session, flush=True)
signal.pause()
"""


def test_run_heartbeats_and_passes_signals_on(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        token = make_principal(conn, "signalled").token
        operator = make_principal(conn, "signalled-ops", role="operator").token
    parent = run(committed_db, token, "--ttl", "3 seconds", CHILD_WAITS_FOR_A_HEARTBEAT_THEN_A_SIGNAL,
                 env={"WATCH_DSN": committed_db.client_dsn, "WATCH_TOKEN": operator})
    assert parent.stdout is not None
    session = parent.stdout.readline().strip()  # the child saw a heartbeat and waits for a signal
    assert session, "the child exited before a heartbeat"
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 3, "SIGTERM went to the child, and its exit code came back"
    assert session_row(committed_db, session)[0] is not None


def test_run_of_a_missing_command_is_127_and_ends_the_session(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        agent = ["--token", make_principal(conn, "missing").token, "--dsn", committed_db.client_dsn]
    result = coord("session", "run", *agent, "--", "/nonexistent/command")
    assert result.exit_code == 127 and "cannot run /nonexistent/command" in result.stderr
    with committed_db.connect() as conn:
        open_sessions = conn.execute("select count(*) from coord.sessions where end_reason is null").fetchone()
    assert open_sessions == (0,)


CHILD_CUTS_THE_PARENTS_CONNECTION = """
import os, sys
import psycopg
with psycopg.connect(os.environ["ADMIN_DSN"], autocommit=True) as conn:
    conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'coord'")
sys.exit(5)
"""


def test_run_exits_with_the_commands_code_when_the_session_cannot_be_ended(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        token = make_principal(conn, "cut-off").token
    parent = subprocess.Popen(
        [sys.executable, "-m", "coord_cli.main", "session", "run", "--dsn", committed_db.client_dsn, "--token", token,
         "--", sys.executable, "-c", CHILD_CUTS_THE_PARENTS_CONNECTION],
        env={**CLEAN_ENV, "ADMIN_DSN": committed_db.admin_dsn}, text=True, stderr=subprocess.PIPE)
    _, err = parent.communicate(timeout=120)
    assert parent.returncode == 5, err
    assert "could not end session" in err and "ends by itself when its ttl runs out" in err


# The refused heartbeat's audit event is announced on the tenant's events channel (always, for
# this rare event): LISTEN before the revocation, then look, then look again on each announcement.
CHILD_REVOKES_THE_TOKEN_AND_WAITS_FOR_A_REFUSED_HEARTBEAT = """
import os, sys, time
import psycopg
from psycopg import sql
token = os.environ["TOKEN_ID"]
with psycopg.connect(os.environ["ADMIN_DSN"], autocommit=True) as conn:
    [channel] = conn.execute("select coord.events_channel(tenant_id) from coord.tokens where id = %s",
                             (token,)).fetchone()
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    conn.execute("update coord.tokens set revoked_at = now() where id = %s", (token,))
    deadline = time.monotonic() + 60
    while conn.execute("select count(*) from audit.events where action = 'auth.revoked_token' "
                       "and target_id = %s", (token,)).fetchone()[0] == 0:
        if time.monotonic() > deadline:
            sys.exit(9)
        for _ in conn.notifies(timeout=max(0.0, deadline - time.monotonic()), stop_after=1):
            pass
sys.exit(7)
"""


def test_run_stops_heartbeating_a_revoked_token_and_keeps_the_commands_exit_code(committed_db: Database) -> None:
    """A revoked token is refused (PT401) and every use of it is a critical audit event an
    operator reads: after the first refused heartbeat session run stops heartbeating and does
    not try to end the session with it either, says so on stderr, and the command runs on to
    its own exit code."""
    with committed_db.connect() as conn:
        agent = make_principal(conn, "revoked-runner")
    parent = subprocess.Popen(
        [sys.executable, "-m", "coord_cli.main", "session", "run", "--ttl", "2 seconds", "--dsn",
         committed_db.client_dsn, "--token", agent.token, "--", sys.executable, "-c",
         CHILD_REVOKES_THE_TOKEN_AND_WAITS_FOR_A_REFUSED_HEARTBEAT],
        env={**CLEAN_ENV, "ADMIN_DSN": committed_db.admin_dsn, "TOKEN_ID": str(agent.token_id)}, text=True,
        stderr=subprocess.PIPE)
    _, err = parent.communicate(timeout=120)
    assert parent.returncode == 7, err
    assert "heartbeat failed: PT401" in err and "no more heartbeats" in err and "not ending session" in err, err
    with committed_db.connect() as conn:
        events = conn.execute("select count(*) from audit.events where action = 'auth.revoked_token' "
                              "and target_id = %s", (str(agent.token_id),)).fetchone()
    assert events == (1,), "one refused heartbeat, then no more uses of the revoked token"


def test_the_heartbeat_thread_ends_by_itself_when_the_token_is_refused(committed_db: Database) -> None:
    from coord_cli.session import _Heartbeats

    from coordinator.client import Client

    with committed_db.connect() as conn:
        agent = make_principal(conn, "refused-beats")
    with Client(committed_db.client_dsn, agent.token) as client:
        assert client.start_session(ttl="1 minute").ok
        with committed_db.connect() as conn:
            conn.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
        beats = _Heartbeats(client, interval=0.01)
        beats.thread.start()
        beats.thread.join(timeout=60)  # it ends without being stopped, or the test fails here
        assert not beats.thread.is_alive() and not beats.stop.is_set()
        assert beats.refused is not None and beats.refused.code == "PT401"
