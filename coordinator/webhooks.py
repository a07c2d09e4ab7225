"""The webhook deliverer: HTTP is the only part outside the database.

The database writes the outbox (one delivery per subscription and event, its body signed with the
subscription's secret, which never leaves the database), decides what is due, hands each due
delivery to one deliverer (SKIP LOCKED), and decides from the report what happens next
(delivered, retried with backoff, dead). This module POSTs what it was handed and reports the
answer: ``coord notify`` runs it every few seconds, ``coord maintain`` once per run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not a delivery: urllib would follow a redirect of the POST
    with a GET (no body, the delivery's headers) to wherever Location names and report its 2xx."""

    def redirect_request(self, *_args: Any, **_kw: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(delivery: dict[str, Any], timeout: float) -> tuple[bool, int | None, str | None]:
    """POST the delivery's body with its signature and idempotency key: (2xx?, status, error)."""
    request = urllib.request.Request(
        delivery["url"], data=delivery["body"].encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT,
                 SIGNATURE_HEADER: delivery["signature"], "Idempotency-Key": str(delivery["idempotency_key"]),
                 "X-Coord-Event-Type": delivery["event_type"], "X-Coord-Event-Id": str(delivery["event_id"]),
                 "X-Coord-Delivery": str(delivery["delivery_id"]), "X-Coord-Attempt": str(delivery["attempt"])})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return 200 <= response.status < 300, response.status, None
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(reason).__name__}: {reason}"[:1000]


def _deliver(claimed: Any, report: Callable[[dict[str, Any], bool, int | None, str | None], Any],
             timeout: float, lease: float) -> list[Attempt]:
    if not claimed.ok:
        raise registered("PT403", f"claim_webhook_deliveries: {claimed.code}: {claimed.reason}")
    attempts: list[Attempt] = []
    started = time.monotonic()
    for delivery in claimed.details.get("deliveries") or []:
        if time.monotonic() - started + timeout >= lease:
            break  # the claim may run out during this POST: leave the rest to the next claim
        ok, status, error = post(delivery, timeout)
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


def deliver_all(admin_dsn: str, *, limit: int = 100, timeout: float = DEFAULT_TIMEOUT) -> dict[str, list[Attempt]]:
    """The admin path (coord maintain): the same for every tenant that has webhooks, as the
    system (the deliveries' audit events name no principal); attempts per tenant name."""
    done: dict[str, list[Attempt]] = {}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        adapt.install(conn)
        tenants = conn.execute(sql.WEBHOOK_TENANTS).fetchall()
        for tenant_id, name in tenants:
            try:
                with conn.cursor(row_factory=class_row(Result)) as cur:
                    batch, lease = _batch(limit, timeout)
                    claimed = cur.execute(sql.CLAIM_WEBHOOK_DELIVERIES,
                                          (tenant_id, batch, f"{lease} seconds")).fetchone()

                    def report(d: dict[str, Any], ok: bool, status: int | None, error: str | None,
                               cur: Any = cur, tenant_id: Any = tenant_id) -> Any:
                        return cur.execute(sql.REPORT_WEBHOOK_DELIVERY,
                                           (tenant_id, d["delivery_id"], d["claim"], ok, status, error)).fetchone()

                    attempts = _deliver(claimed, report, timeout, lease)
            except (CoordError, psycopg.Error) as exc:
                # One tenant's failure (autocommit: it wrote nothing) must not stop the others'.
                _log.warning("webhooks of tenant %s: %s", name, exc)
                continue
            if attempts:
                done[name] = attempts
    return done


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute HMAC-SHA256 of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)
