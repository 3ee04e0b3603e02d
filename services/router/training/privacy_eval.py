"""Recall and false-positive rate of the masking on a labelled set (used by `make evaluate` and a test)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from services.router.decision.privacy import mask_personal_data


@dataclass(frozen=True)
class MaskingScore:
    recall_by_kind: dict[str, float]
    recall: float
    false_positive_rate: float
    targets: int
    decoys: int


def score_masking(path: Path) -> MaskingScore:
    found: dict[str, list[bool]] = {}
    decoys_masked: list[bool] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        masked = mask_personal_data(case["text"]).text
        gone = case["value"] not in masked
        if case["kind"] is None:
            decoys_masked.append(gone)
        else:
            found.setdefault(case["kind"], []).append(gone and f"[{case['kind']}]" in masked)
    everything = [hit for hits in found.values() for hit in hits]
    return MaskingScore(
        recall_by_kind={kind: sum(hits) / len(hits) for kind, hits in sorted(found.items())},
        recall=sum(everything) / len(everything),
        false_positive_rate=sum(decoys_masked) / len(decoys_masked),
        targets=len(everything),
        decoys=len(decoys_masked),
    )
