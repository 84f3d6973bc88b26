"""Objective synthesis metrics behave as distances should."""

from __future__ import annotations

import numpy as np

from ser_synth.synthesis.metrics import f0_rmse, gv_ratio, mcd, mel_cepstra


def _log_mel(seed=0, frames=60, bands=16):
    rng = np.random.default_rng(seed)
    base = np.cumsum(rng.standard_normal((frames, bands)) * 0.3, axis=0) - 5
    return base


def test_mcd_zero_for_identity_and_time_stretch_tolerant():
    a = _log_mel()
    assert mcd(a, a) == 0.0
    stretched = np.repeat(a, 2, axis=0)  # same content, twice as slow: DTW absorbs it
    assert mcd(a, stretched) < 0.5
    assert mcd(a, _log_mel(seed=5)) > 3.0
    assert mel_cepstra(a).shape == (60, 13)


def test_gv_ratio():
    a = _log_mel()
    assert gv_ratio([a], [a]) == 1.0
    smooth = a.mean(0) + 0.3 * (a - a.mean(0))
    assert abs(gv_ratio([a], [smooth]) - 0.09) < 0.01


def test_f0_rmse_detects_a_pitch_shift(tiny_audio_config):
    from tests.conftest import tone

    cfg = tiny_audio_config
    a, b = tone(200, 1.0, 8000), tone(230, 1.0, 8000)
    mel_a = np.zeros((cfg.num_frames(a.size), 16))
    assert f0_rmse(a, a, mel_a, mel_a, cfg) < 2.0
    assert 20 < f0_rmse(a, b, mel_a, mel_a, cfg) < 40


def test_mcd_scale_one_neper_ripple():
    """A 1-neper log-amplitude cosine ripple at quefrency 3 is 10/ln10 * sqrt(2) = 6.14 dB."""
    bands = 64
    n = np.arange(bands)
    ripple = np.cos(np.pi * 3 * (n + 0.5) / bands)
    a = np.full((20, bands), -4.0)
    b = a + 2.0 * ripple  # log power = 2 x log amplitude
    assert abs(mcd(a, b) - 6.14) < 0.05
