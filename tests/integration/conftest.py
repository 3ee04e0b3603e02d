import pytest

from tests.conftest import service_env
from tools.devstack.servers import redis_url
from tools.devstack.stack import SERVICES, start_stack

# Every service of the system, as its own process, and a second WhatsApp ingestor (replicas share dedup).
STACK_SERVICES = {**SERVICES, "whatsapp2": SERVICES["whatsapp"]}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(broker, redis_server, tmp_path_factory):
    """All services on the session's broker and Redis; yields (base URLs by name, extra ports, processes)."""
    env = service_env(
        KAFKA_BOOTSTRAP_SERVERS=broker.address,
        REDIS_URL=redis_url(redis_server, 1),
        EMAIL_ADDRESSES="contact@gemeente.example,info@gemeente.example",
        MAX_MAIL_BYTES="65536",
        METRICS_REFRESH_SECONDS="0.5",
        CONSOLE_DEV_LOGIN="true",
    )
    running = start_stack(env, tmp_path_factory.mktemp("services"), STACK_SERVICES)
    try:
        yield running.urls, running.extra, running.processes
    finally:
        running.stop()
