"""Every deployable of the product, in the order `make run` starts them: the ingestors of the channel
registry, then the router, the metrics service and the webcare console. The Procfile, Prometheus jobs, the dev and test stacks
and the Kubernetes objects read this list; nothing else lists the services.

Pure data, like the channel registry it extends.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.contract.access import API_SECRETS
from services.ingest.channels import CHANNELS, ExtraPort
from services.ingest.channels import secret_names as channel_secret_names


@dataclass(frozen=True)
class Deployable:
    name: str  # process name in `make run`, key in the test stack
    module: str  # `python -m <module>` runs it (the container's args in Kubernetes)
    http_port: int  # default port of /healthz, /readyz, /metrics (and the webhook of a webhook ingestor)
    port_variable: str  # the environment variable that sets that port
    k8s_name: str  # Deployment, Service and Prometheus job name
    component: str  # ingestor, router, metrics or console (a Kubernetes label)
    extra_ports: tuple[ExtraPort, ...] = ()


ROUTER = Deployable(
    "router", "services.router", 8090, "ROUTER_PORT", "gemeente-router", "router",
    (ExtraPort("grpc", 50052, "ROUTER_GRPC_PORT"),),
)
METRICS = Deployable("metrics", "services.metrics", 8091, "METRICS_PORT", "gemeente-metrics", "metrics")
# The outbound edge: every channel's reply sender (declared in the channel registry) in one process.
REPLIES = Deployable("replies", "services.replies", 8094, "REPLIES_PORT", "gemeente-replies", "replies")
# The console's http_port is for probes and Prometheus only; browsers reach its "web" port (a route to it
# carries no /metrics).
CONSOLE = Deployable(
    "console", "services.console", 8092, "CONSOLE_PORT", "gemeente-console", "console",
    (ExtraPort("web", 8093, "CONSOLE_WEB_PORT"),),
)
# The console's own secrets: the key of staff pseudonyms, its client secret at the identity provider.
CONSOLE_SECRETS = ("CONSOLE_STAFF_PSEUDONYM_KEY", "CONSOLE_OIDC_CLIENT_SECRET")

DEPLOYABLES: tuple[Deployable, ...] = (
    *(
        Deployable(c.name, c.package, c.http_port, c.port_variable, c.deployment, "ingestor", c.extra_ports)
        for c in CHANNELS
    ),
    ROUTER,
    METRICS,
    CONSOLE,
    REPLIES,
)
BY_NAME: dict[str, Deployable] = {d.name: d for d in DEPLOYABLES}


def secret_names() -> tuple[str, ...]:
    """Every secret the services read: the channels' (registry order), then the API tokens."""
    return tuple(dict.fromkeys((*channel_secret_names(), *API_SECRETS, *CONSOLE_SECRETS)))


# The Secret's keys for the bundled Redis (k8s/base/redis.yaml): the server's password, and the URL with
# that password the services connect with. Not among secret_names(): `make run` and the tests start a
# Redis of their own and set REDIS_URL to it.
STORE_SECRETS = {
    "REDIS_PASSWORD": ("Password the bundled Valkey requires (k8s/base/redis.yaml): hex, the same as in REDIS_URL.",
                       "change-me"),
    "REDIS_URL": ("Redis (or Valkey) URL with the password: the bundled one, or your operator-run Redis (rediss:// for TLS).",
                  "redis://:change-me@gemeente-redis:6379/0"),
}


def settings_class(module: str) -> type:
    """The settings class a deployable reads: the one class defined in `<module>.settings`."""
    import importlib

    settings = importlib.import_module(f"{module}.settings")
    [found] = [value for name, value in vars(settings).items()
               if isinstance(value, type) and name.endswith("Settings") and value.__module__ == settings.__name__]
    return found
