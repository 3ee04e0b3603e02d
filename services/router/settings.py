"""Settings of the router."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from services.deployables import ROUTER
from services.replies.ledger import DEFAULT_TTL_SECONDS
from services.runtime.settings import REPO_ROOT, CommonSettings, RoutingApiSettings


class RouterSettings(CommonSettings, RoutingApiSettings):
    router_port: int = Field(ROUTER.http_port, description="Router's HTTP port (/healthz, /readyz, /metrics).")
    router_host: str = Field("127.0.0.1", description="Address the router's HTTP server binds to.")
    router_decider: Literal["model", "rules"] = Field(
        "model", description="'model': the trained classifier with the rules; 'rules': the rules only."
    )
    router_model_file: Path = Field(
        REPO_ROOT / "build" / "model" / "classifier.joblib",
        description="The classifier `make model` builds, or `gemeente-model train` promoted (ADR 0016).",
    )
    router_model_poll_seconds: float = Field(
        30.0, gt=0, description="How often the router looks whether a new model was promoted (it switches between batches).",
    )
    triage_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Model confidence below which a message goes to contact.triage (unset: the threshold chosen at training).",
    )
    rule_triage_threshold: float = Field(
        0.5, ge=0, le=1, description="With ROUTER_DECIDER=rules: rule confidence below which a message goes to triage."
    )
    sticky_switch_confidence: float = Field(
        0.9, ge=0, le=1, description="A follow-up leaves its conversation's department only when this sure of another."
    )
    router_grpc_port: int = Field(ROUTER.extra_ports[0].default, description="Router's gRPC port (RoutingService: Classify, Reroute).")
    routed_retention_seconds: int = Field(
        30 * 24 * 3600, ge=3600, description="How long a routed message can still be rerouted by staff."
    )
    sticky_ttl_seconds: int = Field(
        14 * 24 * 3600, ge=60, description="How long a conversation's department is remembered."
    )
    reply_ledger_ttl_seconds: int = Field(
        DEFAULT_TTL_SECONDS, ge=24 * 3600,
        description="How long ReplyService remembers a reply id (the reply sender's REPLY_LEDGER_TTL_SECONDS).")
    output_ledger_ttl_seconds: int = Field(
        8 * 24 * 3600, ge=3600, description="How long the router remembers what it published (no second copy after a crash)."
    )
    router_batch_size: int = Field(500, ge=1, description="Records the router takes from the stream at once.")
    router_batch_seconds: float = Field(0.01, gt=0, description="Longest wait to fill a batch.")
