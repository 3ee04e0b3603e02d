"""Builds the router's decider from its settings: the trained model with the rules, or rules only."""

from __future__ import annotations

from services.contract.departments import load_routing_config
from services.router.decision.classifier import TextClassifier
from services.router.decision.deciders import (
    Decider,
    ModelDecider,
    RuleDecider,
    UrgencyRater,
)
from services.router.settings import RouterSettings


class ModelMissing(RuntimeError):
    pass


def build_decider(settings: RouterSettings) -> tuple[Decider, UrgencyRater]:
    config = load_routing_config(settings.departments_file)
    rules = RuleDecider(config, settings.rule_triage_threshold)
    urgency = UrgencyRater(config.urgency)
    if settings.router_decider == "rules":
        return rules, urgency
    return load_model_decider(settings, rules), urgency


def load_model_decider(settings: RouterSettings, rules: RuleDecider | None = None) -> ModelDecider:
    """The model at ROUTER_MODEL_FILE with the rules (slow: seconds for a large model; off the event loop)."""
    if rules is None:
        rules = RuleDecider(load_routing_config(settings.departments_file), settings.rule_triage_threshold)
    if not settings.router_model_file.exists():
        raise ModelMissing(f"no classifier at {settings.router_model_file}: run `make model`")
    classifier = TextClassifier.load(settings.router_model_file)
    return ModelDecider(classifier, rules, threshold=settings.triage_threshold)
