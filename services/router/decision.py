"""How a department is chosen. Pure: text in, RoutingDecision out.

`Decider` is the one interface the router depends on; `RuleDecider` decides from the weighted terms
in the departments file. The trained classifier will be another Decider behind the same interface.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol

from services.common import codec
from services.common.departments import Department

_NON_WORD = re.compile(r"[^a-z0-9@#]+")


def normalise_text(text: str) -> str:
    """Lowercase, accents off ("één" → "een"), punctuation to single spaces."""
    # NFKD splits "é" into "e" + a combining accent; the ASCII encode drops the accent (and any other
    # non-Latin character, which no Dutch rule term contains anyway).
    ascii_only = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return " " + _NON_WORD.sub(" ", ascii_only).strip() + " "


class Decider(Protocol):
    def decide(self, message: codec.ContactMessage) -> codec.RoutingDecision: ...


class RuleDecider:
    """Weighted terms per department; a term matches at the start of a word ("container" ⊂ "containers").

    confidence = share of the best department in all matched weight × saturation of its weight, so one
    weak word, or two departments equally hit, stays below the triage threshold.
    """

    def __init__(self, departments: Sequence[Department], triage_threshold: float, saturation: float = 2.0):
        self.threshold = triage_threshold
        self.saturation = saturation
        weights: dict[str, dict[str, float]] = {}
        for department in departments:
            for rule in department.rules:
                # "id-kaart" and "id kaart" are one term after normalisation: count it once.
                term = normalise_text(rule.term).strip()
                owners = weights.setdefault(term, {})
                owners[department.id] = max(owners.get(department.id, 0.0), rule.weight)
        self._term_owner = {term: sorted(owners.items()) for term, owners in weights.items()}
        # Longest terms first, so "ondergrondse container" wins over "container" at the same place.
        alternatives = sorted(self._term_owner, key=len, reverse=True)
        self._pattern = re.compile(r"(?<= )(" + "|".join(re.escape(t) for t in alternatives) + ")")

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Weight per department and the terms that gave it, each distinct term counted once."""
        scores: dict[str, float] = {}
        terms: dict[str, list[str]] = {}
        seen: set[str] = set()
        for match in self._pattern.finditer(normalise_text(text)):
            term = match.group(1)
            if term in seen:
                continue
            seen.add(term)
            for department_id, weight in self._term_owner[term]:
                scores[department_id] = scores.get(department_id, 0.0) + weight
                terms.setdefault(department_id, []).append(term)
        return scores, terms

    def decide(self, message: codec.ContactMessage) -> codec.RoutingDecision:
        scores, terms = self.scores(f"{message.subject}\n{message.text}")
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        total = sum(scores.values())
        candidates = [
            codec.DepartmentScore(department=d, score=round(s / total, 4)) for d, s in ranked[:3]
        ]
        if not ranked:
            return codec.RoutingDecision(
                triage=True,
                method=codec.RoutingMethod.ROUTING_METHOD_NONE,
                priority=codec.Priority.PRIORITY_NORMAL,
                reasons=["geen enkele regel herkend"],
            )
        best, best_score = ranked[0]
        confidence = (best_score / total) * (best_score / (best_score + self.saturation))
        reasons = [f"regel '{t}' → {best}" for t in terms[best]]
        if confidence < self.threshold:
            runner_up = f", ook {ranked[1][0]}" if len(ranked) > 1 else ""
            return codec.RoutingDecision(
                triage=True,
                confidence=confidence,
                method=codec.RoutingMethod.ROUTING_METHOD_NONE,
                priority=codec.Priority.PRIORITY_NORMAL,
                candidates=candidates,
                reasons=[f"te onzeker ({confidence:.2f} < {self.threshold:.2f}){runner_up}", *reasons],
            )
        return codec.RoutingDecision(
            department=best,
            confidence=confidence,
            method=codec.RoutingMethod.ROUTING_METHOD_RULE,
            priority=codec.Priority.PRIORITY_NORMAL,
            candidates=candidates,
            reasons=reasons,
        )
