"""Pitch targets (YIN + periodicity voicing) and harmonic shaping of a smooth spectrum."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.audio.griffin_lim import griffin_lim
from ser_synth.audio.pitch import continuous_log_f0, harmonic_magnitude, period_confusion, pitch_track
from ser_synth.exceptions import ConfigError


def _voice(f0, sr=8000, seconds=0.6, seed=0):
    """A glottal-like pulse train: harmonics with 1/k amplitudes at a (possibly gliding) F0."""
    n = int(seconds * sr)
    f0 = np.broadcast_to(np.asarray(f0, float), (n,))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, int(sr / 2 / f0.max())))
    return (0.2 * y + 0.002 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_pitch_track_on_voice_noise_and_silence(tiny_audio_config):
    cfg = tiny_audio_config
    sr = cfg.sample_rate
    y = np.concatenate([_voice(150.0), np.zeros(sr // 4, np.float32), 0.2 * np.random.default_rng(1).standard_normal(sr // 2).astype(np.float32)])
    f0, voiced = pitch_track(y, cfg)
    assert f0.shape == voiced.shape == (cfg.num_frames(len(y)),) and f0.dtype == np.float32
    n_voice = cfg.num_frames(int(0.6 * sr))
    inner = slice(5, n_voice - 5)  # frames whose analysis window lies inside the voiced part
    assert voiced[inner].mean() > 0.95
    assert np.median(np.abs(f0[inner] / 150.0 - 1)) < 0.02
    assert not voiced[n_voice + 8:n_voice + 15].any()  # silence
    assert voiced[-20:-5].mean() < 0.2  # white noise
    with pytest.raises(ConfigError, match="fmin"):
        pitch_track(y, cfg, fmin=500.0, fmax=100.0)


def test_continuous_log_f0_fills_unvoiced_frames():
    f0 = np.array([100.0, 999.0, 999.0, 200.0, 999.0])
    lf = continuous_log_f0(f0, np.array([True, False, False, True, False]))
    np.testing.assert_allclose(np.exp(lf[[0, 3, 4]]), [100.0, 200.0, 200.0], rtol=1e-5)
    assert 100.0 < np.exp(lf[1]) < np.exp(lf[2]) < 200.0
    np.testing.assert_allclose(continuous_log_f0(f0, np.zeros(5, bool), default_hz=120.0), np.log(120.0), rtol=1e-6)


@pytest.mark.parametrize("f0", [90.0, 160.0, 300.0])
def test_harmonic_comb_keeps_band_energy_and_peaks_on_harmonics(tiny_audio_config, f0):
    cfg = tiny_audio_config
    flat = np.ones((1, 1, cfg.n_bins), np.float32)
    mag = harmonic_magnitude(flat, [[f0]], [[1.0]], config=cfg, aperiodic_from=cfg.sample_rate / 2).numpy()[0, 0]
    power = mag[2:-2] ** 2
    assert abs(power.mean() - 1) < 0.08
    bin_hz = cfg.sample_rate / cfg.n_fft
    on = [int(round(k * f0 / bin_hz)) for k in range(1, 6)]
    off = [int(round((k + 0.5) * f0 / bin_hz)) for k in range(1, 6)]
    assert (mag[on] > mag[off]).all()
    # unvoiced frames keep the envelope exactly
    np.testing.assert_allclose(harmonic_magnitude(flat * 3, [[f0]], [[0.0]], config=cfg).numpy(), flat * 3, rtol=1e-6)


@pytest.mark.parametrize("f0", [90.0, 150.0])
def test_period_confusion_flags_a_ripple_faster_than_the_harmonics(tiny_audio_config, f0):
    import tensorflow as tf

    from ser_synth.audio.frontend import LinearSpectrogram

    cfg = tiny_audio_config
    power = tf.square(LinearSpectrogram(cfg)(_voice(f0)[None]))
    inner = slice(5, -5)
    f0s = tf.fill(tf.shape(power)[:2], f0)
    clean = period_confusion(power, f0s, config=cfg).numpy()[0, inner]
    assert clean.shape == (power.shape[1] - 10,) and (clean < 0).all(), clean  # most periodic at its own F0
    # a spectral ripple every 400 Hz (a 2.5 ms period, shorter than 1 / f0) over the same voice
    fk = np.arange(cfg.n_bins) * cfg.sample_rate / cfg.n_fft
    ripple = tf.constant((0.05 + np.cos(np.pi * fk / 400.0) ** 8).astype(np.float32))
    rippled = tf.Variable(power * tf.square(ripple))
    with tf.GradientTape() as tape:
        confused = period_confusion(rippled, f0s, config=cfg)
        total = tf.reduce_sum(confused)
    assert (confused.numpy()[0, inner] > 0.1).all(), confused.numpy()[0, inner]
    assert float(tf.reduce_max(tf.abs(tape.gradient(total, rippled)))) > 0
    # above fmax (500 Hz: 16 samples) no shorter period is searched, so nothing is flagged
    assert (period_confusion(power * tf.square(ripple), tf.fill(tf.shape(power)[:2], 600.0), config=cfg).numpy() <= 0).all()


def test_harmonic_shaping_makes_griffin_lim_output_pitched(tiny_audio_config):
    cfg = tiny_audio_config
    frames = 60
    envelope = np.exp(-np.arange(cfg.n_bins) / 40.0)[None, None].repeat(frames, 1).astype(np.float32)
    f0 = np.linspace(140.0, 220.0, frames)[None].astype(np.float32)
    smooth = griffin_lim(envelope, config=cfg, n_iter=32).numpy()[0]
    shaped = griffin_lim(harmonic_magnitude(envelope, f0, np.ones_like(f0), config=cfg), config=cfg, n_iter=32).numpy()[0]
    est, voiced = pitch_track(shaped, cfg)
    inner = slice(8, frames - 8)
    assert voiced[inner].mean() > 0.9
    assert np.median(np.abs(est[inner] / f0[0, inner] - 1)) < 0.03
    assert pitch_track(smooth, cfg)[1][inner].mean() < 0.3  # the smooth spectrum alone is a whisper


def test_excitation_phases_keep_a_low_voice_pitched(tiny_audio_config):
    """At 72 Hz the window cannot resolve the harmonics, so the comb alone leaves Griffin-Lim
    from random phases unpitched; starting from a pulse train's phases keeps the period."""
    from ser_synth.audio.pitch import excitation_spectrum

    cfg = tiny_audio_config
    frames = 60
    envelope = np.exp(-np.arange(cfg.n_bins) / 40.0)[None, None].repeat(frames, 1).astype(np.float32)
    f0 = np.full((1, frames), 72.0, np.float32)
    mag = harmonic_magnitude(envelope, f0, np.ones_like(f0), config=cfg)
    spec = excitation_spectrum(f0, np.ones_like(f0), config=cfg)
    assert spec.shape == mag.shape and spec.dtype.name == "complex64"
    inner = slice(8, frames - 8)
    random_start = pitch_track(griffin_lim(mag, config=cfg, n_iter=32).numpy()[0], cfg)[1][inner].mean()
    est, voiced = pitch_track(griffin_lim(mag, config=cfg, n_iter=32, init=spec).numpy()[0], cfg)
    assert voiced[inner].mean() > 0.9 > random_start + 0.3
    assert np.median(np.abs(est[inner] / 72.0 - 1)) < 0.03
    # unvoiced frames get noise phases, not pulses
    silent = excitation_spectrum(f0, np.zeros_like(f0), config=cfg).numpy()
    assert np.isfinite(silent).all() and np.abs(silent).std() > 0
    with pytest.raises(ConfigError, match="shaped like the magnitude"):
        griffin_lim(mag, config=cfg, init=spec[0, 0])


def test_source_filter_resynthesis_keeps_length_pitch_and_envelope(tiny_audio_config):
    from ser_synth.audio.frontend import LinearSpectrogram
    from ser_synth.audio.pitch import source_filter_resynthesis
    from ser_synth.exceptions import AudioError

    cfg = tiny_audio_config
    y = _voice(np.linspace(140.0, 190.0, int(0.6 * cfg.sample_rate)))
    z = source_filter_resynthesis(y, cfg)
    assert z.shape == y.shape and z.dtype == np.float32 and np.isfinite(z).all()
    (f0_y, v_y), (f0_z, v_z) = pitch_track(y, cfg), pitch_track(z, cfg)
    both = v_y & v_z
    assert both.mean() > 0.8 and np.median(np.abs(np.log2(f0_z[both] / f0_y[both]))) < 0.05
    # the long-term spectrum keeps its shape (1/k harmonics: energy falls with frequency)
    spec = LinearSpectrogram(cfg)
    ltas_y, ltas_z = (np.log(spec(w[None]).numpy()[0].mean(0) + 1e-6) for w in (y, z))
    assert np.corrcoef(ltas_y, ltas_z)[0, 1] > 0.8
    with pytest.raises(AudioError, match="NaN"):
        source_filter_resynthesis(np.full(4000, np.nan, np.float32), cfg)
