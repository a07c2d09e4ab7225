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
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from . import adapt, sql
from .client import USER_AGENT, Client
from .errors import registered
from .results import Result

SIGNATURE_HEADER = "X-Coord-Signature"
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


def post(delivery: dict[str, Any], timeout: float) -> tuple[bool, int | None, str | None]:
    """POST the delivery's body with its signature and idempotency key: (2xx?, status, error)."""
    request = urllib.request.Request(
        delivery["url"], data=delivery["body"].encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT,
                 SIGNATURE_HEADER: delivery["signature"], "Idempotency-Key": str(delivery["idempotency_key"]),
                 "X-Coord-Event-Type": delivery["event_type"], "X-Coord-Event-Id": str(delivery["event_id"]),
                 "X-Coord-Delivery": str(delivery["delivery_id"]), "X-Coord-Attempt": str(delivery["attempt"])})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 200 <= response.status < 300, response.status, None
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(reason).__name__}: {reason}"[:1000]


def _deliver(claimed: Any, report: Callable[[dict[str, Any], bool, int | None, str | None], Any],
             timeout: float) -> list[Attempt]:
    if not claimed.ok:
        raise registered("PT403", f"claim_webhook_deliveries: {claimed.code}: {claimed.reason}")
    attempts: list[Attempt] = []
    for delivery in claimed.details.get("deliveries") or []:
        ok, status, error = post(delivery, timeout)
        result = report(delivery, ok, status, error)
        attempts.append(Attempt(delivery["delivery_id"], delivery["webhook"], delivery["event_id"],
                                delivery["attempt"], status, error, result.code))
    return attempts


def _lease(timeout: float) -> str:
    return f"{max(int(timeout * 3), 30)} seconds"


def deliver_due(client: Client, *, limit: int = 20, timeout: float = DEFAULT_TIMEOUT) -> list[Attempt]:
    """As an operator (coord notify): claim the tenant's due deliveries, POST each, report each;
    the attempts made."""
    return _deliver(client.claim_webhook_deliveries(limit=limit, lease=_lease(timeout)),
                    lambda d, ok, status, error: client.report_webhook_delivery(
                        d["delivery_id"], d["claim"], ok, status, error), timeout)


def deliver_all(admin_dsn: str, *, limit: int = 100, timeout: float = DEFAULT_TIMEOUT) -> dict[str, list[Attempt]]:
    """The admin path (coord maintain): the same for every tenant that has webhooks, as the
    system (the deliveries' audit events name no principal); attempts per tenant name."""
    done: dict[str, list[Attempt]] = {}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        adapt.install(conn)
        tenants = conn.execute(sql.WEBHOOK_TENANTS).fetchall()
        for tenant_id, name in tenants:
            with conn.cursor(row_factory=class_row(Result)) as cur:
                claimed = cur.execute(sql.CLAIM_WEBHOOK_DELIVERIES, (tenant_id, limit, _lease(timeout))).fetchone()

                def report(d: dict[str, Any], ok: bool, status: int | None, error: str | None,
                           cur: Any = cur, tenant_id: Any = tenant_id) -> Any:
                    return cur.execute(sql.REPORT_WEBHOOK_DELIVERY,
                                       (tenant_id, d["delivery_id"], d["claim"], ok, status, error)).fetchone()

                attempts = _deliver(claimed, report, timeout)
            if attempts:
                done[name] = attempts
    return done


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute HMAC-SHA256 of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)
