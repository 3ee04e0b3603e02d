"""How a category and its department are chosen. Pure: messages in, RoutingDecisions out.

`Decider` is the interface the router depends on. `RuleDecider` decides from the weighted terms of the
categories (categories.yaml), summed into the gemeente's departments; `ModelDecider` lets a decisive rule
decide and the trained category classifier otherwise,
sends what it is unsure of to triage with the top suggestions, and says which words drove it.
`follow_conversation` keeps follow-ups with the department of their conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from services.contract import codec
from services.contract.categories import DEPARTMENT_LABEL_PREFIX, NO_CATEGORY, department_labels
from services.contract.departments import RoutingConfig, UrgencyTerms
from services.contract.vocabulary import TRIAGE
from services.router.decision.text import TermMatcher, normalise_text

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


class CategoryScores:
    """Scores per category summed to their departments by the gemeente's mapping: the best category of each
    department comes along, so a department can be chosen with the category that carried it."""

    def __init__(self, department_of: Mapping[str, str]) -> None:
        self.department_of = department_of

    def by_department(self, scores: Mapping[str, float]) -> tuple[dict[str, float], dict[str, str]]:
        totals: dict[str, float] = {}
        best: dict[str, tuple[float, str]] = {}
        for category, score in scores.items():
            department = self.department_of.get(category)
            if department is None or score <= 0:
                continue
            totals[department] = totals.get(department, 0.0) + score
            if (score, category) > best.get(department, (0.0, "")):
                best[department] = (score, category)
        return totals, {department: category for department, (_, category) in best.items()}

    def by_department_rows(self, probabilities: np.ndarray, labels: Sequence[str]) -> list[tuple[dict[str, float], dict[str, str]]]:
        """by_department() of every row of `probabilities` (columns: `labels`), a column at a time instead
        of a category at a time: the same sums in the same order, so the same floats."""
        departments = sorted({self.department_of[label] for label in labels if label in self.department_of})
        column_of = {department: i for i, department in enumerate(departments)}
        rows = len(probabilities)
        totals = np.zeros((rows, len(departments)))
        present = np.zeros((rows, len(departments)), dtype=bool)
        best_score = np.zeros((rows, len(departments)))
        best_label = np.full((rows, len(departments)), -1)
        best_rank = np.full((rows, len(departments)), -1)
        name_rank = {label: rank for rank, label in enumerate(sorted(labels))}
        for j, label in enumerate(labels):  # the order by_department() adds them in
            department = self.department_of.get(label)
            if department is None:
                continue
            d = column_of[department]
            score = probabilities[:, j]
            positive = score > 0
            totals[:, d] += np.where(positive, score, 0.0)
            present[:, d] |= positive
            # (score, category) > the best so far: a higher score, or the same score and a later name.
            better = positive & ((score > best_score[:, d]) | ((score == best_score[:, d]) & (name_rank[label] > best_rank[:, d])))
            best_score[:, d] = np.where(better, score, best_score[:, d])
            best_label[:, d] = np.where(better, j, best_label[:, d])
            best_rank[:, d] = np.where(better, name_rank[label], best_rank[:, d])
        result = []
        for r in range(rows):
            columns = np.flatnonzero(present[r])
            result.append(({departments[d]: float(totals[r, d]) for d in columns},
                           {departments[d]: labels[best_label[r, d]] for d in columns}))
        return result


class RuleDecider:
    """Weighted terms per category (categories.yaml), summed per department.

    confidence = share of the best department in all matched weight × saturation of its weight, so one
    weak word, or two departments equally hit, stays below the triage threshold.
    """

    def __init__(self, config: RoutingConfig, triage_threshold: float, saturation: float = 2.0):
        self.threshold = triage_threshold
        self.saturation = saturation
        self.categories = CategoryScores(config.department_of)
        self._owned_terms = tuple(config.taxonomy.owned_terms())
        self._matcher = TermMatcher(self._owned_terms)

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Weight per category and the terms that gave it."""
        return self._matcher.scores(text)

    def scores_normalised(self, normalised: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """As scores(), for a text normalise_text() made."""
        return self._matcher.scores_normalised(normalised)

    @property
    def owned_terms(self) -> tuple[tuple[str, str, float], ...]:
        return self._owned_terms

    def decide_batch(self, messages: Sequence[codec.ContactMessage]) -> list[codec.RoutingDecision]:
        return [self.decide(m) for m in messages]

    def decide(self, message: codec.ContactMessage) -> codec.RoutingDecision:
        return self.decide_scored(*self.scores(message_text(message)))

    def decide_scored(self, category_scores: dict[str, float], terms: dict[str, list[str]]) -> codec.RoutingDecision:
        """The decision for a text whose term scores (scores()) are known."""
        scores, category_of = self.categories.by_department(category_scores)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        total = sum(scores.values())
        candidates = [codec.DepartmentScore(department=d, score=round(s / total, 4), category=category_of[d])
                      for d, s in ranked if d != TRIAGE][:3]
        if not ranked:
            return codec.RoutingDecision(
                triage=True, method=Method.ROUTING_METHOD_NONE, reasons=["geen enkele regel herkend"]
            )
        best, best_score = ranked[0]
        confidence = (best_score / total) * (best_score / (best_score + self.saturation))
        reasons = [f"regel '{t}' → {category} ({best})"
                   for category in sorted(category_scores, key=lambda c: -category_scores[c])
                   if self.categories.department_of.get(category) == best for t in terms[category]]
        if best == TRIAGE:  # a category the webcare team handles itself (a general question)
            return codec.RoutingDecision(
                triage=True, confidence=confidence, method=Method.ROUTING_METHOD_NONE, candidates=candidates,
                category=category_of[best], reasons=[f"webcare: {category_of[best]}", *reasons],
            )
        if confidence < self.threshold:
            runner_up = f", ook {ranked[1][0]}" if len(ranked) > 1 else ""
            return codec.RoutingDecision(
                triage=True,
                confidence=confidence,
                method=Method.ROUTING_METHOD_NONE,
                candidates=candidates,
                category=category_of[best],
                reasons=[f"te onzeker ({confidence:.2f} < {self.threshold:.2f}){runner_up}", *reasons],
            )
        return codec.RoutingDecision(
            department=best, category=category_of[best], confidence=confidence, method=Method.ROUTING_METHOD_RULE,
            candidates=candidates, reasons=reasons,
        )


class ModelDecider:
    """A decisive rule hit decides; otherwise the classifier, with triage below its threshold.

    The classifier gives a probability per category; a department's probability is the sum over the
    categories the gemeente maps to it, so signals of two departments split the probability and a person
    decides, and a new mapping needs no new model.
    """

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
        # A label learnt from a department-level history (afdeling:<id>) counts for its department.
        department_of = rules.categories.department_of
        self.categories = CategoryScores({**department_of,
                                          **department_labels(classifier.labels, department_of.values())})
        unknown = set(classifier.labels) - set(self.categories.department_of) - {NO_CATEGORY}
        if unknown:
            raise ValueError(f"the model knows categories the taxonomy does not: {sorted(unknown)}; run `make model`")
        # One scan of the taxonomy's terms serves the decisive rules and the model's rule hints, when the
        # model was trained with the terms the rules use (else the hints get a scan of their own).
        from services.router.decision.features import (
            BatchScorer,  # sklearn's world: only with a model
        )

        self.scorer = BatchScorer(classifier)
        trained_terms = self.scorer.features.owned_terms
        self._hint_matcher = None if trained_terms == rules.owned_terms else TermMatcher(trained_terms)

    def decide_batch(self, messages: Sequence[codec.ContactMessage]) -> list[codec.RoutingDecision]:
        if not messages:
            return []
        normalised = [normalise_text(message_text(m)) for m in messages]
        rule_scores = [self.rules.scores_normalised(text) for text in normalised]
        hint_scores = ([s for s, _ in rule_scores] if self._hint_matcher is None
                       else [self._hint_matcher.scores_normalised(text)[0] for text in normalised])
        probabilities, features = self.scorer.score(normalised, hint_scores)
        labels = self.classifier.labels
        decisions = []
        by_department = self.categories.by_department_rows(probabilities, labels)
        no_category = labels.index(NO_CATEGORY) if NO_CATEGORY in labels else None
        for row_index, ((scores, category_of), (category_scores, terms)) in enumerate(zip(by_department, rule_scores)):
            none = float(probabilities[row_index, no_category]) if no_category is not None else 0.0
            decisions.append(self.decide_row(
                scores, category_of, none, self.rules.decide_scored(category_scores, terms),
                lambda category, row=row_index: self.scorer.explain(features, probabilities, row, category)))
        return decisions

    def decide_row(
        self, scores: dict[str, float], category_of: dict[str, str], none: float, rule: codec.RoutingDecision,
        explain: Callable[[str], list[str]],
    ) -> codec.RoutingDecision:
        """One message's decision from its department sums (by_department()), the model's "no category"
        probability, the rules' decision, and `explain(category)`: the words behind a category (asked
        only for the category the model chooses)."""
        # Categories the webcare team handles itself count as "no department" for routing.
        webcare = scores.pop(TRIAGE, 0.0)
        none_category = category_of.get(TRIAGE, "") if webcare > none else ""
        none += webcare
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        candidates = [codec.DepartmentScore(department=d, score=round(s, 4), category=our_category(category_of[d]))
                      for d, s in ranked[:3]]
        version = self.classifier.version
        if not rule.triage and rule.confidence >= self.rule_decides_at:
            return codec.RoutingDecision(
                department=rule.department, category=rule.category, confidence=rule.confidence,
                method=Method.ROUTING_METHOD_RULE, candidates=candidates, reasons=list(rule.reasons),
                model_version=version,
            )
        best, confidence = ranked[0] if ranked else ("", 0.0)
        if none >= confidence:
            return codec.RoutingDecision(
                triage=True, confidence=none, method=Method.ROUTING_METHOD_NONE, candidates=candidates,
                category=none_category, reasons=[f"model: geen afdeling herkend ({none:.2f})"], model_version=version,
            )
        label = category_of[best]
        category = our_category(label)
        words = ", ".join(f"'{w.replace('_', ' ')}'" for w in explain(label))
        because = f"model: {words or 'tekst'} → {category or 'afdeling'} ({best}, {confidence:.2f})"
        if confidence < self.threshold:
            return codec.RoutingDecision(
                triage=True, confidence=confidence, method=Method.ROUTING_METHOD_NONE, candidates=candidates,
                category=category, reasons=[f"te onzeker ({confidence:.2f} < {self.threshold:.2f})", because],
                model_version=version,
            )
        return codec.RoutingDecision(
            department=best, category=category, confidence=confidence, method=Method.ROUTING_METHOD_MODEL,
            candidates=candidates, reasons=[because], model_version=version,
        )


def our_category(label: str) -> str:
    """A model label as a decision's category: a department-level label (afdeling:<id>) has none."""
    return "" if label.startswith(DEPARTMENT_LABEL_PREFIX) else label


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
    # The category of the conversation's department among the new text's candidates, if it is there.
    category = next((c.category for c in decision.candidates if c.department == earlier_department), "")
    sticky = codec.RoutingDecision(
        department=earlier_department,
        category=category,
        # The new text alone says little (often "thanks"); the conversation carries it at the switch level.
        confidence=switch_at,
        method=Method.ROUTING_METHOD_STICKY,
        candidates=decision.candidates,
        priority=decision.priority,
        reasons=[f"vervolg in gesprek, eerder naar {earlier_department}", *decision.reasons],
        model_version=decision.model_version,
    )
    return sticky


def remembered_departments(decisions: Mapping[str, codec.RoutingDecision]) -> dict[str, str]:
    """conversation id → department to remember; triage decisions leave the memory as it was."""
    return {conversation: d.department for conversation, d in decisions.items() if not d.triage and d.department}
