"""Every service of the system as its own process on free ports, for integration tests and `make soak`.

`make run` uses fixed ports and honcho (deploy/Procfile); this is the same set of services, started so
that several stacks can run beside each other and be restarted or killed one by one.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.deployables import DEPLOYABLES
from services.runtime.settings import REPO_ROOT
from tools.devstack.servers import free_port

# name → (module, the variable that sets its HTTP port), from the one list of deployables.
SERVICES: dict[str, tuple[str, str]] = {d.name: (d.module, d.port_variable) for d in DEPLOYABLES}


class ServiceProcess:
    """One of our services as a real subprocess (python -m services.X), its output appended to a log."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT,
        )

    def restart(self) -> None:
        """SIGTERM, wait, and start again with the same environment (the log goes on)."""
        self.stop()
        self.process = self._start()

    def kill_and_start(self) -> None:
        """SIGKILL (no chance to commit or flush) and start again."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = self._start()

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.module} not ready at {url}: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def demo_environment(urls: Mapping[str, str], extra: Mapping[str, int]) -> dict[str, str]:
    """What the demo replay (tools.demo) needs to reach the services at `urls` and `extra` ports."""
    return {
        **{f"{name.upper()}_URL": url for name, url in urls.items()},
        "SMTP_ADDRESS": f"127.0.0.1:{extra['email_smtp']}",
        "KCC_GRPC_ADDRESS": f"127.0.0.1:{extra['kcc_grpc']}",
        "ROUTER_GRPC_ADDRESS": f"127.0.0.1:{extra['router_grpc']}",
    }


# The platform doubles (tools/doubles) the reply sender talks to in tests and `make run`: name → the
# variable of its port.
DOUBLE_PORTS = {"meta": "META_DOUBLE_PORT", "x": "X_DOUBLE_PORT", "smtp": "SMTP_DOUBLE_PORT",
                "smtp_control": "SMTP_DOUBLE_CONTROL_PORT"}


def doubles_environment(ports: Mapping[str, int]) -> dict[str, str]:
    """What the reply sender needs to send to the doubles on `ports` instead of the platforms, and the
    doubles their own ports: every platform base URL is a setting."""
    return {
        **{variable: str(ports[name]) for name, variable in DOUBLE_PORTS.items()},
        "META_GRAPH_API_URL": f"http://127.0.0.1:{ports['meta']}",
        "X_API_URL": f"http://127.0.0.1:{ports['x']}",
        "SMTP_RELAY_HOST": "127.0.0.1",
        "SMTP_RELAY_PORT": str(ports["smtp"]),
        "REPLY_FROM_ADDRESS": "contact@gemeente.example",
    }


def start_doubles(env: Mapping[str, str], urls: Mapping[str, str], log_dir: Path) -> ServiceProcess:
    """The platform doubles, posting their status webhooks to the ingestors at `urls`."""
    webhooks = {f"{name.upper()}_URL": urls[name] for name in ("whatsapp", "facebook", "instagram") if name in urls}
    doubles = ServiceProcess("tools.doubles", {**env, **webhooks}, log_dir / "doubles.log")
    doubles.wait_ready(f"http://127.0.0.1:{env['META_DOUBLE_PORT']}/readyz")
    return doubles


@dataclass
class Stack:
    """The services, their base URLs by name and the non-HTTP ports (SMTP, gRPC)."""

    processes: dict[str, ServiceProcess]
    urls: dict[str, str]
    extra: dict[str, int]

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


def start_stack(
    base_env: Mapping[str, str], log_dir: Path, services: Mapping[str, tuple[str, str]] = SERVICES,
    ready_timeout: float = 60,
) -> Stack:
    """Start `services` with `base_env` (which holds KAFKA_BOOTSTRAP_SERVERS, REDIS_URL and the secrets) and
    wait until each one is ready. On failure, whatever started is stopped again."""
    log_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in services}
    # The non-HTTP ports (SMTP, gRPC) of the deployables, keyed "<deployable>_<port name>": email_smtp, ...
    extra_ports = {f"{d.name}_{p.name}": p for d in DEPLOYABLES for p in d.extra_ports}
    extra = {key: free_port() for key in extra_ports}
    env = {
        "METRICS_DATA_DIR": str(log_dir / "metrics-data"),
        **base_env,
        **{port.variable: str(extra[key]) for key, port in extra_ports.items()},
        # Where the console reaches the router, and the address its pages are opened at (origin checks).
        "ROUTER_GRPC_ADDRESS": f"127.0.0.1:{extra['router_grpc']}",
        "CONSOLE_PUBLIC_URL": f"http://localhost:{extra['console_web']}",
    }
    stack = Stack({}, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}, extra)
    try:
        for name, (module, port_var) in services.items():
            stack.processes[name] = ServiceProcess(module, {**env, port_var: str(ports[name])}, log_dir / f"{name}.log")
        for name, process in stack.processes.items():
            process.wait_ready(f"{stack.urls[name]}/readyz", timeout=ready_timeout)
    except BaseException:
        stack.stop()
        raise
    return stack
