"""Front-end layers: librosa parity (tolerances stated) and one config -> identical features
in tf.data, inside a model, and after .keras save/reload."""

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import (MFCC, LinearSpectrogram, LogMelSpectrogram, banded_filterbank, banded_mel_projection,
                                      mel_filterbank)
from ser_synth.exceptions import ConfigError
from tests.conftest import tone
from tests.helpers import run_layer_serialization_test

# log-mel: float32 STFT vs librosa's float32 path; ln(mel) agrees to 1e-3 nats on speech-like input
LOGMEL_ATOL = 1e-3
# MFCC in dB units: 1e-2 dB
MFCC_ATOL = 1e-2


def _signal(sr, seconds=1.0):
    rng = np.random.default_rng(0)
    t = np.arange(int(sr * seconds)) / sr
    return (0.3 * np.sin(2 * np.pi * 220 * t * (1 + 0.3 * t)) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def _librosa_mel(y, cfg):
    return librosa.feature.melspectrogram(
        y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
        window=cfg.window, center=cfg.center, pad_mode="constant", power=2.0, n_mels=cfg.n_mels,
        fmin=cfg.fmin, fmax=cfg.fmax_hz, htk=True, norm=None)


@pytest.mark.parametrize("cfg", [
    AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13),
    AudioConfig(),
    AudioConfig(sample_rate=16000, window="hamming", fmin=50.0, fmax=7600.0, n_mels=80),
])
def test_logmel_matches_librosa(cfg):
    np.testing.assert_allclose(mel_filterbank(cfg), librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax_hz, htk=True, norm=None).T, atol=1e-6)
    y = _signal(cfg.sample_rate)
    ours = LogMelSpectrogram(cfg)(y[None])[0].numpy()
    ref = np.log(np.maximum(_librosa_mel(y, cfg), cfg.log_floor)).T
    assert ours.shape == ref.shape == (cfg.num_frames(y.size), cfg.n_mels)
    np.testing.assert_allclose(ours, ref, atol=LOGMEL_ATOL)


@pytest.mark.parametrize("cfg", [
    AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13),
    AudioConfig(),
    AudioConfig(n_fft=256, win_length=200, hop_length=80, n_mels=128),  # some bands get no FFT bin at all
])
def test_banded_filterbank_equals_dense(cfg):
    dense = mel_filterbank(cfg)
    bins, weights = banded_filterbank(dense)
    assert bins.shape[0] == cfg.n_mels and bins.shape[1] < dense.shape[0] // 2
    power = np.random.default_rng(0).random((2, 5, dense.shape[0])).astype(np.float32) ** 4
    banded = tf.reduce_sum(tf.gather(power, bins, axis=-1) * weights, axis=-1).numpy()
    np.testing.assert_allclose(banded, power @ dense, rtol=1e-5, atol=1e-9)


def test_banded_projection_inside_nested_models(tiny_audio_config):
    inner_in = keras.Input((None,))
    inner = keras.Model(inner_in, MFCC(tiny_audio_config)(inner_in))
    outer_in = keras.Input((None,))
    outer = keras.Model(outer_in, [inner(outer_in), LogMelSpectrogram(tiny_audio_config)(outer_in)])
    y = _signal(tiny_audio_config.sample_rate)[None]
    ref = [o.numpy() for o in outer(y)]
    with banded_mel_projection(outer) as layers:
        assert len(layers) == 2 and all(layer.banded for layer in layers)
        got = [o.numpy() for o in outer(y)]
    assert not any(layer.banded for layer in layers)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, atol=1e-3)


def test_mfcc_and_deltas_match_librosa(tiny_audio_config):
    cfg = tiny_audio_config
    y = _signal(cfg.sample_rate)
    ours = MFCC(cfg, deltas=2)(y[None])[0].numpy()
    ref = librosa.feature.mfcc(S=librosa.power_to_db(_librosa_mel(y, cfg), amin=cfg.log_floor, top_db=None), n_mfcc=cfg.n_mfcc, dct_type=2, norm="ortho")
    d1 = librosa.feature.delta(ref, width=5, order=1, mode="nearest")
    d2 = librosa.feature.delta(d1, width=5, order=1, mode="nearest")
    np.testing.assert_allclose(ours, np.concatenate([ref, d1, d2]).T, atol=MFCC_ATOL)


def test_linear_magnitude_matches_librosa(tiny_audio_config):
    cfg = tiny_audio_config
    y = _signal(cfg.sample_rate)
    ref = np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length, window="hann", center=True, pad_mode="constant")).T
    np.testing.assert_allclose(LinearSpectrogram(cfg)(y[None])[0].numpy(), ref, atol=1e-4)


def test_same_features_in_tf_data_model_and_after_reload(tmp_path, tiny_audio_config):
    cfg = tiny_audio_config
    waves = np.stack([tone(300, 0.5), tone(700, 0.5, seed=1)])
    layer = LogMelSpectrogram(cfg)
    via_data = np.stack([f.numpy() for f in tf.data.Dataset.from_tensor_slices(waves).batch(1).map(layer).unbatch()])
    inputs = keras.Input(shape=(None,))
    model = keras.Model(inputs, LogMelSpectrogram(cfg, name="logmel")(inputs))
    via_model = model.predict(waves, verbose=0)
    model.save(tmp_path / "frontend.keras")
    reloaded = keras.saving.load_model(tmp_path / "frontend.keras", safe_mode=True)
    np.testing.assert_allclose(via_data, via_model, atol=1e-5)
    np.testing.assert_allclose(reloaded.predict(waves, verbose=0), via_model, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs", [(LogMelSpectrogram, {}), (MFCC, {"deltas": 1}), (LinearSpectrogram, {"power": 2.0})])
def test_layer_config_roundtrip(tmp_path, tiny_audio_config, cls, kwargs):
    run_layer_serialization_test(cls(tiny_audio_config, **kwargs), np.stack([tone(300, 0.3)]), tmp_path)


def test_bad_layer_args():
    with pytest.raises(ConfigError, match="deltas"):
        MFCC(deltas=3)
    with pytest.raises(ConfigError, match="power"):
        LinearSpectrogram(power=3.0)
    with pytest.raises(ConfigError, match="unknown AudioConfig keys"):
        LogMelSpectrogram({"rate": 8000})
