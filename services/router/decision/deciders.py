"""How a department is chosen. Pure: messages in, RoutingDecisions out.

`Decider` is the interface the router depends on. `RuleDecider` decides from the weighted terms in the
departments file; `ModelDecider` lets a decisive rule decide and the trained classifier otherwise,
sends what it is unsure of to triage with the top suggestions, and says which words drove it.
`follow_conversation` keeps follow-ups with the department of their conversation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from services.contract import codec
from services.contract.departments import Department, UrgencyTerms
from services.router.decision.text import TermMatcher

if TYPE_CHECKING:
    from services.router.decision.classifier import TextClassifier

Method = codec.RoutingMethod
Priority = codec.Priority


class Decider(Protocol):
    def decide_batch(self, messages: Sequence[codec.ContactMessage]) -> list[codec.RoutingDecision]: ...


class UrgencyRater:
    """Priority from the urgency terms of the departments file (gaslucht, omgevallen boom, ...)."""

    def __init__(self, urgency: UrgencyTerms) -> None:
        self._matcher = TermMatcher(
            [("urgent", t, 1.0) for t in urgency.urgent] + [("high", t, 1.0) for t in urgency.high]
        )

    def rate(self, text: str) -> tuple[int, list[str]]:
        _, terms = self._matcher.scores(text)
        if "urgent" in terms:
            return Priority.PRIORITY_URGENT, [f"spoed: '{t}'" for t in terms["urgent"]]
        if "high" in terms:
            return Priority.PRIORITY_HIGH, [f"hoge prioriteit: '{t}'" for t in terms["high"]]
        return Priority.PRIORITY_NORMAL, []


def message_text(message: codec.ContactMessage) -> str:
    return f"{message.subject}\n{message.text}" if message.subject else message.text


class RuleDecider:
    """Weighted terms per department.

    confidence = share of the best department in all matched weight × saturation of its weight, so one
    weak word, or two departments equally hit, stays below the triage threshold.
    """

    def __init__(self, departments: Sequence[Department], triage_threshold: float, saturation: float = 2.0):
        self.threshold = triage_threshold
        self.saturation = saturation
        self._matcher = TermMatcher((d.id, r.term, r.weight) for d in departments for r in d.rules)

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        return self._matcher.scores(text)

    def decide_batch(self, messages: Sequence[codec.ContactMessage]) -> list[codec.RoutingDecision]:
        return [self.decide(m) for m in messages]

    def decide(self, message: codec.ContactMessage) -> codec.RoutingDecision:
        scores, terms = self.scores(message_text(message))
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        total = sum(scores.values())
        candidates = [codec.DepartmentScore(department=d, score=round(s / total, 4)) for d, s in ranked[:3]]
        if not ranked:
            return codec.RoutingDecision(
                triage=True, method=Method.ROUTING_METHOD_NONE, reasons=["geen enkele regel herkend"]
            )
        best, best_score = ranked[0]
        confidence = (best_score / total) * (best_score / (best_score + self.saturation))
        reasons = [f"regel '{t}' → {best}" for t in terms[best]]
        if confidence < self.threshold:
            runner_up = f", ook {ranked[1][0]}" if len(ranked) > 1 else ""
            return codec.RoutingDecision(
                triage=True,
                confidence=confidence,
                method=Method.ROUTING_METHOD_NONE,
                candidates=candidates,
                reasons=[f"te onzeker ({confidence:.2f} < {self.threshold:.2f}){runner_up}", *reasons],
            )
        return codec.RoutingDecision(
            department=best, confidence=confidence, method=Method.ROUTING_METHOD_RULE, candidates=candidates,
            reasons=reasons,
        )


class ModelDecider:
    """A decisive rule hit decides; otherwise the classifier, with triage below its threshold."""

    def __init__(
        self,
        classifier: TextClassifier,
        rules: RuleDecider,
        threshold: float | None = None,
        rule_decides_at: float = 0.75,
    ) -> None:
        self.classifier = classifier
        self.rules = rules
        self.threshold = classifier.threshold if threshold is None else threshold
        self.rule_decides_at = rule_decides_at

    def decide_batch(self, messages: Sequence[codec.ContactMessage]) -> list[codec.RoutingDecision]:
        if not messages:
            return []
        from services.router.decision.classifier import NO_DEPARTMENT

        texts = [message_text(m) for m in messages]
        probabilities, explanations = self.classifier.analyse(texts)
        labels = self.classifier.labels
        decisions = []
        for row, explanation, message in zip(probabilities, explanations, messages):
            ranked = sorted(zip(labels, row), key=lambda item: -item[1])
            candidates = [
                codec.DepartmentScore(department=label, score=round(float(p), 4))
                for label, p in ranked
                if label != NO_DEPARTMENT
            ][:3]
            rule = self.rules.decide(message)
            if not rule.triage and rule.confidence >= self.rule_decides_at:
                decisions.append(codec.RoutingDecision(
                    department=rule.department, confidence=rule.confidence, method=Method.ROUTING_METHOD_RULE,
                    candidates=candidates, reasons=list(rule.reasons),
                ))
                continue
            best, confidence = ranked[0][0], float(ranked[0][1])
            if best == NO_DEPARTMENT:
                decisions.append(codec.RoutingDecision(
                    triage=True, confidence=confidence, method=Method.ROUTING_METHOD_NONE, candidates=candidates,
                    reasons=[f"model: geen afdeling herkend ({confidence:.2f})"],
                ))
                continue
            words = ", ".join(f"'{w.replace('_', ' ')}'" for w in explanation.get(best, []))
            because = f"model: {words or 'tekst'} → {best} ({confidence:.2f})"
            if confidence < self.threshold:
                decisions.append(codec.RoutingDecision(
                    triage=True, confidence=confidence, method=Method.ROUTING_METHOD_NONE, candidates=candidates,
                    reasons=[f"te onzeker ({confidence:.2f} < {self.threshold:.2f})", because],
                ))
                continue
            decisions.append(codec.RoutingDecision(
                department=best, confidence=confidence, method=Method.ROUTING_METHOD_MODEL, candidates=candidates,
                reasons=[because],
            ))
        return decisions


def follow_conversation(
    decision: codec.RoutingDecision, earlier_department: str | None, switch_at: float
) -> codec.RoutingDecision:
    """A follow-up stays with its conversation's department unless it is clearly about another one."""
    if not earlier_department:
        return decision
    if not decision.triage and decision.department == earlier_department:
        decision.reasons.append(f"vervolg in gesprek met {earlier_department}")
        return decision
    if not decision.triage and decision.confidence >= switch_at:
        decision.reasons.insert(0, f"ander onderwerp: eerder {earlier_department}, nu duidelijk {decision.department}")
        return decision
    sticky = codec.RoutingDecision(
        department=earlier_department,
        # The new text alone says little (often "thanks"); the conversation carries it at the switch level.
        confidence=switch_at,
        method=Method.ROUTING_METHOD_STICKY,
        candidates=decision.candidates,
        priority=decision.priority,
        reasons=[f"vervolg in gesprek, eerder naar {earlier_department}", *decision.reasons],
    )
    return sticky


def remembered_departments(decisions: Mapping[str, codec.RoutingDecision]) -> dict[str, str]:
    """conversation id → department to remember; triage decisions leave the memory as it was."""
    return {conversation: d.department for conversation, d in decisions.items() if not d.triage and d.department}
