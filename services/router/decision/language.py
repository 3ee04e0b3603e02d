"""Language of a message: nl, en or other. Pure (py3langid's model ships inside the package)."""

from __future__ import annotations

import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from services.router.decision.text import normalise_text

# The languages citizens commonly write in here; restricting the set makes short texts more reliable.
_CANDIDATES = ["nl", "en", "de", "fr", "tr", "ar", "pl", "es", "pt", "it"]
_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
_IDENTIFIER.set_languages(_CANDIDATES)
_LETTERS = re.compile(r"[^\W\d_]+")


# Words only Dutch among the candidates uses this often ("de" and "van" stand in street names of any
# language, so one word is not enough), and English function words that overrule them.
_DUTCH = frozenset(
    "de het een van ik niet met voor aan ook maar nog zijn bij naar hoe kan heb heeft wil graag dit deze uw "
    "mijn wij hij geen wel moet wordt omdat want sinds dat er te op en je ze zo al nu wat waar wanneer kunnen "
    "hebben worden staat weer alweer".split()
)
_ENGLISH = frozenset(
    "the and to of my you have not with for this please be are was it i an on at that your our can would "
    "could will".split()  # not "is", "in", "we": Dutch too
)


def plainly_dutch(text: str) -> bool:
    """Two distinct Dutch function words and no English one, or three and three times the English ones:
    most messages here are settled by this, before the (costlier) language identifier. On the corpus
    and the independent set it never disagrees with the identifier (tests/unit/router/test_language.py)."""
    words = normalise_text(text).split()
    dutch = len({w for w in words if w in _DUTCH})
    if dutch < 2:
        return False
    english = sum(1 for w in words if w in _ENGLISH)
    return english == 0 or (dutch >= 3 and dutch >= 3 * english)


def detect_language(text: str) -> str:
    """'nl', 'en' or 'other'. Too little text to tell is taken as Dutch, the language of the gemeente."""
    return "nl" if plainly_dutch(text) else identify(text)


def identify(text: str) -> str:
    """detect_language() by the language identifier alone."""
    letters = " ".join(_LETTERS.findall(text))
    if len(letters) < 12:
        return "nl"
    language, probability = _IDENTIFIER.classify(letters)
    if language in ("nl", "en"):
        return language if probability >= 0.5 or language == "nl" else "nl"
    return "other" if probability >= 0.8 else "nl"
