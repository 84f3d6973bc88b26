"""The shipped models: load offline in safe mode, carry a card, and hold their measured figures."""

import json
from pathlib import Path

import numpy as np
import pytest

from ser_synth.data import holdout_split, read_corpora, read_corpus
from ser_synth.emotions import CORE4
from ser_synth.pretrained import available, model_card, pretrained_path
from ser_synth.recognition import EmotionRecognizer
from tests.conftest import EMODB, RAVDESS, needs_emodb, needs_ravdess

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "emodb_cc0"


def test_shipped_models_present_with_cards():
    assert {"ravdess8", "core4"} <= set(available())
    for name in ("ravdess8", "core4"):
        card = model_card(name)
        assert "non-commercial" in card and "Held-out test speakers" in card
        metrics = json.loads((pretrained_path(name) / "metrics.json").read_text())
        assert f"UAR {metrics['held_out']['uar']:.3f}" in card  # the card quotes the measured figure


@pytest.mark.parametrize("name, n_classes", [("ravdess8", 8), ("core4", 4)])
def test_pretrained_loads_and_predicts(name, n_classes):
    rec = EmotionRecognizer.pretrained(name)
    assert len(rec.classes_) == n_classes and rec.model_.count_params() < 3_000_000
    files = sorted(BUNDLED.glob("*.flac"))[:3]
    proba = rec.predict_proba([str(f) for f in files])
    assert proba.shape == (3, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_core4_on_bundled_held_out_speakers_beats_chance():
    """The demo's two speakers were held out of core4's training: 32 clips, 4 classes."""
    rec = EmotionRecognizer.pretrained("core4")
    test = holdout_split(read_corpus(f"emodb:{BUNDLED}", emotions=CORE4), ["emodb/03", "emodb/08"]).test
    rep = rec.evaluate(list(test))
    assert rep["speaker_disjoint"] and rep["n"] == 16
    assert rep["uar"] > 0.4, rep  # chance is 0.25


@needs_ravdess
@pytest.mark.slow
def test_ravdess8_reproduces_its_card_on_held_out_actors():
    rec = EmotionRecognizer.pretrained("ravdess8")
    metrics = json.loads((pretrained_path("ravdess8") / "metrics.json").read_text())
    records = read_corpus(f"ravdess:{RAVDESS}")
    test = [r for r in records if r.speaker in metrics["held_out_speakers"]]
    rep = rec.evaluate(test)
    assert rep["speaker_disjoint"] and rep["n"] == 120
    assert rep["uar"] == pytest.approx(metrics["held_out"]["uar"], abs=0.02)


@needs_ravdess
@needs_emodb
@pytest.mark.slow
def test_core4_reproduces_its_card():
    rec = EmotionRecognizer.pretrained("core4")
    metrics = json.loads((pretrained_path("core4") / "metrics.json").read_text())
    records = read_corpora([f"ravdess:{RAVDESS}", f"emodb:{EMODB}"], emotions=CORE4)
    test = [r for r in records if r.speaker in metrics["held_out_speakers"]]
    rep = rec.evaluate(test)
    assert rep["speaker_disjoint"]
    assert rep["uar"] == pytest.approx(metrics["held_out"]["uar"], abs=0.02)
