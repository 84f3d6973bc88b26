"""The TF port of the prosodic statistics against the librosa original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.recognition.prosodic import FEATURE_DIM, utterance_features
from ser_synth.recognition.prosodic_tf import utterance_features_tf
from tests.conftest import tone

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "emodb_cc0"


def _tf_features(y: np.ndarray, sr: int) -> np.ndarray:
    fn = tf.function(lambda w: utterance_features_tf(w, sr), input_signature=[tf.TensorSpec([None], tf.float32)])
    return fn(tf.constant(y, tf.float32)).numpy()


def _assert_same(y: np.ndarray, sr: int) -> None:
    # The port follows librosa step by step, so the statistics agree to float32 rounding;
    # a decision that flipped (a YIN period, a voiced or loud frame, one onset more or
    # less) would move a feature by far more than this tolerance.
    got, want = _tf_features(y, sr), utterance_features(y, sr)
    assert got.shape == (FEATURE_DIM,) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_same_statistics_as_librosa_on_real_speech():
    import librosa

    for path in sorted(BUNDLED.glob("*.flac"))[::10]:
        y = librosa.effects.trim(librosa.load(path, sr=16000)[0], top_db=30)[0]
        _assert_same(y, 16000)


@pytest.mark.parametrize("name", ["tone", "two_tones", "noise", "short", "tone_after_silence"])
def test_same_statistics_as_librosa_on_edge_cases(name):
    rng = np.random.default_rng(3)
    y = {"tone": tone(180, 0.8),
         "two_tones": np.concatenate([tone(150, 0.4, amp=0.05), tone(300, 0.4, amp=0.4)]),
         "noise": 0.2 * rng.standard_normal(6000),
         "short": 0.1 * rng.standard_normal(500),  # shorter than the 1024-sample window: padded
         "tone_after_silence": np.r_[np.zeros(3000), tone(220, 0.5)]}[name]
    _assert_same(np.asarray(y, np.float32), 8000)
