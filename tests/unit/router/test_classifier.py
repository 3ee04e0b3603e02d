"""The trained classifier and the model decider, on a model trained by the fixture from the corpus."""

from pathlib import Path

import pytest

from services.contract import codec
from services.contract.departments import load_routing_config
from services.router.decision.classifier import TextClassifier
from services.router.decision.deciders import ModelDecider, RuleDecider
from services.router.training.evaluate import (
    evaluate,
    evaluate_classifier,
    read_independent,
)
from services.router.training.train import train
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "classifier.joblib"
    train().save(path)
    return path


@pytest.fixture(scope="module")
def decider(model_path) -> ModelDecider:
    return ModelDecider(TextClassifier.load(model_path), RuleDecider(CONFIG, 0.5))


def decide(decider, text):
    return decider.decide_batch([codec.ContactMessage(text=text)])[0]


def test_threshold_was_chosen_at_training(model_path):
    classifier = TextClassifier.load(model_path)
    assert 0.2 <= classifier.threshold <= 0.95
    assert classifier.metadata["train_messages"] > 1500
    # The model learns the taxonomy's categories (and "geen"); departments come from the mapping.
    assert "geen" in classifier.labels and "paspoort_identiteitskaart" in classifier.labels
    assert set(classifier.labels) <= {*CONFIG.taxonomy.ids, "geen"}


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("mn kliko is weer nie geleegd!!", "afval"),
        ("Geachte heer/mevrouw, ik wil graag bezwaar maken tegen de WOZ-beschikking. Met vriendelijke groet", "belastingen"),
        ("Burger belt ivm pp verlopen, wil afspr.", "burgerzaken"),
        ("my passport expired, how do I get a new one", "burgerzaken"),
    ],
)
def test_clear_messages_are_routed(decider, text, department):
    decision = decide(decider, text)
    assert not decision.triage, decision
    assert decision.department == department
    assert CONFIG.department_of[decision.category] == department
    assert decision.reasons


def test_the_model_says_which_words_drove_it(decider):
    decision = decide(decider, "Het gras in het plantsoen wordt nooit gemaaid en het onkruid groeit hoog")
    assert decision.department == "openbare_ruimte"
    assert any("plantsoen" in reason or "onkruid" in reason for reason in decision.reasons)


def test_a_message_for_no_department_goes_to_triage_with_suggestions(decider):
    decision = decide(decider, "Bedankt voor de snelle hulp gisteren!")
    assert decision.triage
    assert len(decision.candidates) == 3 and all(c.department != "geen" for c in decision.candidates)


def test_evaluation_on_the_held_out_object_groups(model_path):
    result = evaluate(model_path)
    # Regression guards on held-out vocabulary; docs/routing.md records the measured figures.
    assert result["routed_accuracy"] >= 0.94, result
    assert result["macro_f1"] >= 0.78, result
    assert result["messages"] >= 400


def test_evaluation_on_the_independent_set(model_path):
    """Regression guards on text written apart from the generator (the figures that count are in
    docs/routing.md; the targets are higher)."""
    independent = read_independent()
    assert len(independent) >= 400
    result = evaluate_classifier(TextClassifier.load(model_path), independent, CONFIG)
    assert result["routed_accuracy"] >= 0.88, result["routed_accuracy"]
    assert result["macro_f1"] >= 0.78, result["macro_f1"]


def test_corrections_become_corpus_lines_latest_wins():
    from services.router.training.export_corrections import corrections_to_corpus_lines

    lines = corrections_to_corpus_lines([
        codec.Correction(message_id="m1", department="afval", category="rolcontainer_is_vol", text="kliko",
                         staff_id="s1", channel=codec.Channel.CHANNEL_WHATSAPP),
        codec.Correction(message_id="m1", department="verkeer", category="parkeeroverlast", text="kliko", staff_id="s2"),
        codec.Correction(message_id="m2", department="belastingen", category="woz", subject="WOZ", text="te hoog",
                         staff_id="s1"),
        codec.Correction(message_id="m3", department="afval", text="zonder categorie", staff_id="s1"),
    ])
    assert [(line["category"], line["label"], line["text"]) for line in lines] == [
        ("parkeeroverlast", "verkeer", "kliko"), ("woz", "belastingen", "WOZ\nte hoog")]
    assert all(line["split"] == "train" for line in lines)


def test_make_model_is_reproducible(model_path):
    """`make model` (run before the tests) and this fixture trained from the same corpus and seed."""
    import numpy as np

    from services.router.settings import RouterSettings

    built = RouterSettings().router_model_file
    assert built.exists(), "run `make model` (make test does)"
    texts = ["Mijn kliko is niet geleegd", "WOZ te hoog", "bedankt!", "Er hangt een tak los boven het fietspad"]
    fresh, shipped = TextClassifier.load(model_path), TextClassifier.load(built)
    assert fresh.threshold == shipped.threshold
    assert np.allclose(fresh.probabilities(texts), shipped.probabilities(texts), atol=1e-9)
