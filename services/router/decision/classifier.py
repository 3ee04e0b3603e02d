"""The Dutch text classifier: normalisation, Snowball stemming, TF-IDF of stemmed words and word pairs
plus character n-grams, and a logistic regression. Pure functions and a small wrapper; no I/O here
except loading and saving the model file.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from services.contract.vocabulary import MODEL_KINDS
from services.router.decision.text import TermMatcher, normalise_text

_STEMMER = snowballstemmer.stemmer("dutch")
# Words that carry no department; stemming keeps them short, so a small list is enough.
_STOPWORDS = frozenset(
    "de het een en van ik je u mijn is in op te dat die er niet met voor aan ook al maar om nog wat wij we "
    "zijn was bij of als dan naar hoe kan heb heeft wil graag dit deze uw hallo hoi beste geachte "
    "ga gaat gaan kom komt doe doet zo nu".split()
)


def stemmed_words(text: str) -> list[str]:
    """Stems of the words, and pairs of neighbouring stems (module-level: the model file pickles it)."""
    words = [w for w in normalise_text(text).split() if w not in _STOPWORDS and not w.startswith("@")]
    stems = [w.lstrip("#") for w in _STEMMER.stemWords(words)]
    return stems + [f"{a}_{b}" for a, b in zip(stems, stems[1:])]


class RuleHints(BaseEstimator, TransformerMixin):
    """The taxonomy's weighted terms as features: one column per category.

    The terms are domain knowledge independent of the corpus, so they carry the model to situations its
    training data never showed; the regression learns how far to trust them.
    """

    def __init__(self, owned_terms: tuple[tuple[str, str, float], ...] = ()) -> None:
        self.owned_terms = owned_terms

    def fit(self, texts: Sequence[str], labels: object = None) -> "RuleHints":
        self.owners_ = sorted({owner for owner, _, _ in self.owned_terms})
        self.matcher_ = TermMatcher(self.owned_terms)
        return self

    def __setstate__(self, state: dict) -> None:
        # The matcher is rebuilt from the terms, not unpickled: a model file outlives matcher internals.
        self.__dict__.update(state)
        if "owned_terms" in state and "owners_" in state:
            self.matcher_ = TermMatcher(self.owned_terms)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows = []
        for text in texts:
            scores, _ = self.matcher_.scores(text)
            rows.append([min(scores.get(owner, 0.0), 8.0) / 4.0 for owner in self.owners_])
        return sparse.csr_matrix(np.array(rows, dtype=float).reshape(len(rows), len(self.owners_)))


def words_towards(names: np.ndarray, indices: np.ndarray, values: np.ndarray, coefficients: np.ndarray,
                  top: int) -> list[str]:
    """The `top` word features (columns `indices` of the word block, TF-IDF `values`) that push most towards
    the label with these model coefficients, strongest first; only those that push towards it."""
    weights = values * coefficients[indices]
    order = np.argsort(weights)[::-1][:top]
    return [names[indices[i]] for i in order if weights[i] > 0]


def build_pipeline(seed: int, owned_terms: tuple[tuple[str, str, float], ...] = ()) -> Pipeline:
    """Features and model; `owned_terms` are the taxonomy's (category, term, weight)."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=stemmed_words, sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2,
                                      preprocessor=normalise_text, max_features=60_000)),
            ("rules", RuleHints(owned_terms)),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "rules": 2.0},
    )
    model = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced", random_state=seed)
    return Pipeline([("features", features), ("model", model)])


@dataclass
class TextClassifier:
    pipeline: Pipeline
    # Chosen on held-out predictions of the training data (never on a test set).
    threshold: float
    metadata: dict = field(default_factory=dict)
    # "<kind>-<the model file's sha256, 10 hex>": set when saved or loaded; in memory "<kind>-unsaved".
    version: str = ""

    def __post_init__(self) -> None:
        if not self.version:
            self.version = f"{self.kind}-unsaved"

    @property
    def kind(self) -> str:
        kind = self.metadata.get("kind", "corpus")
        return kind if kind in MODEL_KINDS else "corpus"

    @property
    def labels(self) -> list[str]:
        return list(self.pipeline.classes_)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.analyse(texts)[0]

    def analyse(self, texts: Sequence[str], top: int = 3) -> tuple[np.ndarray, list[dict[str, list[str]]]]:
        """Probabilities per label, and per text the stemmed words that pushed it most towards each of
        its three best labels (for the reasons staff see). One feature extraction for the whole batch."""
        features = self.pipeline.named_steps["features"].transform(list(texts))
        model = self.pipeline.named_steps["model"]
        probabilities = model.predict_proba(features)
        names = self.word_names()
        words = features[:, : len(names)].tocsr()
        explanations = []
        labels = self.labels
        for row_index, row in enumerate(probabilities):
            # The row's slice of the CSR arrays: getrow() would build a matrix per message.
            start, end = words.indptr[row_index], words.indptr[row_index + 1]
            indices, values = words.indices[start:end], words.data[start:end]
            by_label = {labels[label_index]: words_towards(names, indices, values, model.coef_[label_index], top)
                        for label_index in np.argsort(row)[::-1][:3]}
            explanations.append(by_label)
        return probabilities, explanations

    def word_names(self) -> np.ndarray:
        # The word features come first in the union; their names are fixed once the model is trained.
        if getattr(self, "_names", None) is None:
            self._names = self.pipeline.named_steps["features"].transformer_list[0][1].get_feature_names_out()
        return self._names

    def save(self, path: Path) -> str:
        """Write the model to `path` (whole or not at all: a reader never sees half a file); its version."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        joblib.dump({"pipeline": self.pipeline, "threshold": self.threshold, "metadata": self.metadata}, partial)
        self.version = model_version(self.kind, partial.read_bytes())
        partial.replace(path)
        return self.version

    @classmethod
    def load(cls, path: Path) -> "TextClassifier":
        data = path.read_bytes()
        stored = joblib.load(io.BytesIO(data))
        classifier = cls(stored["pipeline"], stored["threshold"], stored["metadata"])
        classifier.version = model_version(classifier.kind, data)
        return classifier


def model_version(kind: str, data: bytes) -> str:
    return f"{kind}-{hashlib.sha256(data).hexdigest()[:10]}"


def corpus_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def read_corpus(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
