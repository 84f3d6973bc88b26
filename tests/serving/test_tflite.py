"""TFLite recognizer export: builtins-only, float and dynamic-range int8, outputs near the Keras model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ser_synth.audio import load_audio
from ser_synth.exceptions import ConfigError
from ser_synth.recognition import EmotionRecognizer
from ser_synth.serving.tflite import TFLiteRecognizer, export_tflite, fit_length


BUNDLED = Path(__file__).resolve().parents[2] / "data" / "emodb_cc0"


@pytest.fixture(scope="module")
def core4():
    return EmotionRecognizer.pretrained("core4")


def test_fit_length():
    assert fit_length(np.arange(5), 3).tolist() == [1, 2, 3] and fit_length(np.array([1, 2]), 5).tolist() == [1, 2, 1, 2, 1]


@pytest.mark.parametrize("quantization", ["none", "dynamic"])
def test_export_and_run(core4, tmp_path, quantization):
    # real speech: its power spectrum spans 60+ dB, which is what int8 "hybrid" ops used to
    # crush in the front-end (noise clips, with a flat spectrum, never showed it)
    clips = [load_audio(p, sample_rate=16000) for p in sorted(BUNDLED.glob("*.flac"))[:3]]
    clips.append((0.1 * np.random.default_rng(0).standard_normal(19000)).astype(np.float32))
    path = export_tflite(core4, tmp_path / f"core4_{quantization}.tflite", seconds=1.0, quantization=quantization)
    size = path.stat().st_size
    assert 0 < size < (0.5 if quantization == "dynamic" else 1.1) * (4.1 * 2 ** 20)  # vs the 4.1 MB float .keras
    lite = TFLiteRecognizer(path, core4.classes_)
    assert lite.num_samples == 16000
    got = lite.predict_proba(clips)
    ref = core4.model_(np.stack([fit_length(c, 16000) for c in clips]), training=False)["emotion"].numpy()
    assert got.shape == (4, 4) and np.allclose(got.sum(1), 1, atol=0.02)
    assert np.abs(got - ref).max() < (0.05 if quantization == "dynamic" else 1e-4)
    assert (got.argmax(1) == ref.argmax(1)).all()


def test_errors(core4, tmp_path):
    with pytest.raises(ConfigError, match="quantization must be one of"):
        export_tflite(core4, tmp_path / "x.tflite", quantization="int4")
