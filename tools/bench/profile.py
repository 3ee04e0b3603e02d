"""Where the router's time per message goes, stage by stage, in-process on one core.

The stages are the functions `route_records` calls, timed one after the other on the same batches; the
rest of a routed message's cost (faust, Redis, Kafka) is what the worker's measured rate leaves over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec
from services.router.decision.deciders import ModelDecider, message_text
from services.router.decision.language import detect_language
from services.router.decision.privacy import mask_personal_data
from services.router.decision.routing import RoutingContext, SourceRecord, route_records
from services.router.decision.text import normalise_text
from services.router.settings import RouterSettings
from services.router.wiring import build_decider


def _seconds(work: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) / repeat


def routing_stages(values: Sequence[bytes], now: Timestamp, repeat: int = 3) -> list[tuple[str, float]]:
    """(stage, milliseconds per message) for routing these inbound records in batches of 500, the whole of
    `route_records` last. Needs the trained model (`make model`)."""
    decider, urgency = build_decider(RouterSettings())
    if not isinstance(decider, ModelDecider):
        raise RuntimeError("the profile is of the model decider; ROUTER_DECIDER is set to rules")
    batches = [list(values[i:i + 500]) for i in range(0, len(values), 500)]
    context = RoutingContext(decider, urgency, {}, 0.9)
    records = [[SourceRecord("contact.inbound", 0, n, None, v) for n, v in enumerate(batch)] for batch in batches]
    messages = [[codec.decode_valid_contact(v) for v in batch] for batch in batches]
    texts = [[message_text(m) for m in batch] for batch in messages]
    normalised = [[normalise_text(t) for t in batch] for batch in texts]
    scans = [[decider.rules.scores_normalised(n) for n in batch] for batch in normalised]
    scorer = decider.scorer
    features = [scorer.features.transform(n, [s for s, _ in scan]) for n, scan in zip(normalised, scans)]
    model = scorer.model
    labels = decider.classifier.labels
    probabilities = [model.predict_proba(f) for f in features]
    route_records(records[0], context, now)  # warm caches (words, regexes, model attributes) outside the timing

    def each(work: Callable[[int], object]) -> Callable[[], None]:
        return lambda: [work(i) for i in range(len(batches))]

    def explain(i: int) -> None:
        for row, scores in enumerate(probabilities[i]):
            scorer.explain(features[i], probabilities[i], row, labels[int(scores.argmax())])

    stages = {
        "decode protobuf": each(lambda i: [codec.decode_valid_contact(v) for v in batches[i]]),
        "mask personal data": each(lambda i: [mask_personal_data(m.text) for m in messages[i]]),
        "detect language": each(lambda i: [detect_language(m.text) for m in messages[i]]),
        "normalise text (once)": each(lambda i: [normalise_text(t) for t in texts[i]]),
        "term scan (rules and rule hints)": each(lambda i: [decider.rules.scores_normalised(n) for n in normalised[i]]),
        "features (cached words, TF-IDF)": each(lambda i: scorer.features.transform(
            normalised[i], [s for s, _ in scans[i]])),
        "model (logistic regression)": each(lambda i: model.predict_proba(features[i])),
        "department sums": each(lambda i: decider.categories.by_department_rows(probabilities[i], labels)),
        "explanations (chosen label only)": each(explain),
        "decisive rules": each(lambda i: [decider.rules.decide_scored(*scan) for scan in scans[i]]),
        "urgency terms": each(lambda i: [urgency.rate(t) for t in texts[i]]),
        "route_records, all of it": each(lambda i: route_records(records[i], context, now)),
    }
    return [(name, _seconds(work, repeat) * 1000 / len(values)) for name, work in stages.items()]
