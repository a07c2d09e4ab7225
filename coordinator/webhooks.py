"""The webhook deliverer: HTTP is the only part outside the database.

The database writes the outbox (one delivery per subscription and event, its body signed with the
subscription's secret, which never leaves the database), decides what is due, hands each due
delivery to one deliverer (SKIP LOCKED), and decides from the report what happens next
(delivered, retried with backoff, dead). This module POSTs what it was handed and reports the
answer: ``coord notify`` runs it every few seconds, ``coord maintain`` once per run.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import logging
import math
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from . import adapt, sql
from .client import USER_AGENT, Client
from .errors import CoordError, registered
from .results import Result

SIGNATURE_HEADER = "X-Coord-Signature"
_log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Attempt:
    """One POST of a delivery and what the database made of it."""

    delivery_id: int
    webhook: str
    event_id: int
    attempt: int
    status: int | None
    error: str | None
    code: str


class _Pinned(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the host name resolves to by
    the time the connection is made (a second lookup may answer 127.0.0.1)."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.raw: socket.socket | None = None  # the TCP socket, as soon as there is one (_cut)
        self.cut = threading.Event()

    def connect(self) -> None:
        self.sock = self.raw = socket.create_connection((self.address, self.port), self.timeout)
        _cut_if_late(self)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address
        self.raw: socket.socket | None = None
        self.cut = threading.Event()

    def connect(self) -> None:
        sock = self.raw = socket.create_connection((self.address, self.port), self.timeout)
        _cut_if_late(self)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _target(url: str, refused: list[str]) -> tuple[urllib.parse.SplitResult, str]:
    """The URL's parts and the address to connect to: every address the host resolves to must lie
    outside the networks the database refuses (claim_webhook_deliveries' refused_networks)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url[:100]}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    networks = [ipaddress.ip_network(n) for n in refused]
    addresses = [str(info[4][0]) for info in found]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if any(ip.version == n.version and ip in n for n in networks):
            raise PermissionError(f"{parts.hostname} resolves to {ip}, a private address this tenant's webhooks may "
                                  "not target")
    return parts, addresses[0]


def _cut(connection: _Pinned | _PinnedTLS) -> None:
    """Ends an attempt that ran out of time: shutting the socket down wakes the blocked read (a
    socket connected after this is shut down by _cut_if_late)."""
    connection.cut.set()
    _cut_if_late(connection)


def _cut_if_late(connection: _Pinned | _PinnedTLS) -> None:
    if connection.cut.is_set() and connection.raw is not None:
        with contextlib.suppress(OSError):
            connection.raw.shutdown(socket.SHUT_RDWR)


def post(delivery: dict[str, Any], timeout: float,
         refused: list[str] | None = None) -> tuple[bool, int | None, str | None]:
    """POST the delivery's body with its signature and idempotency key: (2xx?, status, error).
    A redirect is the receiver's answer, not followed (it would send the delivery's headers, as a
    GET without the body, wherever Location points)."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               SIGNATURE_HEADER: delivery["signature"], "Idempotency-Key": str(delivery["idempotency_key"]),
               "X-Coord-Event-Type": delivery["event_type"], "X-Coord-Event-Id": str(delivery["event_id"]),
               "X-Coord-Delivery": str(delivery["delivery_id"]), "X-Coord-Attempt": str(delivery["attempt"])}
    connection: _Pinned | _PinnedTLS | None = None
    try:
        parts, address = _target(delivery["url"], refused or [])
        kind = _PinnedTLS if parts.scheme == "https" else _Pinned
        connection = kind(parts.hostname or "", parts.port, address, timeout)
        # The socket timeout bounds each read, not the attempt: a receiver that answers a byte at
        # a time (the TLS handshake, the status line, the headers) would hold the deliverer, and
        # every tenant's deliveries behind it, for as long as it likes. The attempt as a whole
        # gets ``timeout`` (and the connect its own): then its socket is shut down under it.
        deadline = threading.Timer(timeout, _cut, (connection,))
        deadline.daemon = True
        deadline.start()
        try:
            path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("POST", path, body=delivery["body"].encode(), headers=headers)
            status = connection.getresponse().status
        finally:
            deadline.cancel()
            connection.close()
    except PermissionError as exc:
        return False, None, f"refused: {exc}"[:1000]
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if connection is not None and connection.cut.is_set():
            return False, None, f"timed out: no complete answer within {timeout:g} s"
        return False, None, f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= status < 300:
        return True, status, None
    return False, status, f"HTTP {status}"


def _deliver(claimed: Any, report: Callable[[dict[str, Any], bool, int | None, str | None], Any],
             timeout: float, lease: float, started: float | None = None) -> list[Attempt]:
    if not claimed.ok:
        raise registered("PT403", f"claim_webhook_deliveries: {claimed.code}: {claimed.reason}")
    attempts: list[Attempt] = []
    started = time.monotonic() if started is None else started
    refused = claimed.details.get("refused_networks")
    for delivery in claimed.details.get("deliveries") or []:
        if time.monotonic() - started + timeout >= lease:
            break  # the claim may run out during this POST: leave the rest to the next claim
        ok, status, error = post(delivery, timeout, refused)
        try:
            code = report(delivery, ok, status, error).code
        except (CoordError, psycopg.Error) as exc:
            # One report the database refuses must not leave the rest of the batch unreported.
            code = getattr(exc, "code", None) or getattr(exc, "sqlstate", None) or type(exc).__name__
            _log.warning("webhook delivery %s: report refused: %s", delivery["delivery_id"], exc)
        attempts.append(Attempt(delivery["delivery_id"], delivery["webhook"], delivery["event_id"],
                                delivery["attempt"], status, error, code))
    return attempts


MAX_LEASE = 3600  # seconds: the longest claim the database grants


def _batch(limit: int, timeout: float) -> tuple[int, float]:
    """The batch size and the claim's length in seconds: the deliveries are POSTed one after the
    other, each allowed ``timeout``, so the claim must outlast the whole batch; otherwise another
    deliverer takes the rest while this one still POSTs them, and this one's reports are stale."""
    limit = max(1, min(limit, int(MAX_LEASE // max(timeout, 0.001)) - 1))
    return limit, float(min(MAX_LEASE, max(30, math.ceil(timeout * (limit + 1)))))


def deliver_due(client: Client, *, limit: int = 20, timeout: float = DEFAULT_TIMEOUT) -> list[Attempt]:
    """As an operator (coord notify): claim the tenant's due deliveries, POST each, report each;
    the attempts made."""
    limit, lease = _batch(limit, timeout)
    return _deliver(client.claim_webhook_deliveries(limit=limit, lease=f"{lease} seconds"),
                    lambda d, ok, status, error: client.report_webhook_delivery(
                        d["delivery_id"], d["claim"], ok, status, error), timeout, lease)


def deliver_all(admin_dsn: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, list[Attempt]]:
    """The admin path (coord maintain): one run for every tenant that has webhooks, as the system
    (the deliveries' audit events name no principal); attempts per tenant name. The database
    shares the run (coord.claim_webhook_round, coord.webhook_policy): each tenant gets at most
    per_tenant_per_run deliveries, and up to parallel_tenants tenants are POSTed side by side, one
    POST at a time per tenant, so one tenant's failing or hanging receivers delay only its own."""
    done: dict[str, list[Attempt]] = {}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        adapt.install(conn)
        turns = conn.execute(sql.CLAIM_WEBHOOK_ROUND, (f"{timeout} seconds",)).fetchall()
        lock = threading.Lock()  # the lanes share the connection: one report at a time

        def serve(tenant_id: Any, name: str, lease: float, error: str | None, claimed: Result) -> list[Attempt]:
            if error is not None:
                # One tenant's failure (rolled back to its savepoint) must not stop the others'.
                _log.warning("webhooks of tenant %s: %s", name, error)
                return []

            def report(d: dict[str, Any], ok: bool, status: int | None, err: str | None) -> Any:
                with lock, conn.cursor(row_factory=class_row(Result)) as cur:
                    return cur.execute(sql.REPORT_WEBHOOK_DELIVERY,
                                       (tenant_id, d["delivery_id"], d["claim"], ok, status, err)).fetchone()

            try:
                return _deliver(claimed, report, timeout, lease, started)
            except (CoordError, psycopg.Error) as exc:
                _log.warning("webhooks of tenant %s: %s", name, exc)
                return []

        started = time.monotonic()  # the leases began when the round was claimed
        lanes = max(1, min(turns[0][2], len(turns))) if turns else 1
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="coord-webhooks") as pool:
            futures = {row[1]: pool.submit(serve, row[0], row[1], row[3].total_seconds(), row[4],
                                           Result(*row[5:])) for row in turns}
        for name, future in futures.items():
            if attempts := future.result():
                done[name] = attempts
    return done


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute HMAC-SHA256 of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)
