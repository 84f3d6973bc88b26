"""Griffin-Lim vocoder: inverse STFT, convergence, graph use, parity with librosa."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import LinearSpectrogram, istft, stft
from ser_synth.audio.griffin_lim import griffin_lim, mel_to_linear, spectral_convergence
from ser_synth.exceptions import ConfigError


def _speechlike(sr: int, seconds: float = 0.8, seed: int = 0) -> np.ndarray:
    """A gliding harmonic tone with noise: phase matters, as in voiced speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    f0 = 140 + 60 * t / seconds
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 8)) * np.hanning(t.size)
    return (0.3 * y + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("center", [True, False])
def test_istft_inverts_stft(tiny_audio_config, center):
    cfg = AudioConfig.from_dict({**tiny_audio_config.to_dict(), "center": center})
    y = np.stack([_speechlike(8000, seed=s) for s in (0, 1)])
    spec = stft(tf.constant(y), cfg)
    back = istft(spec, cfg).numpy()
    assert back.shape[1] == cfg.num_samples(spec.shape[1])
    n = back.shape[1]
    # the edges are covered by fewer frames (no window overlap), so compare the interior
    edge = cfg.n_fft
    np.testing.assert_allclose(back[:, edge:n - edge], y[:, edge:n - edge], atol=1e-5)


def test_converges_and_beats_tolerance(tiny_audio_config):
    cfg = tiny_audio_config
    mag = LinearSpectrogram(cfg)(tf.constant(_speechlike(8000)[None]))
    sc = [float(spectral_convergence(mag, griffin_lim(mag, config=cfg, n_iter=k), config=cfg)[0]) for k in (0, 4, 32)]
    assert sc[0] > sc[1] > sc[2]
    assert sc[2] < 0.12, sc  # random phase starts near 0.5-0.6


def test_matches_librosa_quality(tiny_audio_config):
    """Same algorithm as librosa.griffinlim (momentum 0.99): SC after 32 iterations within 0.03."""
    cfg = tiny_audio_config
    y = _speechlike(8000, seed=3)
    mag = tf.abs(stft(tf.constant(y[None]), cfg))
    ours = float(spectral_convergence(mag, griffin_lim(mag, config=cfg, n_iter=32), config=cfg)[0])
    theirs = librosa.griffinlim(mag.numpy()[0].T, n_iter=32, hop_length=cfg.hop_length, win_length=cfg.win_length,
                                n_fft=cfg.n_fft, center=True, pad_mode="constant", random_state=0)
    theirs = float(spectral_convergence(mag, theirs[None], config=cfg)[0])
    assert abs(ours - theirs) < 0.03, (ours, theirs)


def test_batched_equals_unbatched_and_shapes(tiny_audio_config):
    cfg = tiny_audio_config
    mag = tf.abs(stft(tf.constant(np.stack([_speechlike(8000, seed=s) for s in (0, 1)])), cfg))
    both = griffin_lim(mag, config=cfg, n_iter=5, init="zeros").numpy()
    one = griffin_lim(mag[1], config=cfg, n_iter=5, init="zeros").numpy()
    assert both.shape == (2, cfg.num_samples(mag.shape[1])) and one.shape == both.shape[1:]
    np.testing.assert_allclose(one, both[1], atol=1e-5)
    assert griffin_lim(mag, config=cfg, n_iter=3, num_samples=1000).shape == (2, 1000)


def test_iteration_count_is_a_graph_input(tiny_audio_config):
    """n_iter can be a tensor of a tf.function signature (as in an exported model)."""
    cfg = tiny_audio_config

    @tf.function(input_signature=[tf.TensorSpec([None, None, cfg.n_bins]), tf.TensorSpec([], tf.int32)])
    def vocode(mag, iters):
        return griffin_lim(mag, config=cfg, n_iter=iters)

    mag = tf.abs(stft(tf.constant(_speechlike(8000)[None]), cfg))
    a, b = vocode(mag, tf.constant(0)), vocode(mag, tf.constant(16))
    assert len(vocode._list_all_concrete_functions()) == 1
    sa, sb = (float(spectral_convergence(mag, w, config=cfg)[0]) for w in (a, b))
    assert sb < sa


@pytest.mark.parametrize("kwargs, match", [
    ({"momentum": 1.0}, "momentum"),
    ({"init": "magic"}, "init"),
    ({"n_iter": -1}, r"iterations must be an int in \[0, 1000\], got -1"),
    ({"n_iter": 1001}, r"iterations must be an int in \[0, 1000\], got 1001"),
    ({"n_iter": 2.5}, "got 2.5"),
])
def test_bad_arguments(tiny_audio_config, kwargs, match):
    mag = np.ones((1, 5, tiny_audio_config.n_bins), np.float32)
    with pytest.raises(ConfigError, match=match):
        griffin_lim(mag, config=tiny_audio_config, **kwargs)


def test_wrong_bin_count_names_the_shape(tiny_audio_config):
    with pytest.raises(ConfigError, match=r"\[batch, frames, 129\].*\(1, 5, 100\)"):
        griffin_lim(np.ones((1, 5, 100), np.float32), config=tiny_audio_config)


def test_mel_to_linear_is_lossy_but_close(tiny_audio_config):
    from ser_synth.audio.frontend import mel_filterbank

    cfg = tiny_audio_config
    mag = tf.abs(stft(tf.constant(_speechlike(8000)[None]), cfg))
    approx = mel_to_linear(tf.tensordot(tf.square(mag), mel_filterbank(cfg), axes=1), config=cfg)
    assert approx.shape == mag.shape and float(tf.reduce_min(approx)) >= 0
    rel = float(tf.norm(approx - mag) / tf.norm(mag))
    assert 0.05 < rel < 0.9, rel  # loses detail (16 mels for 129 bins) but keeps the envelope


def test_synthesizer_checks_its_iteration_count():
    from ser_synth.synthesis import EmotionalSynthesizer

    with pytest.raises(ConfigError, match="got -3"):
        EmotionalSynthesizer(griffin_lim_iters=-3)
