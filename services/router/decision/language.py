"""Language of a message: nl, en or other. Pure (py3langid's model ships inside the package)."""

from __future__ import annotations

import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# The languages citizens commonly write in here; restricting the set makes short texts more reliable.
_CANDIDATES = ["nl", "en", "de", "fr", "tr", "ar", "pl", "es", "pt", "it"]
_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
_IDENTIFIER.set_languages(_CANDIDATES)
_LETTERS = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """'nl', 'en' or 'other'. Too little text to tell is taken as Dutch, the language of the gemeente."""
    letters = " ".join(_LETTERS.findall(text))
    if len(letters) < 12:
        return "nl"
    language, probability = _IDENTIFIER.classify(letters)
    if language in ("nl", "en"):
        return language if probability >= 0.5 or language == "nl" else "nl"
    return "other" if probability >= 0.8 else "nl"
