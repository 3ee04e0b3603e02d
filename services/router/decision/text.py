"""Text as the rules see it: one normalisation, and weighted terms matched at word starts.

Shared by the rule decider and the classifier's rule-hint features; pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import accumulate

_NON_WORD = re.compile(r"[^a-z0-9@#]+")


def normalise_text(text: str) -> str:
    """Lowercase, accents off ("één" → "een"), punctuation to single spaces."""
    # NFKD splits "é" into "e" + a combining accent; the ASCII encode drops the accent (and any other
    # non-Latin character, which no Dutch rule term contains anyway).
    ascii_only = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return " " + _NON_WORD.sub(" ", ascii_only).strip() + " "


class TermMatcher:
    """Weighted terms, each owned by one or more keys; a term matches at the start of a word
    ("container" also matches "containers"), and each distinct term counts once per text.

    Scanned from left to right, word start by word start: at each, the longest term that starts there
    matches, and the scan goes on after it ("ondergrondse container" is one match, its "container" not a
    second). Terms are found by their first letters in a dict, so a scan costs a few lookups per word,
    whatever the number of terms (a regular expression of all terms tried each one at every word).
    """

    PREFIX = 3  # terms are indexed by this many first characters (shorter terms by all of theirs)

    def __init__(self, owned_terms: Iterable[tuple[str, str, float]]) -> None:
        weights: dict[str, dict[str, float]] = {}
        for owner, raw_term, weight in owned_terms:
            # "id-kaart" and "id kaart" are one term after normalisation: count it once.
            term = normalise_text(raw_term).strip()
            if not term:
                continue
            owners = weights.setdefault(term, {})
            owners[owner] = max(owners.get(owner, 0.0), weight)
        self._owners = {term: sorted(owners.items()) for term, owners in weights.items()}
        # Key → its terms, longest first. The key is the first PREFIX letters of a term's first word (all of
        # it when shorter: "id kaart" under "id"), so a word's own first letters find every term it may start.
        self._by_prefix: dict[str, list[str]] = {}
        for term in sorted(self._owners, key=len, reverse=True):
            self._by_prefix.setdefault(term.split(" ", 1)[0][: self.PREFIX], []).append(term)
        self._short_keys = sorted({len(k) for k in self._by_prefix if len(k) < self.PREFIX}, reverse=True)

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Weight per owner and the terms that gave it."""
        return self.scores_normalised(normalise_text(text))

    def scores_normalised(self, normalised: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """As scores(), for a text normalise_text() already made."""
        scores: dict[str, float] = {}
        terms: dict[str, list[str]] = {}
        words = normalised.split()
        by_prefix, short_keys, size = self._by_prefix, self._short_keys, self.PREFIX
        # Most words start no term: find the few that may, in one pass, before any string search.
        hits = [i for i, w in enumerate(words)
                if w[:size] in by_prefix or (short_keys and any(w[:n] in by_prefix for n in short_keys))]
        if not hits:
            return scores, terms
        starts = list(accumulate((len(w) + 1 for w in words), initial=1))  # " w1 w2 ": w1 starts at 1
        seen: set[str] = set()
        resume = 0  # no match may start before the end of the last one
        for index in hits:
            position = starts[index]
            if position < resume:
                continue
            found = self._longest_at(normalised, position, words[index])
            if found is None:
                continue
            resume = position + len(found)
            if found not in seen:
                seen.add(found)
                for owner, weight in self._owners[found]:
                    scores[owner] = scores.get(owner, 0.0) + weight
                    terms.setdefault(owner, []).append(found)
        return scores, terms

    def _longest_at(self, normalised: str, position: int, word: str) -> str | None:
        """The longest term that starts at `position`, where `word` starts."""
        found = None
        for key in (word[: self.PREFIX], *(word[:n] for n in self._short_keys)):
            for term in self._by_prefix.get(key, ()):  # longest first
                if found is not None and len(term) <= len(found):
                    break
                if normalised.startswith(term, position):
                    found = term
                    break
        return found
