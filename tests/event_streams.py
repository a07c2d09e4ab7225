"""Two tenants' clients for attacks on the event stream's per-tenant horizon."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from coordinator.client import Client
from tests.conftest import Database, make_principal


def tenant_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client(database: Database, token: str, *, autocommit: bool = True) -> Client:
    return Client(connection=psycopg.connect(database.client_dsn, autocommit=autocommit), token=token)


@dataclass
class StreamCast:
    """`other` is tenant A's agent in a transaction the test leaves open; `writer` and `reader` are
    my tenant's agent and operator; `turned` is my agent's token on A's connection (one
    transaction that turns to my tenant)."""
    database: Database
    agent: str
    tenant_id: uuid.UUID
    other: Client
    turned: Client
    writer: Client
    reader: Client
    opened: list[Client] = field(default_factory=list)

    def open_writer(self) -> Client:
        """Another of my tenant's agents, in a transaction the test leaves open."""
        late = client(self.database, self.agent, autocommit=False)
        self.opened.append(late)
        return late


@contextmanager
def stream_cast(database: Database) -> Iterator[StreamCast]:
    with database.connect() as admin:
        stranger = make_principal(admin, tenant=tenant_name("ev-a")).token
        mine = tenant_name("ev-b")
        me = make_principal(admin, tenant=mine)
        agent = me.token
        operator = make_principal(admin, tenant=mine, role="operator").token
    other = client(database, stranger, autocommit=False)
    cast = StreamCast(database, agent, me.tenant_id, other, Client(connection=other.connection, token=agent),
                      client(database, agent), client(database, operator))
    try:
        yield cast
    finally:
        for c in (cast.other, cast.writer, cast.reader, *cast.opened):
            c.connection.close()
