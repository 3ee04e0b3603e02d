"""Language detection: the Dutch function-word shortcut settles most texts and never contradicts the
language identifier it stands in front of."""

from __future__ import annotations

import json

from services.router.decision.classifier import read_corpus
from services.router.decision.language import detect_language, identify, plainly_dutch
from services.router.training.generate_corpus import CORPUS
from services.runtime.settings import REPO_ROOT

INDEPENDENT = REPO_ROOT / "tests" / "fixtures" / "routing" / "independent.jsonl"


def test_the_shortcut_never_contradicts_the_identifier_and_settles_most_dutch_texts():
    texts = [item["text"] for item in read_corpus(CORPUS)] + [
        json.loads(line)["text"] for line in INDEPENDENT.read_text(encoding="utf-8").splitlines() if line.strip()]
    settled = [t for t in texts if plainly_dutch(t)]
    # What the identifier says about them, without the shortcut (detect_language's rule after it).
    contradicted = [t for t in settled if identify(t) != "nl"]
    assert contradicted == []
    assert len(settled) > 0.5 * len(texts)


def test_english_and_other_languages_are_not_taken_for_dutch():
    for text in ("Hello, my bin was not emptied this week, can you please send someone?",
                 "I live at de Kerkstraat van Hall and the street light is broken",
                 "Merhaba, çöp kutusu bu hafta boşaltılmadı, lütfen yardım edin",
                 "Dzień dobry, śmieci nie zostały odebrane, proszę o pomoc",
                 "Bonjour, la poubelle n'a pas été vidée cette semaine"):
        assert not plainly_dutch(text), text
    assert detect_language("Hello, my bin was not emptied this week, can you please send someone?") == "en"
    assert plainly_dutch("De container in onze straat is niet geleegd, kunt u iemand sturen?")
