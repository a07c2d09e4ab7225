"""Where to connect, from flags, the environment and the local embedded server's state file.

One rule for every connection setting of every command:

* **A flag wins over its own environment variable** (``--dsn`` over ``COORD_DSN``,
  ``--data-dir`` over ``COORD_DATA_DIR``, ``--token`` over ``COORD_TOKEN``, ...).
* **Two settings that name different databases are an error**, CO530, whichever of them came
  from a flag and whichever from the environment: a data directory (whose ``coord.json`` says
  where its server listens) together with a DSN of another server or database, or an embedded
  server's port together with a DSN. Nothing is chosen silently; the message names both
  settings and where each came from. When both name the same server, the one given as a flag
  is used (the DSN when both are flags or both come from the environment).
* Without a DSN, the data directory (its flag, ``COORD_DATA_DIR``, else the platform default)
  and the state ``coord up`` wrote there say where to connect.

Only the settings a command uses are compared: ``coord lock acquire`` never reads
``COORD_ADMIN_DSN``, so an unrelated variable in the environment does not stop it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from psycopg import conninfo

from .errors import CoordError, registered
from .server import EmbeddedServer, ServerState, platform_data_dir

ENVIRONMENT = {"data_dir": "COORD_DATA_DIR", "dsn": "COORD_DSN", "admin_dsn": "COORD_ADMIN_DSN",
               "token": "COORD_TOKEN", "port": "COORD_PORT", "session": "COORD_SESSION"}


class Given(NamedTuple):
    value: str
    origin: str  # how to name it in a message: "--dsn" or "COORD_DSN (environment)"
    flag: bool


@dataclass
class Settings:
    """Connection settings as given on the command line (None: not given). The environment is
    read here, not by click, so that a flag and an environment variable stay distinguishable."""

    data_dir: Path | None = None
    dsn: str | None = None
    admin_dsn: str | None = None
    token: str | None = None
    port: int | None = None
    session: str | None = None  # the coord session api calls act in (x-coord-session)
    flag_names: Mapping[str, str] = field(default_factory=dict)  # e.g. coord up spells admin_dsn --dsn
    environ: Mapping[str, str] | None = None  # os.environ unless given (tests)

    # --- where each setting came from ------------------------------------------------------

    def given(self, name: str) -> Given | None:
        flag = getattr(self, name)
        if flag is not None and str(flag) != "":
            return Given(str(flag), self.flag_names.get(name, "--" + name.replace("_", "-")), True)
        variable = ENVIRONMENT[name]
        value = (os.environ if self.environ is None else self.environ).get(variable)
        return Given(value, f"{variable} (environment)", False) if value else None

    @property
    def resolved_data_dir(self) -> Path:
        chosen = self.given("data_dir")
        return (Path(chosen.value) if chosen else platform_data_dir()).expanduser().resolve()

    def server(self) -> EmbeddedServer:
        return EmbeddedServer(self.resolved_data_dir)

    def port_setting(self) -> int | None:
        chosen = self.given("port")
        if chosen is None:
            return None
        try:
            port = int(chosen.value)
        except ValueError:
            port = -1
        if not 0 <= port <= 65535:
            raise registered("CO531", "a connection setting has an invalid value",
                             f"{chosen.origin} is {chosen.value!r}, not a port number (0-65535)",
                             "pass a TCP port number (0: any free port), or unset the variable")
        return port

    # --- which database --------------------------------------------------------------------

    def client_dsn(self) -> str:
        """DSN for api calls (the authenticator role)."""
        dsn = self._dsn_or_data_dir("dsn", client=True)
        if dsn:
            return dsn
        state = self.server().state()
        if state is None:
            raise registered("CO501", "no database configured",
                             hint="run coord up, or pass --dsn / set COORD_DSN")
        return EmbeddedServer.client_dsn(state)

    def superuser_dsn(self) -> str:
        """DSN for migrations and the admin path (a superuser)."""
        dsn = self._dsn_or_data_dir("admin_dsn", client=False)
        if dsn:
            return dsn
        server = self.server()
        state = server.state()
        if state is None:
            raise registered("CO501", "no superuser connection configured",
                             hint="run coord up, or pass --admin-dsn / set COORD_ADMIN_DSN")
        return server.admin_dsn(state)

    def server_target(self) -> tuple[Path | None, int | None, str | None]:
        """coord up and coord demo: (data directory, port, None) for the embedded server, or
        (None, None, admin DSN) for the PostgreSQL that DSN names."""
        admin = self.given("admin_dsn")
        if admin is None:
            return self.resolved_data_dir, self.port_setting(), None
        dsn = self._dsn_or_data_dir("admin_dsn", client=False)
        if dsn is None:  # a data directory given beside a DSN of its own server, and given as a flag
            return self.resolved_data_dir, self.port_setting(), None
        port = self.given("port")
        if port is not None:
            raise _conflict(port, f"port {port.value} of the embedded server", admin, _describe(admin.value),
                            "a port starts the embedded server; a superuser DSN uses another server instead")
        return None, None, dsn

    def client_endpoint(self) -> dict[str, object]:
        """Where clients reach the server: the embedded server's TCP address, or nothing (the
        admin DSN's host then) when an admin DSN is configured."""
        if self._dsn_or_data_dir("admin_dsn", client=False) is not None:
            return {}
        state = self.server().state()
        if state is None:
            return {}
        return {"host": "127.0.0.1", "port": state.port, "dbname": state.database}

    def bearer(self) -> str | None:
        chosen = self.given("token")
        return chosen.value if chosen else None

    def session_id(self) -> str | None:
        """The session api calls act in: --session, else COORD_SESSION (the database checks it)."""
        chosen = self.given("session")
        return chosen.value if chosen else None

    def _dsn_or_data_dir(self, name: str, *, client: bool) -> str | None:
        """The DSN setting ``name`` if given; None when only the data directory names the
        database (or when a flag --data-dir names the same server as a DSN from the
        environment). CO530 when both are given and name different databases."""
        dsn = self.given(name)
        if dsn is None:
            return None
        data_dir = self.given("data_dir")
        if data_dir is None:
            return dsn.value
        directory = Path(data_dir.value).expanduser().resolve()
        state = ServerState.load(directory / "coord.json")
        if state is None:
            raise _conflict(data_dir, f"{directory}, where coord up has not run", dsn, _describe(dsn.value),
                            "the data directory names no server, so the DSN cannot be its")
        if not _same_server(dsn.value, state, directory / "run"):
            raise _conflict(data_dir, f"{directory}, whose server listens on port {state.port} "
                                      f"(database {state.database})",
                            dsn, _describe(dsn.value), "they name different databases")
        return None if data_dir.flag and not dsn.flag else dsn.value


def _same_server(dsn: str, state: ServerState, socket_dir: Path) -> bool:
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except Exception:  # a malformed DSN names no server we know
        return False
    hosts = {str(socket_dir), "127.0.0.1", "localhost"}
    return (str(params.get("host", "")) in hosts and str(params.get("port", "5432")) == str(state.port)
            and str(params.get("dbname", "")) == state.database)


def _describe(dsn: str) -> str:
    """A DSN's server and database, never its password."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except Exception:
        return "a DSN that does not parse"
    return (f"host {params.get('host', '(default)')}, port {params.get('port', '5432')}, "
            f"database {params.get('dbname', '(default)')}")


def _conflict(first: Given, first_says: str, second: Given, second_says: str, why: str) -> CoordError:
    return registered(
        "CO530", "two connection settings name different databases",
        f"{first.origin}: {first_says}; {second.origin}: {second_says} ({why})",
        "pass one of them: a flag wins over its own environment variable, never over another setting; "
        "unset the variable you do not mean (e.g. unset COORD_ADMIN_DSN) or drop the flag")
