"""Settings of the metrics service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.deployables import METRICS
from services.runtime.settings import REPO_ROOT, CommonSettings

DEFAULT_KPI_CONFIG_FILE = REPO_ROOT / "deploy" / "config" / "kpi.yaml"


class MetricsSettings(CommonSettings):
    metrics_port: int = Field(METRICS.http_port, description="Metrics service HTTP port (/metrics for Prometheus).")
    metrics_host: str = Field("127.0.0.1", description="Address the metrics service binds to.")
    metrics_data_dir: Path = Field(Path("/tmp/gemeente-metrics"), description="The metrics service's faust state.")
    kpi_config_file: Path = Field(
        DEFAULT_KPI_CONFIG_FILE, description="YAML file with office hours, holidays, SLA defaults and spike settings."
    )
    metrics_refresh_seconds: float = Field(
        5.0, gt=0, description="How often backlog gauges, spike expiry and consumer lag are refreshed."
    )
    answered_memory_days: int = Field(
        14, ge=1, description="How long a conversation's last reply is remembered (against re-read records)."
    )
