"""Helpers for the tests of a tool call whose HTTP client disconnects while it runs
(tests/test_mcp_disconnect.py and its held-back cases): raw sockets, as an agent killed mid-call
leaves them."""

from __future__ import annotations

import json
import socket
from typing import Any

from tests.conftest import Database, wait_for_backends
from tests.test_mcp_http_fast_path import Served, Session

# acquire_lock's re-check pause, in a backend of the MCP server's pool or loop connection.
LOCK_WAIT = "wait_event = 'PgSleep' and application_name = 'coord-mcp'"
# wait_for_approval with a timeout: a connection of its own that LISTENs.
APPROVAL_WAIT = "application_name = 'coord-mcp-wait'"
BUSY = "application_name like 'coord-mcp%' and state <> 'idle'"
PUBLISH = "npm publish --access public"  # shipped rule publish-package: needs approval


def open_call(served: Served, session: Session, request_id: int | str, name: str, arguments: dict[str, Any],
              *, through_sdk: bool = False) -> socket.socket:
    """A tools/call POSTed on a socket of its own, whose answer is not read (the caller closes it)."""
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if through_sdk:
        params["_meta"] = {"progressToken": f"p{request_id}"}  # the fast path leaves it to the SDK
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in session.headers.items())
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=60)
    sock.sendall(f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{served.port}\r\n{head}content-length: {len(body)}\r\n\r\n"
                 .encode() + body)
    return sock


def hold(session: Session, path: str) -> int:
    granted = session.call("acquire_lock", {"p_path": path, "p_ttl": "5 minutes"})
    assert granted["structuredContent"]["ok"], granted
    return int(granted["structuredContent"]["fence"])


def lock_wait(path: str) -> dict[str, Any]:
    return {"p_path": path, "p_ttl": "5 minutes", "p_wait": "60 seconds"}


def pending_approval(session: Session) -> int:
    asked = session.call("check_operation", {"p_kind": "command", "p_text": PUBLISH})["structuredContent"]
    rows = asked.get("rows", [asked])
    assert rows[0]["code"] == "needs_approval", asked
    return int(rows[0]["approval_id"])


def gone(database: Database, condition: str) -> None:
    wait_for_backends(database, condition, 0)


def waiting(database: Database, condition: str, count: int = 1) -> None:
    wait_for_backends(database, condition, count)
