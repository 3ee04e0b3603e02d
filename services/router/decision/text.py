"""Text as the rules see it: one normalisation, and weighted terms matched at word starts.

Shared by the rule decider and the classifier's rule-hint features; pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[^a-z0-9@#]+")


def normalise_text(text: str) -> str:
    """Lowercase, accents off ("één" → "een"), punctuation to single spaces."""
    # NFKD splits "é" into "e" + a combining accent; the ASCII encode drops the accent (and any other
    # non-Latin character, which no Dutch rule term contains anyway).
    ascii_only = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return " " + _NON_WORD.sub(" ", ascii_only).strip() + " "


class TermMatcher:
    """Weighted terms, each owned by one or more keys; a term matches at the start of a word
    ("container" also matches "containers"), and each distinct term counts once per text."""

    def __init__(self, owned_terms: Iterable[tuple[str, str, float]]) -> None:
        weights: dict[str, dict[str, float]] = {}
        for owner, raw_term, weight in owned_terms:
            # "id-kaart" and "id kaart" are one term after normalisation: count it once.
            term = normalise_text(raw_term).strip()
            owners = weights.setdefault(term, {})
            owners[owner] = max(owners.get(owner, 0.0), weight)
        self._owners = {term: sorted(owners.items()) for term, owners in weights.items()}
        # Longest terms first, so "ondergrondse container" wins over "container" at the same place.
        alternatives = sorted(self._owners, key=len, reverse=True)
        self._pattern = re.compile(r"(?<= )(" + "|".join(re.escape(t) for t in alternatives) + ")") if alternatives else None

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Weight per owner and the terms that gave it."""
        scores: dict[str, float] = {}
        terms: dict[str, list[str]] = {}
        if self._pattern is None:
            return scores, terms
        seen: set[str] = set()
        for match in self._pattern.finditer(normalise_text(text)):
            term = match.group(1)
            if term in seen:
                continue
            seen.add(term)
            for owner, weight in self._owners[term]:
                scores[owner] = scores.get(owner, 0.0) + weight
                terms.setdefault(owner, []).append(term)
        return scores, terms
