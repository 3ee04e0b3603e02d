"""The trained feature union's transform, computed word by word with bounded caches. Pure.

The classifier's features (services/router/decision/classifier.py) are TF-IDF of stemmed words and word
pairs, TF-IDF of character n-grams, and the taxonomy's rule hints. sklearn computes them text by text:
normalise, stem every word, cut every word into n-grams, look each up. But a character n-gram never
crosses a word ("char_wb") and a stem depends on its word alone, and citizens use few distinct words: so
here each distinct word is stemmed and cut once (cached), a message's counts are the sum of its words',
and sklearn's own TF-IDF transformers, union weights and hstack finish the job. The result is the same
matrix, value for value, as `FeatureUnion.transform` (tests/unit/router/test_features.py checks every
corpus message); the rule hints take term scores the caller already computed for the rules, so the
taxonomy's terms are scanned once per message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from services.router.decision.classifier import (
    _STEMMER,
    _STOPWORDS,
    RuleHints,
    TextClassifier,
    stemmed_words,
    words_towards,
)
from services.router.decision.text import normalise_text

# Distinct words remembered (stems, n-gram columns): Dutch citizens' vocabulary fits with room to spare;
# when full the cache starts over (bounded memory under any input).
WORD_CACHE_SIZE = 50_000


class WordCache:
    """A dict of at most `size` entries that starts over when full: bounded, and no bookkeeping per hit."""

    def __init__(self, compute: Callable[[str], object], size: int = WORD_CACHE_SIZE) -> None:
        self._compute = compute
        self._size = size
        self._values: dict[str, object] = {}

    def __call__(self, word: str) -> object:
        value = self._values.get(word)
        if value is None:
            if len(self._values) >= self._size:
                self._values.clear()
            value = self._values[word] = self._compute(word)
        return value

    def __len__(self) -> int:
        return len(self._values)


def _counts(rows: Sequence[Sequence[int]], width: int) -> sparse.csr_matrix:
    """Column indices per row (repeats count) → the count matrix CountVectorizer makes: float64, duplicates
    summed, indices sorted within each row."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    columns = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(lengths.sum()))
    row_of = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
    counts = sparse.csr_matrix((np.ones(len(columns)), (row_of, columns)), shape=(len(rows), width))
    counts.sum_duplicates()  # sorts the indices too
    return counts


class BatchFeatures:
    """`union.transform(texts)` for the union `build_pipeline` trains, from normalised texts and their
    rule scores."""

    def __init__(self, union: FeatureUnion) -> None:
        parts = dict(union.transformer_list)
        self._words: TfidfVectorizer = parts["words"]
        self._chars: TfidfVectorizer = parts["chars"]
        self._rules: RuleHints = parts["rules"]
        if (self._words.analyzer is not stemmed_words or self._chars.analyzer != "char_wb"
                or self._chars.preprocessor is not normalise_text or list(parts) != ["words", "chars", "rules"]):
            raise ValueError("the model's features are not the ones BatchFeatures reproduces; retrain or update it")
        self._weights = [(union.transformer_weights or {}).get(name) for name in parts]
        self._word_columns = self._words.vocabulary_
        self._char_columns = self._chars.vocabulary_
        self._owner_index = {owner: i for i, owner in enumerate(self._rules.owners_)}
        self._stem = WordCache(self._stem_of)
        self._ngram_columns = WordCache(self._ngram_columns_of)

    @property
    def owned_terms(self) -> tuple[tuple[str, str, float], ...]:
        """The terms the rule hints were trained with (the caller's scores must come from the same)."""
        return tuple(self._rules.owned_terms)

    @staticmethod
    def _stem_of(word: str) -> str:
        return _STEMMER.stemWord(word).lstrip("#")

    def _ngram_columns_of(self, word: str) -> tuple[int, ...]:
        columns = self._char_columns
        return tuple(columns[g] for g in self._chars._char_wb_ngrams(word) if g in columns)

    def _word_row(self, words: list[str]) -> list[int]:
        # stemmed_words(): stems of the words that are no stop word and no @handle, then neighbouring pairs.
        stems = [self._stem(w) for w in words if w not in _STOPWORDS and not w.startswith("@")]
        columns = self._word_columns
        row = [columns[s] for s in stems if s in columns]
        row += [columns[p] for p in (f"{a}_{b}" for a, b in zip(stems, stems[1:])) if p in columns]
        return row

    def transform(self, normalised: Sequence[str], rule_scores: Sequence[Mapping[str, float]]) -> sparse.csr_matrix:
        """`normalised`: normalise_text() of each text; `rule_scores`: the rule hints' term scores per
        category for each (TermMatcher.scores of the same terms)."""
        split = [text.split() for text in normalised]
        words = _counts([self._word_row(w) for w in split], len(self._word_columns))
        chars = _counts([[c for w in ws for c in self._ngram_columns(w)] for ws in split], len(self._char_columns))
        # RuleHints.transform: min(score, 8) / 4 per category, in the order of its owners.
        scores = np.zeros((len(rule_scores), len(self._owner_index)))
        for row, by_owner in enumerate(rule_scores):
            for owner, score in by_owner.items():
                column = self._owner_index.get(owner)
                if column is not None:
                    scores[row, column] = score
        hints = sparse.csr_matrix(np.minimum(scores, 8.0) / 4.0)
        blocks = [self._words._tfidf.transform(words, copy=False), self._chars._tfidf.transform(chars, copy=False), hints]
        return sparse.hstack([b if w is None else b * w for b, w in zip(blocks, self._weights)]).tocsr()


class BatchScorer:
    """A trained TextClassifier's probabilities and explanations for a batch, from BatchFeatures."""

    def __init__(self, classifier: TextClassifier) -> None:
        self.classifier = classifier
        self.features = BatchFeatures(classifier.pipeline.named_steps["features"])
        self.model = classifier.pipeline.named_steps["model"]
        self.label_index = {label: i for i, label in enumerate(classifier.labels)}
        self.word_names = classifier.word_names()

    def score(self, normalised: Sequence[str], rule_scores: Sequence[Mapping[str, float]]) -> tuple[np.ndarray, sparse.csr_matrix]:
        """Probabilities per label, and the features, for texts normalise_text() made and the rule hints'
        term scores of each (the terms of `features.owned_terms`)."""
        features = self.features.transform(normalised, rule_scores)
        return self.model.predict_proba(features), features

    def explain(self, features: sparse.csr_matrix, probabilities: np.ndarray, row_index: int, label: str,
                top: int = 3) -> list[str]:
        """The stemmed words that pushed row `row_index` most towards `label`, if `label` is among the
        row's three best (as TextClassifier.analyse() gives them), else none."""
        label_index = self.label_index[label]
        if label_index not in np.argsort(probabilities[row_index])[::-1][:3]:
            return []
        names = self.word_names
        start, end = features.indptr[row_index], features.indptr[row_index + 1]
        indices, values = features.indices[start:end], features.data[start:end]
        words = indices < len(names)  # the word features come first in the union
        return words_towards(names, indices[words], values[words], self.model.coef_[label_index], top)
