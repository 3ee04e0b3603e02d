"""PII masking before fan-out: examples, and recall / false-positive rate on the labelled set."""


import pytest

from services.router.decision.privacy import mask_personal_data
from services.router.training.privacy_eval import score_masking
from tests.paths import FIXTURES

LABELLED = FIXTURES / "pii" / "labelled.jsonl"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Mijn BSN is 123456782, bel 06-12345678", "Mijn BSN is [BSN], bel [TELEFOON]"),
        ("IBAN NL91 ABNA 0417 1643 00 t.n.v. Jansen", "IBAN [IBAN] t.n.v. Jansen"),
        ("mail naar j.jansen@example.org graag", "mail naar [E-MAIL] graag"),
        ("bsn 1234.56.782 en +32 470 12 34 56", "bsn [BSN] en [TELEFOON]"),
        # Numbers that fail their check, dates and amounts stay.
        ("Ordernummer 123456789 van 12-03-2025, bedrag 123.456,78", "Ordernummer 123456789 van 12-03-2025, bedrag 123.456,78"),
        ("NL91ABNA0417164301 is een typfout", "NL91ABNA0417164301 is een typfout"),
        ("klantnummer 1234.56.782", "klantnummer 1234.56.782"),
        ("Mijn kliko is niet geleegd", "Mijn kliko is niet geleegd"),
    ],
)
def test_masking_examples(text, masked):
    assert mask_personal_data(text).text == masked


def test_counts_name_kinds_not_values():
    result = mask_personal_data("BSN 123456782 en 06-12345678 en 0612345679")
    assert result.counts == {"BSN": 1, "TELEFOON": 2}


def test_recall_and_false_positive_rate_on_the_labelled_set():
    score = score_masking(LABELLED)
    assert score.targets >= 200 and score.decoys >= 200
    assert score.recall >= 0.98, score
    assert min(score.recall_by_kind.values()) >= 0.95, score
    assert score.false_positive_rate <= 0.02, score
