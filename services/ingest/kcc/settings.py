"""Settings of the kcc ingestor."""

from __future__ import annotations

from pydantic import Field

from services.ingest.channels import channel
from services.ingest.settings import IngestorSettings
from services.runtime.settings import GrpcServerSettings

CHANNEL = channel("kcc")


class KccSettings(IngestorSettings, GrpcServerSettings):
    kcc_grpc_port: int = Field(CHANNEL.extra_ports[0].default, description="KCC ingestor gRPC port (IngestService, health, reflection).")
    kcc_port: int = Field(CHANNEL.http_port, description="KCC ingestor HTTP port (/healthz, /readyz, /metrics).")

    @property
    def http_port(self) -> int:
        return self.kcc_port
