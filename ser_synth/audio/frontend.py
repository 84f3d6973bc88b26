"""Keras front-end layers built on ``tf.signal``, configured by one :class:`AudioConfig`.

They run inside models, so saved and exported models take a raw float32 waveform
``[batch, samples]`` at ``AudioConfig.sample_rate``. Their numbers match librosa
(``center=True, pad_mode="constant"``, HTK mel, ``norm=None``); ``tests/audio`` states the
tolerances.
"""

from __future__ import annotations

import contextlib

import numpy as np
import keras
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.exceptions import ConfigError


def hz_to_mel(f):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(config: AudioConfig) -> np.ndarray:
    """Triangular HTK mel filters, unnormalised, shape ``(n_bins, n_mels)``.

    Same construction as ``librosa.filters.mel(htk=True, norm=None)``: triangles in Hz
    between mel-spaced edges, evaluated at the FFT bin frequencies.
    """
    fft_freqs = np.linspace(0.0, config.sample_rate / 2, config.n_bins)
    edges = mel_to_hz(np.linspace(hz_to_mel(config.fmin), hz_to_mel(config.fmax_hz), config.n_mels + 2))
    fdiff = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights.T.astype(np.float32)


def banded_filterbank(weights: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
    """A dense ``(n_bins, n_bands)`` filterbank as each band's contiguous run of bins:
    indices ``int32 (n_bands, width)`` and weights ``float32 (n_bands, width)`` (zero past a
    band's end), so ``sum(power[..., idx] * w, -1) == power @ weights``."""
    nz = [np.flatnonzero(weights[:, b]) for b in range(weights.shape[1])]
    starts = np.array([z[0] if len(z) else 0 for z in nz])
    width = max(1, max((z[-1] - z[0] + 1 for z in nz if len(z)), default=1))
    idx = np.minimum(starts[:, None] + np.arange(width)[None, :], weights.shape[0] - 1)
    w = weights[idx, np.arange(weights.shape[1])[:, None]]
    # a band narrower than the widest one must not pick up the bins after its end
    w = np.where(np.arange(width)[None, :] < np.array([z[-1] - z[0] + 1 if len(z) else 0 for z in nz])[:, None], w, 0.0)
    return tf.constant(idx.astype(np.int32)), tf.constant(w.astype(np.float32))


@contextlib.contextmanager
def banded_mel_projection(model: keras.layers.Layer):
    """Within the block, every mel front-end inside ``model`` projects with a gather over each
    band's bins (same sums) instead of a matmul with the dense filterbank.

    For TFLite export: dynamic-range quantization turns a matmul into an int8 "hybrid" op that
    also quantizes its input on the fly, and 8 bits cannot hold a power spectrum's 60+ dB range
    (the quantized ``core4`` lost 17 points of UAR that way). A gather has no weights to
    quantize, so the front-end stays float. Outside TFLite the matmul is faster.
    """
    found, stack = [], [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, LogMelSpectrogram):
            found.append(layer)
        stack.extend(getattr(layer, "layers", []))
    for layer in found:
        layer.banded = True
    try:
        yield found
    finally:
        for layer in found:
            layer.banded = False


def analysis_window(config: AudioConfig) -> np.ndarray:
    """Periodic window of ``win_length`` zero-padded (centred) to ``n_fft``, as librosa does."""
    n = np.arange(config.win_length)
    if config.window == "hann":
        w = 0.5 - 0.5 * np.cos(2 * np.pi * n / config.win_length)
    else:
        w = 0.54 - 0.46 * np.cos(2 * np.pi * n / config.win_length)
    left = (config.n_fft - config.win_length) // 2
    return np.pad(w, (left, config.n_fft - config.win_length - left)).astype(np.float32)


def stft(waveform: tf.Tensor, config: AudioConfig) -> tf.Tensor:
    """Complex STFT, ``[batch, samples] -> [batch, frames, n_bins]``."""
    if config.center:
        pad = config.n_fft // 2
        waveform = tf.pad(waveform, [[0, 0], [pad, pad]])
    frames = tf.signal.frame(waveform, config.n_fft, config.hop_length, pad_end=False)
    frames = frames * tf.constant(analysis_window(config))
    return tf.signal.rfft(frames, fft_length=[config.n_fft])


def istft(spectrum: tf.Tensor, config: AudioConfig, num_samples: tf.Tensor | int | None = None) -> tf.Tensor:
    """Least-squares inverse of :func:`stft`, ``[batch, frames, n_bins] -> [batch, samples]``.

    Overlap-adds windowed frames and divides by the summed squared window (librosa's
    ``istft``). Output length is ``config.num_samples(frames)`` unless ``num_samples`` is given.
    """
    window = tf.constant(analysis_window(config))
    frames = tf.signal.irfft(spectrum, fft_length=[config.n_fft]) * window
    y = tf.signal.overlap_and_add(frames, config.hop_length)
    n_frames = tf.shape(spectrum)[1]
    norm = tf.signal.overlap_and_add(tf.tile(tf.square(window)[None, :], [n_frames, 1]), config.hop_length)
    y = tf.math.divide_no_nan(y, tf.where(norm > 1e-8, norm, tf.zeros_like(norm)))
    start = config.n_fft // 2 if config.center else 0
    length = config.num_samples(n_frames) if num_samples is None else num_samples
    y = y[:, start:]
    y = tf.pad(y, [[0, 0], [0, tf.maximum(0, length - tf.shape(y)[1])]])
    return y[:, :length]


class _AudioFrontend(keras.layers.Layer):
    """Shared plumbing: holds the AudioConfig, validates rank, serialises the config."""

    def __init__(self, audio_config=None, **kwargs):
        super().__init__(**kwargs)
        self.audio_config = AudioConfig.from_dict(audio_config)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def get_config(self):
        config = super().get_config()
        config["audio_config"] = self.audio_config.to_dict()
        return config

    def _magnitude(self, waveform):
        waveform = tf.cast(waveform, tf.float32)
        return tf.abs(stft(waveform, self.audio_config))

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else self.audio_config.num_frames(int(input_shape[1]))
        return (input_shape[0], frames, self.output_dim)


LINEAR_FLOOR = 1e-5  # floor of a linear magnitude before its log (synthesizer targets, cepstral smoothing)


@keras.saving.register_keras_serializable(package="ser_synth")
class LinearSpectrogram(_AudioFrontend):
    """Linear magnitude ``|STFT|**power``: ``[batch, samples] -> [batch, frames, n_bins]``."""

    def __init__(self, audio_config=None, power: float = 1.0, **kwargs):
        super().__init__(audio_config, **kwargs)
        if power not in (1.0, 2.0):
            raise ConfigError(f"LinearSpectrogram power must be 1.0 or 2.0, got {power!r}")
        self.power = float(power)

    @property
    def output_dim(self):
        return self.audio_config.n_bins

    def call(self, waveform):
        mag = self._magnitude(waveform)
        return mag if self.power == 1.0 else tf.square(mag)

    def get_config(self):
        return {**super().get_config(), "power": self.power}


@keras.saving.register_keras_serializable(package="ser_synth")
class LogMelSpectrogram(_AudioFrontend):
    """Natural-log mel power ``ln(max(mel, log_floor))``: ``[batch, samples] -> [batch, frames, n_mels]``."""

    @property
    def output_dim(self):
        return self.audio_config.n_mels

    #: Project with a gather over each band's own bins instead of a dense matmul; set only
    #: while tracing a TFLite export (see :func:`banded_mel_projection`).
    banded = False

    def build(self, input_shape):
        filters = mel_filterbank(self.audio_config)
        self._mel = tf.constant(filters)
        self._bins, self._weights = banded_filterbank(filters)
        self.built = True

    def mel_power(self, waveform):
        power = tf.square(self._magnitude(waveform))
        if self.banded:
            return tf.reduce_sum(tf.gather(power, self._bins, axis=-1) * self._weights, axis=-1)
        return tf.matmul(power, self._mel)

    def call(self, waveform):
        return tf.math.log(tf.maximum(self.mel_power(waveform), self.audio_config.log_floor))


def deltas(features: tf.Tensor, width: int = 5) -> tf.Tensor:
    """Regression deltas over time (``[batch, frames, dims]``), edges repeated.

    Equals ``librosa.feature.delta(x, width=width, order=1, mode="nearest")``.
    """
    n = width // 2
    padded = tf.concat([tf.repeat(features[:, :1], n, axis=1), features, tf.repeat(features[:, -1:], n, axis=1)], axis=1)
    frames = tf.shape(features)[1]
    denom = 2.0 * sum(k * k for k in range(1, n + 1))
    out = tf.zeros_like(features)
    for k in range(1, n + 1):
        out += k * (padded[:, n + k:n + k + frames] - padded[:, n - k:n - k + frames])
    return out / denom


@keras.saving.register_keras_serializable(package="ser_synth")
class MFCC(LogMelSpectrogram):
    """MFCCs (+ deltas) ``[batch, samples] -> [batch, frames, n_mfcc * (1 + deltas)]``.

    DCT-II (orthonormal) of ``10 * log10(max(mel, log_floor))``, as
    ``librosa.feature.mfcc(S=librosa.power_to_db(mel, amin=log_floor, top_db=None))``.
    """

    def __init__(self, audio_config=None, deltas: int = 0, **kwargs):
        super().__init__(audio_config, **kwargs)
        if deltas not in (0, 1, 2):
            raise ConfigError(f"MFCC deltas must be 0, 1 or 2, got {deltas!r}")
        self.deltas = int(deltas)

    @property
    def output_dim(self):
        return self.audio_config.n_mfcc * (1 + self.deltas)

    def call(self, waveform):
        db = 10.0 * tf.math.log(tf.maximum(self.mel_power(waveform), self.audio_config.log_floor)) / np.log(10.0)
        mfcc = tf.signal.dct(db, type=2, norm="ortho")[..., : self.audio_config.n_mfcc]
        feats = [mfcc]
        for _ in range(self.deltas):
            feats.append(deltas(feats[-1]))
        return tf.concat(feats, axis=-1) if len(feats) > 1 else mfcc

    def get_config(self):
        return {**super().get_config(), "deltas": self.deltas}


FRONTENDS = {"logmel": LogMelSpectrogram, "mfcc": MFCC, "linear": LinearSpectrogram}


def make_frontend(kind: str, audio_config: AudioConfig, **kwargs) -> keras.layers.Layer:
    """Front-end layer by name: ``"logmel"``, ``"mfcc"`` or ``"linear"``."""
    if kind not in FRONTENDS:
        raise ConfigError(f"unknown front-end {kind!r}; expected one of {sorted(FRONTENDS)}")
    return FRONTENDS[kind](audio_config, **kwargs)
