import pytest

from services.devstack.servers import free_port
from tests.conftest import ServiceProcess, service_env

# Every service of the system, as its own process: (module, port variable, readiness path).
SERVICES = {
    "whatsapp": ("services.ingest_whatsapp", "WHATSAPP_PORT"),
    "whatsapp2": ("services.ingest_whatsapp", "WHATSAPP_PORT"),
    "webform": ("services.ingest_webform", "WEBFORM_PORT"),
    "facebook": ("services.ingest_facebook", "FACEBOOK_PORT"),
    "instagram": ("services.ingest_instagram", "INSTAGRAM_PORT"),
    "twitter": ("services.ingest_twitter", "TWITTER_PORT"),
    "email": ("services.ingest_email", "EMAIL_PORT"),
    "kcc": ("services.ingest_kcc", "KCC_PORT"),
    "router": ("services.router", "ROUTER_PORT"),
    "metrics": ("services.metrics", "METRICS_PORT"),
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(broker, redis_server, tmp_path_factory):
    """All services on the session's broker and Redis; yields (base URLs by name, extra ports, processes)."""
    logs = tmp_path_factory.mktemp("services")
    ports = {name: free_port() for name in SERVICES}
    extra = {"smtp": free_port(), "grpc": free_port(), "router_grpc": free_port()}
    env = service_env(
        KAFKA_BOOTSTRAP_SERVERS=broker.address,
        REDIS_URL=f"redis://{redis_server.address}/1",
        ROUTER_DATA_DIR=str(logs / "router-data"),
        METRICS_DATA_DIR=str(logs / "metrics-data"),
        SMTP_PORT=str(extra["smtp"]),
        KCC_GRPC_PORT=str(extra["grpc"]),
        ROUTER_GRPC_PORT=str(extra["router_grpc"]),
        EMAIL_ADDRESSES="contact@gemeente.example,info@gemeente.example",
        MAX_MAIL_BYTES="65536",
        METRICS_REFRESH_SECONDS="0.5",
    )
    processes = {
        name: ServiceProcess(module, {**env, port_var: str(ports[name])}, logs / f"{name}.log")
        for name, (module, port_var) in SERVICES.items()
    }
    try:
        for name, process in processes.items():
            process.wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}, extra, processes
    finally:
        for process in processes.values():
            process.stop()
