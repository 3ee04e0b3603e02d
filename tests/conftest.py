"""Shared fixtures. Integration fixtures start real servers (Tansu, Redis, our services); none skips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.contract.access import secret_value
from services.contract.departments import load_departments
from services.contract.topics import all_topics
from services.deployables import secret_names
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE
from tools.devstack.servers import (
    ServerProcess,
    free_port,
    redis_url,
    start_broker,
    start_redis,
)
from tools.topics import create_topics

# One value per secret the registry names, readable in a failure message.
SECRETS = {
    name: secret_value(name, [d.id for d in load_departments(DEFAULT_DEPARTMENTS_FILE)],
                       lambda label: f"test-{label.lower().replace('_', '-')}-0123456789abcdef")
    for name in secret_names()
}


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def broker(server_logs: Path) -> Iterator[ServerProcess]:
    """A real Kafka-protocol broker (Tansu) with all our topics, for the whole session."""
    server = start_broker(free_port(), server_logs)
    names = all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE))
    create_topics(server.address, names, partitions=3, replication_factor=1)
    yield server
    server.stop()


@pytest.fixture
def fresh_broker(server_logs: Path) -> Iterator[ServerProcess]:
    """A broker of the test's own, for tests that stop it."""
    server = start_broker(free_port(), server_logs)
    create_topics(server.address, all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)), 3, 1)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(server_logs: Path) -> Iterator[ServerProcess]:
    """Password-protected, as in Kubernetes: every service reaches it through a REDIS_URL with the password."""
    server = start_redis(free_port(), server_logs, password="test-redis-password-0123456789")
    yield server
    server.stop()


@pytest.fixture(name="redis_url")
def flushed_redis_url(redis_server: ServerProcess) -> Iterator[str]:
    import redis

    url = redis_url(redis_server)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    yield url


def service_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "REDIS_"))}
    env.update(SECRETS)
    env.update({"LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
    env.update(overrides)
    return env
