"""FusionRecognizer: geometric-mean late fusion, sklearn contract, save/load, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.exceptions import ConfigError, DataError, NotFittedError
from ser_synth.recognition import FusionRecognizer, ProsodicRecognizer, load_recognizer
from tests.conftest import toy_emotion_set
from tests.helpers import run_recognizer_export_test


@pytest.fixture(scope="module")
def members():
    from ser_synth.audio.config import AudioConfig

    cfg = AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13)
    waves, labels, _ = toy_emotion_set()
    # two members that disagree in confidence: a weakly and a strongly regularised classifier
    return [ProsodicRecognizer(audio_config=cfg, C=c).fit(waves, labels) for c in (0.01, 5.0)]


def test_fused_probabilities_are_the_weighted_geometric_mean(members):
    waves, labels, _ = toy_emotion_set(n_per_class=3)
    fused = FusionRecognizer(members, weights=[1, 3])
    assert fused.weights == [0.25, 0.75] and fused.classes_.tolist() == ["angry", "sad"]
    a, b = (m.predict_proba(waves) for m in members)
    expected = a ** 0.25 * b ** 0.75
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(fused.predict_proba(waves), expected, rtol=1e-5)
    assert fused.score(waves, labels) == 1.0 and fused.predict(waves).tolist() == labels


def test_save_load_round_trip(members, tmp_path):
    waves, _, _ = toy_emotion_set(n_per_class=2)
    fused = FusionRecognizer(members)
    fused.save(tmp_path / "fused")
    assert sorted(p.name for p in (tmp_path / "fused").iterdir()) == ["fusion.json", "member_0", "member_1"]
    back = load_recognizer(tmp_path / "fused")
    assert isinstance(back, FusionRecognizer) and back.weights == [0.5, 0.5]
    np.testing.assert_allclose(back.predict_proba(waves), fused.predict_proba(waves), rtol=1e-6)


def test_errors(members):
    with pytest.raises(ConfigError, match="at least two recognizers"):
        FusionRecognizer(members[:1])
    with pytest.raises(ConfigError, match=r"weights must be 2 positive numbers, got \[1, 0\]"):
        FusionRecognizer(members, weights=[1, 0])
    with pytest.raises(NotFittedError, match="member 1 \\(ProsodicRecognizer\\) is not fitted"):
        FusionRecognizer([members[0], ProsodicRecognizer()]).predict([np.zeros(800, np.float32)])
    other = ProsodicRecognizer(audio_config=members[0].audio_config).fit(*toy_emotion_set()[:1], ["happy", "sad"] * 12)
    with pytest.raises(DataError, match="must share their classes"):
        FusionRecognizer([members[0], other]).predict_proba([np.zeros(800, np.float32)])


def test_exports_as_one_saved_model(members, tmp_path):
    # two binary prosodic members (scikit-learn keeps one logit column) with unequal weights
    FusionRecognizer(members, weights=[1, 3]).save(tmp_path / "fused")
    run_recognizer_export_test(tmp_path / "fused", toy_emotion_set(n_per_class=2)[0], 8000, tmp_path, atol=1e-5)


@pytest.mark.parametrize("name, n_train, held_out", [("ravdess8", 16, {"ravdess/17", "ravdess/18"}),
                                                      ("core4", 24, {"ravdess/17", "ravdess/18", "emodb/03", "emodb/08"})])
def test_shipped_fusion_of_a_crnn_and_a_prosodic_member(name, n_train, held_out):
    from pathlib import Path

    from ser_synth.pretrained import model_card
    from ser_synth.recognition import EmotionRecognizer

    fused = load_recognizer(f"{name}_fused")
    assert [type(m).__name__ for m in fused.members] == ["EmotionRecognizer", "ProsodicRecognizer"]
    crnn = EmotionRecognizer.pretrained(name)
    assert fused.classes_.tolist() == sorted(crnn.classes_.tolist()) and fused.weights == [0.5, 0.5]
    # both members trained on the recipe's training speakers; its held-out ones stay unseen by either
    # (the CRNN lists the speakers it fitted on, without those it kept for early stopping)
    member = fused.members[1]  # the member bench/prosodic_robustness.py chose (recipes.PROSODIC_MEMBER)
    assert member.normalize_level and member.noise_augment and member.channel_augment and member.reverb_augment
    assert member.noise_snr_db == (0.0, 30.0) and not member.vocoder_augment and not member.crop_augment
    assert member.hidden_units == 32 and member.hidden_coef_.shape[0] == 32
    prosodic_speakers = set(member.train_speakers_)
    assert len(prosodic_speakers) == n_train and prosodic_speakers >= set(crnn.train_speakers_)
    assert not set(fused.train_speakers_) & held_out
    card = model_card(f"{name}_fused")
    assert "UAR" in card and "non-commercial" in card and "SavedModel" in card
    clip = sorted((Path(__file__).resolve().parents[2] / "data" / "emodb_cc0").glob("*.flac"))[0]
    p = fused.predict_proba([clip])
    assert p.shape == (1, len(crnn.classes_)) and p.sum() == pytest.approx(1.0, abs=1e-5)
