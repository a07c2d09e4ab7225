"""Where to connect: options first, then COORD_* environment variables, then the local
embedded server's state file (written by ``coord up``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import CoordError
from .server import EmbeddedServer, default_data_dir


@dataclass
class Settings:
    data_dir: Path | None = None
    dsn: str | None = None
    admin_dsn: str | None = None
    token: str | None = None

    @property
    def resolved_data_dir(self) -> Path:
        return (self.data_dir or default_data_dir()).expanduser().resolve()

    def server(self) -> EmbeddedServer:
        return EmbeddedServer(self.resolved_data_dir)

    def client_dsn(self) -> str:
        """DSN for api calls (the authenticator role)."""
        dsn = self.dsn or os.environ.get("COORD_DSN")
        if dsn:
            return dsn
        state = self.server().state()
        if state is None:
            raise CoordError("no database configured", code="CO501",
                             hint="run coord up, or pass --dsn / set COORD_DSN")
        return EmbeddedServer.client_dsn(state)

    def superuser_dsn(self) -> str:
        """DSN for migrations and the admin path (a superuser)."""
        dsn = self.admin_dsn or os.environ.get("COORD_ADMIN_DSN")
        if dsn:
            return dsn
        server = self.server()
        state = server.state()
        if state is None:
            raise CoordError("no superuser connection configured", code="CO501",
                             hint="run coord up, or pass --admin-dsn / set COORD_ADMIN_DSN")
        return server.admin_dsn(state)

    def client_endpoint(self) -> dict[str, object]:
        """Where clients reach the server: the embedded server's TCP address, or nothing (the
        admin DSN's host then) when an admin DSN is configured."""
        if self.admin_dsn or os.environ.get("COORD_ADMIN_DSN"):
            return {}
        state = self.server().state()
        if state is None:
            return {}
        return {"host": "127.0.0.1", "port": state.port, "dbname": state.database}

    def bearer(self) -> str | None:
        return self.token or os.environ.get("COORD_TOKEN") or None
