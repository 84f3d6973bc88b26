"""Seeded, train-only waveform augmentation (stateless TF ops, usable inside tf.data).

SpecAugment masks act on features, so they live in the model as
:class:`ser_synth.recognition.layers.SpecAugment` (active only when ``training=True``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import tensorflow as tf

from ser_synth.exceptions import ConfigError

# the synthetic rooms' family, shared with the prosodic member's room copies
# (ser_synth.recognition.prosodic.with_reverb): RT60 (s), direct-to-reverberant ratio (dB),
# low-pass cut-off of the tail (Hz)
ROOM_RT60_S, ROOM_DRR_DB, ROOM_DAMPING_HZ = (0.2, 1.0), (-6.0, 6.0), (1500.0, 6000.0)


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of each waveform augmentation.

    ``speed`` resamples by a factor in ``speed_range`` (tempo and pitch move together, as
    Kaldi speed perturbation); ``shift_fraction`` rolls the clip by up to that fraction.
    ``reverb_prob`` puts the clip in a synthetic room (:func:`reverberate`) with RT60 drawn from
    ``reverb_rt60`` (s) and a direct-to-reverberant ratio from ``reverb_drr_db`` (dB); it needs
    the sample rate, so :func:`augment_waveform` must be given one. Off by default.
    """

    noise_prob: float = 0.5
    snr_db: tuple[float, float] = (10.0, 30.0)
    gain_db: tuple[float, float] = (-6.0, 6.0)
    shift_fraction: float = 0.1
    speed_prob: float = 0.5
    speed_range: tuple[float, float] = (0.9, 1.1)
    reverb_prob: float = 0.0
    reverb_rt60: tuple[float, float] = ROOM_RT60_S
    reverb_drr_db: tuple[float, float] = ROOM_DRR_DB

    def __post_init__(self):
        for name in ("noise_prob", "speed_prob", "shift_fraction", "reverb_prob"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"AugmentConfig.{name} must be in [0, 1], got {v!r}")
        for name in ("snr_db", "gain_db", "speed_range", "reverb_rt60", "reverb_drr_db"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ConfigError(f"AugmentConfig.{name} must be (low, high) with low <= high, got {(lo, hi)!r}")
        for name in ("speed_range", "reverb_rt60"):
            if getattr(self, name)[0] <= 0:
                raise ConfigError(f"AugmentConfig.{name} must be positive, got {getattr(self, name)!r}")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        from ser_synth.utils import dataclass_from_dict

        return None if d is None else dataclass_from_dict(cls, d)  # None means no augmentation


def _uniform(seed, lo, hi):
    return tf.random.stateless_uniform([], seed=seed, minval=lo, maxval=hi)


def change_speed(y: tf.Tensor, factor) -> tf.Tensor:
    """Resample ``[samples]`` by ``factor`` (> 1 shortens and raises pitch) with linear interpolation."""
    n = tf.shape(y)[0]
    n_out = tf.maximum(tf.cast(tf.cast(n, tf.float32) / factor, tf.int32), 1)
    pos = tf.range(n_out, dtype=tf.float32) * factor
    i0 = tf.minimum(tf.cast(tf.floor(pos), tf.int32), n - 1)
    i1 = tf.minimum(i0 + 1, n - 1)
    frac = pos - tf.cast(i0, tf.float32)
    return tf.gather(y, i0) * (1.0 - frac) + tf.gather(y, i1) * frac


def _next_pow2(n):
    return tf.cast(tf.pow(2.0, tf.math.ceil(tf.math.log(tf.cast(n, tf.float32)) / tf.math.log(2.0))), tf.int32)


def reverberate(y: tf.Tensor, seed: tf.Tensor, *, sample_rate: int, rt60: tuple[float, float] = ROOM_RT60_S,
                drr_db: tuple[float, float] = ROOM_DRR_DB, damping_hz: tuple[float, float] = ROOM_DAMPING_HZ) -> tf.Tensor:
    """``y`` ``[samples]`` in a random synthetic room, same length and peak (in TF ops, seeded by a
    ``[2]`` int seed).

    The room response is a direct path plus exponentially decaying Gaussian noise, -60 dB at an
    RT60 drawn from ``rt60`` (s) and cut at 1.2 x RT60, low-passed (2nd-order Butterworth
    magnitude, zero phase) at a cut-off drawn from ``damping_hz`` (kept under 0.45 x
    ``sample_rate``: walls absorb the highs), scaled to a direct-to-reverberant energy ratio drawn
    from ``drr_db``. The same family as the prosodic member's room copies (``ROOM_*``), so the
    CRNN can learn rooms the way that member did.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=4)
    t60 = _uniform(seeds[0], *rt60)
    n_tail = int(np.ceil(1.2 * rt60[1] * sample_rate))  # fixed length: the longest room's tail
    t = tf.range(1, n_tail + 1, dtype=tf.float32) / float(sample_rate)
    tail = tf.random.stateless_normal([n_tail], seeds[1]) * tf.exp(-6.9 * t / t60)
    tail = tf.where(t <= 1.2 * t60, tail, 0.0)
    cutoff = tf.minimum(_uniform(seeds[2], *damping_hz), 0.45 * sample_rate)
    n_fft = int(2 ** int(np.ceil(np.log2(2 * n_tail))))  # room for the zero-phase filter's pre-ringing
    f = tf.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    low_pass = tf.cast(tf.math.rsqrt(1.0 + tf.pow(f / cutoff, 4.0)), tf.complex64)
    tail = tf.signal.irfft(tf.signal.rfft(tail, [n_fft]) * low_pass, [n_fft])[:n_tail]
    tail = tail * tf.sqrt(tf.pow(10.0, -_uniform(seeds[3], *drr_db) / 10.0) / (tf.reduce_sum(tf.square(tail)) + 1e-12))
    response = tf.concat([[1.0], tail], axis=0)
    n = tf.shape(y)[0]
    size = _next_pow2(n + n_tail + 1)
    out = tf.signal.irfft(tf.signal.rfft(y, [size]) * tf.signal.rfft(response, [size]), [size])[:n]
    return out * tf.reduce_max(tf.abs(y)) / (tf.reduce_max(tf.abs(out)) + 1e-12)


def augment_waveform(y: tf.Tensor, seed: tf.Tensor, config: AugmentConfig, *, sample_rate: int | None = None) -> tf.Tensor:
    """Apply speed, shift, room, gain and noise to one waveform ``[samples]`` with a ``[2]`` int
    seed (``sample_rate``, Hz: needed when ``config.reverb_prob > 0``)."""
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=7)
    if config.speed_prob > 0:
        factor = _uniform(seeds[1], *config.speed_range)
        y = tf.cond(_uniform(seeds[0], 0.0, 1.0) < config.speed_prob, lambda: change_speed(y, factor), lambda: y)
    if config.shift_fraction > 0:
        max_shift = tf.cast(config.shift_fraction * tf.cast(tf.shape(y)[0], tf.float32), tf.int32)
        shift = tf.random.stateless_uniform([], seeds[2], -max_shift, max_shift + 1, dtype=tf.int32)
        y = tf.roll(y, shift, axis=0)
    if config.reverb_prob > 0:
        if not sample_rate:
            raise ConfigError(f"AugmentConfig.reverb_prob={config.reverb_prob!r} needs the sample rate; got sample_rate={sample_rate!r}")
        # seeds of their own, so the other draws stay what they were without a room
        room = tf.random.experimental.stateless_split(tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), 1), num=2)
        y = tf.cond(_uniform(room[0], 0.0, 1.0) < config.reverb_prob,
                    lambda: reverberate(y, room[1], sample_rate=sample_rate, rt60=config.reverb_rt60, drr_db=config.reverb_drr_db),
                    lambda: y)
    y = y * tf.pow(10.0, _uniform(seeds[3], *config.gain_db) / 20.0)
    if config.noise_prob > 0:
        snr = _uniform(seeds[4], *config.snr_db)
        power = tf.reduce_mean(tf.square(y)) + 1e-10
        noise = tf.random.stateless_normal(tf.shape(y), seeds[5]) * tf.sqrt(power / tf.pow(10.0, snr / 10.0))
        y = tf.cond(_uniform(seeds[6], 0.0, 1.0) < config.noise_prob, lambda: y + noise, lambda: y)
    return y


def mixup_batches(ds: tf.data.Dataset, alpha: float, *, seed: int = 0, key: str = "emotion") -> tf.data.Dataset:
    """Mixup (Zhang et al. 2018) on batches ``(waveform [B, samples], targets, weight [B])``.

    Each example is mixed with another of its batch: ``lam * a + (1 - lam) * b`` for the
    waveform, the one-hot ``targets[key] [B, classes]`` and the weight, with ``lam`` drawn from
    ``Beta(alpha, alpha)`` and folded to ``>= 0.5`` so every mix keeps a dominant example (whose
    other targets, e.g. the speaker, stay). Seeded per batch, so a run is reproducible.
    """
    if not alpha > 0:
        raise ConfigError(f"mixup alpha must be > 0, got {alpha!r}")

    def mix(batch, rnd):
        (x, targets, w), rnd = batch, tf.cast(rnd, tf.int64)
        seeds = tf.random.experimental.stateless_split(rnd, num=3)
        n = tf.shape(x)[0]
        g1 = tf.random.stateless_gamma([n], seeds[0], alpha)
        g2 = tf.random.stateless_gamma([n], seeds[1], alpha)
        lam = g1 / (g1 + g2 + 1e-12)
        lam = tf.maximum(lam, 1.0 - lam)
        perm = tf.argsort(tf.random.stateless_uniform([n], seeds[2]))
        lx = lam[:, None]
        x = lx * x + (1.0 - lx) * tf.gather(x, perm)
        y = tf.cast(targets[key], tf.float32)
        targets = {**targets, key: lx * y + (1.0 - lx) * tf.gather(y, perm)}
        w = lam * w + (1.0 - lam) * tf.gather(w, perm)
        return x, targets, w

    return tf.data.Dataset.zip((ds, tf.data.Dataset.random(seed=seed + 7919).batch(2))).map(mix, num_parallel_calls=tf.data.AUTOTUNE)
