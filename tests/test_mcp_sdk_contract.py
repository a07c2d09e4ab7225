"""The MCP fast paths (coordinator/mcp_server.py: ToolCallFastPath over stdio, HttpToolCallFastPath
and its _FastPathTransport / _FastPathSessionManager over HTTP) reach past the SDK's public
surface: private methods they override or call, the private attribute that leads a middleware
from its context to the connection, and the custom pipes handed to stdio_server. An SDK
release may rename any of them without notice, and some uses would then degrade silently (a
getattr default turns the fast path off). These tests name each one, build the SDK's real
objects, and fail with the installed SDK version, the pin, and what is missing; a scan of the
module fails on a private name it uses that this list does not know, so the list stays whole.
No database: the SDK alone."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import tomllib
from pathlib import Path

import pytest
from mcp.server.connection import Connection
from mcp.server.lowlevel import Server
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

ROOT = Path(__file__).parent.parent
MODULE = ROOT / "coordinator" / "mcp_server.py"
SDK = importlib.metadata.version("mcp")
PIN = next(d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
           if re.match(r"mcp\b(?!-)", d))

# Methods of SDK classes the fast paths override or call: (class, name, the parameters they are
# called with, after self). A renamed method would be silently not overridden any more.
METHODS: list[tuple[type, str, tuple[str, ...]]] = [
    (StreamableHTTPServerTransport, "_handle_post_request", ("scope", "request", "receive", "send")),
    (StreamableHTTPServerTransport, "_check_content_type", ("request",)),
    (StreamableHTTPSessionManager, "_admit_session", ("requestor",)),
    # A request whose HTTP client disconnected is cancelled through the session's read stream,
    # framed as the transport frames a notification.
    (StreamableHTTPServerTransport, "_message_metadata",
     ("request", "close_sse_stream", "close_standalone_sse_stream", "on_request_unanswered")),
]
# Private attributes read off SDK objects: (what holds it, name). ctx.session._connection is
# read with getattr(..., None): if it went, the fast paths would quietly stop answering.
PRIVATE_ATTRIBUTES = {("ServerSession", "_connection"), ("StreamableHTTPServerTransport", "_read_stream_writer")}
# Public attributes of SDK objects the fast paths read (renames break them as surely).
CONNECTION_ATTRIBUTES = ("initialize_accepted", "protocol_version", "session_id", "exit_stack")
SERVER_ATTRIBUTES = ("middleware", "cache_hints")
TRANSPORT_ATTRIBUTES = ("mcp_session_id", "is_json_response_enabled")
# Private names a scan of `x._name` finds that are not the SDK's: os._exit, and the project's own
# coordinator.client.Client caches that the server shares between its clients.
OWN_ATTRIBUTES = {"_exit", "_queries", "_signatures"}


def missing(what: str) -> str:
    return (f"MCP SDK {SDK} (pyproject pins {PIN!r}) no longer has {what}, which the MCP fast paths in "
            f"coordinator/mcp_server.py rely on: adapt them to this SDK, or pin the SDK below this version")


def _connection() -> Connection:
    return Connection(object(), protocol_version="2025-06-18", session_id="s")  # type: ignore[arg-type]


@pytest.mark.parametrize(("owner", "name", "parameters"), METHODS, ids=[f"{o.__name__}.{n}" for o, n, _ in METHODS])
def test_the_private_methods_the_fast_paths_override_or_call_exist(owner: type, name: str,
                                                                   parameters: tuple[str, ...]) -> None:
    method = getattr(owner, name, None)
    assert callable(method), missing(f"{owner.__name__}.{name}()")
    found = tuple(inspect.signature(method).parameters)[1:]
    assert found == parameters, missing(f"{owner.__name__}.{name}{parameters} (it takes {found})")


def test_a_middleware_reaches_the_connection_through_the_session() -> None:
    connection = _connection()
    session = ServerSession(None, connection)  # type: ignore[arg-type]
    assert getattr(session, "_connection", None) is connection, missing("ServerSession._connection")


def test_the_public_attributes_the_fast_paths_read_exist() -> None:
    connection = _connection()
    for name in CONNECTION_ATTRIBUTES:
        assert hasattr(connection, name), missing(f"Connection.{name}")
    assert connection.initialize_accepted is False, missing("Connection.initialize_accepted, False before initialize")
    server = Server("contract")
    for name in SERVER_ATTRIBUTES:
        assert hasattr(server, name), missing(f"Server.{name}")
    assert isinstance(server.middleware, list), missing("Server.middleware as a list the fast paths append to")
    transport = StreamableHTTPServerTransport(mcp_session_id="s", is_json_response_enabled=True)
    for name in TRANSPORT_ATTRIBUTES:
        assert hasattr(transport, name), missing(f"StreamableHTTPServerTransport.{name}")
    assert (transport.mcp_session_id, transport.is_json_response_enabled) == ("s", True)
    assert hasattr(transport, "_read_stream_writer"), missing("StreamableHTTPServerTransport._read_stream_writer")


def test_stdio_server_takes_the_pipes_the_fast_path_hands_it() -> None:
    """serve_pipes passes its own line reader and writer as stdin and stdout."""
    parameters = tuple(inspect.signature(stdio_server).parameters)
    assert parameters == ("stdin", "stdout"), missing("stdio_server(stdin, stdout)")


def test_every_private_name_the_module_uses_is_listed_here() -> None:
    source = MODULE.read_text()
    own = set(re.findall(r"\bself\.(_\w+)\s*(?::[^=\n]*)?=", source)) | set(re.findall(r"\bdef (_\w+)", source))
    used = set(re.findall(r"\.(_[a-z]\w*)\b", source)) | set(re.findall(r"getattr\(\w[\w.]*, \"(_\w+)\"", source))
    listed = {name for _, name, _ in METHODS} | {name for _, name in PRIVATE_ATTRIBUTES} | OWN_ATTRIBUTES
    assert sorted(used - own - listed) == [], ("private names coordinator/mcp_server.py uses that are neither its "
                                              "own nor listed in tests/test_mcp_sdk_contract.py: list and test each")


def test_the_sdk_is_pinned_to_the_minor_release_these_tests_passed_on() -> None:
    """Internals change in minor releases as freely as anywhere: the pin admits patch releases
    of one minor release (mcp>=X.Y,<X.Y+1), and the installed SDK is inside it."""
    pin = re.fullmatch(r"mcp>=(\d+)\.(\d+)(?:\.\d+)?,<(\d+)\.(\d+)", PIN.replace(" ", ""))
    assert pin, f"pyproject must pin the MCP SDK to one minor release (mcp>=X.Y,<X.Y+1), not {PIN!r}"
    low_major, low_minor, high_major, high_minor = (int(g) for g in pin.groups())
    assert (high_major, high_minor) == (low_major, low_minor + 1), f"{PIN!r} spans more than one minor release"
    installed = tuple(int(p) for p in re.findall(r"\d+", SDK)[:2])
    assert installed == (low_major, low_minor), f"the installed SDK {SDK} is outside {PIN!r}"
