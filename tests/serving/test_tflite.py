"""TFLite recognizer export: builtins-only, float, dynamic-range and full int8, outputs near the Keras model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ser_synth.audio import load_audio
from ser_synth.exceptions import ConfigError
from ser_synth.recognition import EmotionRecognizer
from ser_synth.serving.tflite import TFLiteRecognizer, export_tflite, fit_length, unrolled_rnns


BUNDLED = Path(__file__).resolve().parents[2] / "data" / "emodb_cc0"


@pytest.fixture(scope="module")
def core4():
    return EmotionRecognizer.pretrained("core4")


def test_fit_length():
    assert fit_length(np.arange(5), 3).tolist() == [1, 2, 3] and fit_length(np.array([1, 2]), 5).tolist() == [1, 2, 1, 2, 1]


@pytest.mark.parametrize("quantization", ["none", "dynamic", "int8"])
def test_export_and_run(core4, tmp_path, quantization):
    # real speech: its power spectrum spans 60+ dB, which is what int8 "hybrid" ops used to
    # crush in the front-end (noise clips, with a flat spectrum, never showed it)
    files = sorted(BUNDLED.glob("*.flac"))
    clips = [load_audio(p, sample_rate=16000) for p in files[:3]]
    clips.append((0.1 * np.random.default_rng(0).standard_normal(19000)).astype(np.float32))
    calibration = files[3:23] if quantization == "int8" else None  # other clips than the test's
    path = export_tflite(core4, tmp_path / f"core4_{quantization}.tflite", seconds=1.0, quantization=quantization,
                         calibration=calibration)
    size = path.stat().st_size
    assert 0 < size < (1.1 if quantization == "none" else 0.5) * (4.1 * 2 ** 20)  # vs the 4.1 MB float .keras
    lite = TFLiteRecognizer(path, core4.classes_)
    assert lite.num_samples == 16000
    got = lite.predict_proba(clips)
    ref = core4.model_(np.stack([fit_length(c, 16000) for c in clips]), training=False)["emotion"].numpy()
    assert got.shape == (4, 4) and np.allclose(got.sum(1), 1, atol=0.02)
    assert np.abs(got - ref).max() < (1e-4 if quantization == "none" else 0.05)
    assert (got.argmax(1) == ref.argmax(1)).all()


def test_errors(core4, tmp_path):
    with pytest.raises(ConfigError, match="quantization must be one of"):
        export_tflite(core4, tmp_path / "x.tflite", quantization="int4")
    with pytest.raises(ConfigError, match="calibration waveforms are needed with quantization='int8'"):
        export_tflite(core4, tmp_path / "x.tflite", quantization="int8")
    with pytest.raises(ConfigError, match="got quantization='dynamic' and calibration=given"):
        export_tflite(core4, tmp_path / "x.tflite", quantization="dynamic", calibration=[np.zeros(16000, np.float32)])
    assert not list(tmp_path.iterdir())


def test_unrolled_rnns_is_scoped(core4):
    rnns = []
    with unrolled_rnns(core4.model_) as found:
        rnns = list(found)
        assert len(rnns) == 4 and all(r.unroll for r in rnns)  # 2 members x 2 directions
    assert not any(r.unroll for r in rnns)
