"""The model label of a decision comes from a closed set, whatever a record's model_version says."""

from services.contract import codec
from services.contract.vocabulary import MODEL_LABELS
from services.metrics.kpi import model_label


def test_kinds_rules_manual_and_anything_else_is_rules():
    def label(version: str, method=codec.RoutingMethod.ROUTING_METHOD_MODEL) -> str:  # noqa: ANN001
        return model_label(codec.RoutingDecision(model_version=version, method=method))

    assert label("history-3f9a1c02b7") == "history" and label("corpus-0011223344") == "corpus"
    assert label("") == "rules" and label("x" * 500) == "rules" and label("evil-history") == "rules"
    assert label("history-1", codec.RoutingMethod.ROUTING_METHOD_MANUAL) == "manual"
    assert {label(v) for v in ("history-1", "corpus-1", "", "?")} <= set(MODEL_LABELS)
