"""Seeded, train-only waveform augmentation (stateless TF ops, usable inside tf.data).

SpecAugment masks act on features, so they live in the model as
:class:`ser_synth.recognition.layers.SpecAugment` (active only when ``training=True``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import tensorflow as tf

from ser_synth.exceptions import ConfigError


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of each waveform augmentation.

    ``speed`` resamples by a factor in ``speed_range`` (tempo and pitch move together, as
    Kaldi speed perturbation); ``shift_fraction`` rolls the clip by up to that fraction.
    """

    noise_prob: float = 0.5
    snr_db: tuple[float, float] = (10.0, 30.0)
    gain_db: tuple[float, float] = (-6.0, 6.0)
    shift_fraction: float = 0.1
    speed_prob: float = 0.5
    speed_range: tuple[float, float] = (0.9, 1.1)

    def __post_init__(self):
        for name in ("noise_prob", "speed_prob", "shift_fraction"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"AugmentConfig.{name} must be in [0, 1], got {v!r}")
        for name in ("snr_db", "gain_db", "speed_range"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ConfigError(f"AugmentConfig.{name} must be (low, high) with low <= high, got {(lo, hi)!r}")
        if self.speed_range[0] <= 0:
            raise ConfigError(f"AugmentConfig.speed_range must be positive, got {self.speed_range!r}")

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


def augment_waveform(y: tf.Tensor, seed: tf.Tensor, config: AugmentConfig) -> tf.Tensor:
    """Apply speed, shift, gain and noise to one waveform ``[samples]`` with a ``[2]`` int seed."""
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=7)
    if config.speed_prob > 0:
        factor = _uniform(seeds[1], *config.speed_range)
        y = tf.cond(_uniform(seeds[0], 0.0, 1.0) < config.speed_prob, lambda: change_speed(y, factor), lambda: y)
    if config.shift_fraction > 0:
        max_shift = tf.cast(config.shift_fraction * tf.cast(tf.shape(y)[0], tf.float32), tf.int32)
        shift = tf.random.stateless_uniform([], seeds[2], -max_shift, max_shift + 1, dtype=tf.int32)
        y = tf.roll(y, shift, axis=0)
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
