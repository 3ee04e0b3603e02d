import pytest

from tests.conftest import service_env
from tools.devstack.servers import free_port, redis_url
from tools.devstack.stack import DOUBLE_PORTS, SERVICES, doubles_environment, start_doubles, start_stack

# Every service of the system, as its own process, and a second WhatsApp ingestor (replicas share dedup).
STACK_SERVICES = {**SERVICES, "whatsapp2": SERVICES["whatsapp"]}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def doubles_ports() -> dict[str, int]:
    """The ports of the platform doubles (tools/doubles) the stack's reply sender sends to."""
    return {name: free_port() for name in DOUBLE_PORTS}


@pytest.fixture(scope="session")
def stack(broker, redis_server, tmp_path_factory, doubles_ports):
    """All services on the session's broker and Redis, the reply sender talking to the platform doubles;
    yields (base URLs by name, extra ports, processes)."""
    env = service_env(
        KAFKA_BOOTSTRAP_SERVERS=broker.address,
        REDIS_URL=redis_url(redis_server, 1),
        EMAIL_ADDRESSES="contact@gemeente.example,info@gemeente.example",
        MAX_MAIL_BYTES="65536",
        METRICS_REFRESH_SECONDS="0.5",
        CONSOLE_DEV_LOGIN="true",
        # Short back-off, so a platform that recovers is tried again within the tests' patience.
        REPLY_BACKOFF_MAX_SECONDS="2",
        **doubles_environment(doubles_ports),
    )
    log_dir = tmp_path_factory.mktemp("services")
    running = start_stack(env, log_dir, STACK_SERVICES)
    try:
        # The platforms, not the product: their process stays out of `processes` (and its log out of the
        # product's log checks).
        doubles = start_doubles(env, running.urls, log_dir)
    except BaseException:
        running.stop()
        raise
    try:
        yield running.urls, running.extra, running.processes
    finally:
        running.stop()
        doubles.stop()
