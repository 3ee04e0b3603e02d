"""Text as the rules see it: one normalisation, and weighted terms matched at word starts.

Shared by the rule decider and the classifier's rule-hint features; pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import ahocorasick

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
    second). An Aho-Corasick automaton (pyahocorasick, compiled) finds every term occurrence in one pass;
    each is stored with the space before it, so only word starts match. Picking the longest per start and
    skipping overlaps is left to Python because the automaton's own `iter_long` misses a shorter match after
    a longer term fails part-way ("buitenlands rijbewijs" lost its "rijbewijs").
    """

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
        self._automaton = ahocorasick.Automaton()
        for term in self._owners:
            self._automaton.add_word(" " + term, term)
        if self._owners:
            self._automaton.make_automaton()

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Weight per owner and the terms that gave it."""
        return self.scores_normalised(normalise_text(text))

    def scores_normalised(self, normalised: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """As scores(), for a text normalise_text() already made."""
        scores: dict[str, float] = {}
        terms: dict[str, list[str]] = {}
        if not self._owners:
            return scores, terms
        longest: dict[int, str] = {}  # the space before a word start → the longest term starting there
        for end, term in self._automaton.iter(normalised):
            start = end - len(term)
            if len(term) > len(longest.get(start, "")):
                longest[start] = term
        seen: set[str] = set()
        resume = 0  # no match may start before the end of the last one
        for start in sorted(longest):
            if start < resume:
                continue
            found = longest[start]
            resume = start + len(found) + 1
            if found not in seen:
                seen.add(found)
                for owner, weight in self._owners[found]:
                    scores[owner] = scores.get(owner, 0.0) + weight
                    terms.setdefault(owner, []).append(found)
        return scores, terms
