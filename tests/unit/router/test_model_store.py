"""Promotion keeps the version it replaces, rollback puts it back, a watch sees the new file, and the
gate refuses a model worse on either set."""

from __future__ import annotations

import os

from services.router import model_store
from services.router.decision.classifier import TextClassifier, build_pipeline
from services.router.training.cli import Comparison, gate

TEXTS = ["kliko niet geleegd", "container vol", "lantaarnpaal kapot", "lamp brandt niet", "paspoort verlopen",
         "id-kaart aanvragen"]
LABELS = ["huisafval", "huisafval", "lantaarnpaal_straatverlichting", "lantaarnpaal_straatverlichting",
          "paspoort_identiteitskaart", "paspoort_identiteitskaart"]


def tiny(seed: int, kind: str = "history") -> TextClassifier:
    pipeline = build_pipeline(seed)
    pipeline.set_params(features__chars__min_df=1)
    pipeline.fit(TEXTS, LABELS)
    return TextClassifier(pipeline, 0.5, {"kind": kind, "seed": seed})


def test_promote_keeps_the_replaced_version_and_rollback_puts_it_back(tmp_path):
    model = tmp_path / "classifier.joblib"
    first = model_store.promote(tiny(1, "corpus"), model)
    assert first.startswith("corpus-") and TextClassifier.load(model).version == first
    second = model_store.promote(tiny(2), model)
    assert second.startswith("history-") and second != first
    assert model_store.rollback(model) == (second, first)
    assert TextClassifier.load(model).version == first
    assert [e["how"] for e in model_store.promotions(model)] == ["train", "train", "rollback"]


def test_nothing_to_roll_back_to_is_said(tmp_path):
    model = tmp_path / "classifier.joblib"
    model_store.promote(tiny(1), model)
    try:
        model_store.rollback(model)
    except model_store.NothingToRollBack as exc:
        assert "no earlier version" in str(exc)
    else:
        raise AssertionError("a first model has nothing before it")


def test_only_the_last_versions_are_kept(tmp_path):
    model = tmp_path / "classifier.joblib"
    for seed in range(model_store.KEPT_VERSIONS + 2):
        model_store.promote(tiny(seed), model)
    assert len(list(model_store.versions_dir(model).glob("*.joblib"))) == model_store.KEPT_VERSIONS


def test_the_watch_sees_a_promoted_file_once(tmp_path):
    model = tmp_path / "classifier.joblib"
    model_store.promote(tiny(1), model)
    watch = model_store.ModelWatch(model)
    assert not watch.changed()
    model_store.promote(tiny(2), model)
    assert watch.changed() and not watch.changed()
    os.remove(model)
    assert not watch.changed()  # no file: keep the model in hand


def test_the_gate_refuses_a_model_worse_on_either_set_and_passes_a_first_one():
    good = {"macro_f1": 0.90, "routed_accuracy": 0.95}
    worse = {"macro_f1": 0.88, "routed_accuracy": 0.95}
    assert gate([Comparison("history", good, good), Comparison("independent", worse, good)]) == [
        "independent: macro_f1 0.880 < 0.900"]
    assert gate([Comparison("history", {"macro_f1": 0.898, "routed_accuracy": 0.95}, good)]) == []  # noise
    assert gate([Comparison("history", worse, None)]) == []
