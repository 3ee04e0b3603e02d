"""The batch-first decision path gives what the text-by-text path gave, value for value: features
(features.py), the taxonomy's term scan (text.py), department sums and the model decider's decisions. The
text-by-text versions are kept here as the oracle; the texts are the corpus's and the independent set's.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from services.contract import codec
from services.contract.categories import NO_CATEGORY
from services.contract.departments import load_routing_config
from services.router.decision.classifier import TextClassifier, read_corpus
from services.router.decision.deciders import (
    ModelDecider,
    RuleDecider,
    message_text,
)
from services.router.decision.features import BatchFeatures, WordCache
from services.router.decision.text import TermMatcher, normalise_text
from services.router.settings import RouterSettings
from services.router.training.generate_corpus import CORPUS
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, REPO_ROOT

CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
INDEPENDENT = REPO_ROOT / "tests" / "fixtures" / "routing" / "independent.jsonl"
TEXTS = [item["text"] for item in read_corpus(CORPUS)] + [
    json.loads(line)["text"] for line in INDEPENDENT.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    path = Path(RouterSettings().router_model_file)
    assert path.exists(), "no trained model: `make model` (make test builds it first)"
    return TextClassifier.load(path)


class RegexTermMatcher:
    """The term scan as it was: one regular expression of all terms, longest first, at word starts."""

    def __init__(self, owned_terms):
        weights: dict[str, dict[str, float]] = {}
        for owner, raw_term, weight in owned_terms:
            owners = weights.setdefault(normalise_text(raw_term).strip(), {})
            owners[owner] = max(owners.get(owner, 0.0), weight)
        self.owners = {term: sorted(owners.items()) for term, owners in weights.items()}
        alternatives = sorted(self.owners, key=len, reverse=True)
        self.pattern = re.compile(r"(?<= )(" + "|".join(re.escape(t) for t in alternatives) + ")")

    def scores(self, text):
        scores, terms, seen = {}, {}, set()
        for match in self.pattern.finditer(normalise_text(text)):
            term = match.group(1)
            if term not in seen:
                seen.add(term)
                for owner, weight in self.owners[term]:
                    scores[owner] = scores.get(owner, 0.0) + weight
                    terms.setdefault(owner, []).append(term)
        return scores, terms


def term_collisions(terms, count=5000, seed=1):
    """Texts of whole terms, cut-off terms, terms with endings and filler run together: where one term's
    end meets another's start, and where a longer term breaks off after a shorter one matched."""
    rng, terms = random.Random(seed), sorted(terms)
    pieces = [
        lambda t: t,
        lambda t: t[:rng.randint(1, len(t))],
        lambda t: t + rng.choice(["s", "en", " x", "-", ""]),
        lambda t: rng.choice(["de", "het", "en", "a", "ondergrondse", "buitenlands"]),
    ]
    return [rng.choice([" ", ""]).join(rng.choice(pieces)(rng.choice(terms)) for _ in range(rng.randint(1, 8)))
            for _ in range(count)]


@pytest.mark.parametrize("terms", ["categories", "urgency"])
def test_the_term_scan_finds_what_the_regular_expression_found(terms):
    owned = (list(CONFIG.taxonomy.owned_terms()) if terms == "categories" else
             [("urgent", t, 1.0) for t in CONFIG.urgency.urgent] + [("high", t, 1.0) for t in CONFIG.urgency.high])
    oracle, matcher = RegexTermMatcher(owned), TermMatcher(owned)
    extra = ["id kaart", "Mijn ID-kaart is weg", "ondergrondse containers vol", "", "   ", "gft-container", "a b c",
             "buitenlands rijbewijs"]  # a longer term failing part-way must leave the shorter one after it
    differing = [t for t in TEXTS + extra + term_collisions(oracle.owners) if matcher.scores(t) != oracle.scores(t)]
    assert differing == []
    assert sum(1 for t in TEXTS if matcher.scores(t)[0]) > (len(TEXTS) / 2 if terms == "categories" else 10)


def test_batch_features_are_the_unions_features_value_for_value(classifier):
    union = classifier.pipeline.named_steps["features"]
    fast = BatchFeatures(union)
    matcher = TermMatcher(fast.owned_terms)
    for start in range(0, len(TEXTS), 1000):
        batch = TEXTS[start:start + 1000]
        expected = union.transform(batch).tocsr()
        got = fast.transform([normalise_text(t) for t in batch], [matcher.scores(t)[0] for t in batch]).tocsr()
        assert expected.shape == got.shape
        assert np.array_equal(expected.indptr, got.indptr) and np.array_equal(expected.indices, got.indices)
        assert np.array_equal(expected.data, got.data)


def test_department_sums_of_a_batch_are_the_per_message_sums(classifier):
    rules = RuleDecider(CONFIG, 0.5)
    labels = classifier.labels
    rng = np.random.default_rng(7)
    probabilities = rng.dirichlet(np.ones(len(labels)) * 0.3, size=300)
    probabilities[:5] = 0.0  # rows without any department
    probabilities[5, :] = 1.0 / len(labels)  # ties everywhere: the later category name wins
    expected = []
    for row in probabilities:
        by_category = dict(zip(labels, (float(p) for p in row)))
        by_category.pop(NO_CATEGORY, None)
        expected.append(rules.categories.by_department(by_category))
    assert rules.categories.by_department_rows(probabilities, labels) == expected


def decide_one_by_one(decider: ModelDecider, messages):
    """ModelDecider.decide_batch's inputs as they were made: analyse() per batch (features by sklearn's
    union, explanations of the three best labels), the rules and department sums per message."""
    probabilities, explanations = decider.classifier.analyse([message_text(m) for m in messages])
    decisions = []
    for row, explanation, message in zip(probabilities, explanations, messages):
        by_category = dict(zip(decider.classifier.labels, (float(p) for p in row)))
        none = by_category.pop(NO_CATEGORY, 0.0)
        scores, category_of = decider.categories.by_department(by_category)
        decisions.append(decider.decide_row(scores, category_of, none, decider.rules.decide(message),
                                            lambda category, words=explanation: words.get(category, [])))
    return decisions


def test_the_model_decider_decides_as_it_did_text_by_text(classifier):
    decider = ModelDecider(classifier, RuleDecider(CONFIG, 0.5))
    messages = [codec.ContactMessage(text=t, subject="Melding" if i % 5 == 0 else "") for i, t in enumerate(TEXTS[::3])]
    for start in range(0, len(messages), 500):
        batch = messages[start:start + 500]
        got = [d.SerializeToString() for d in decider.decide_batch(batch)]
        assert got == [d.SerializeToString() for d in decide_one_by_one(decider, batch)]


def test_the_word_caches_are_bounded():
    cache = WordCache(len, size=3)
    assert [cache(w) for w in ("a", "bb", "ccc", "dddd", "a")] == [1, 2, 3, 4, 1]
    assert len(cache) <= 3


def test_batch_features_refuse_a_model_with_other_features(classifier):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    other = FeatureUnion([("words", TfidfVectorizer()), ("chars", TfidfVectorizer()), ("rules", TfidfVectorizer())])
    with pytest.raises(ValueError, match="retrain"):
        BatchFeatures(other)
