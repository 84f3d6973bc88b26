"""tf.data pipelines: decode once and cache, crop/pad and augment for training, full length for evaluation."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import tensorflow as tf

from ser_synth.audio.backend import audio_backend, probe_file, tf_decode_file
from ser_synth.audio.config import AudioConfig
from ser_synth.audio.trim import trim_silence_tf
from ser_synth.data.augment import AugmentConfig, augment_waveform
from ser_synth.exceptions import DataError


def class_weights(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """Balanced weights ``n / (k * count_c)`` (absent classes get 0), shape ``(num_classes,)``."""
    counts = Counter(int(l) for l in labels)
    n = len(labels)
    return np.array([n / (num_classes * counts[c]) if counts[c] else 0.0 for c in range(num_classes)], np.float32)


def decoded_dataset(paths: Sequence[str], config: AudioConfig, *, trim_db: float | None = 30.0,
                    backend: str | None = None, cache: bool | str = True) -> tf.data.Dataset:
    """Waveforms ``[samples]`` float32 at ``config.sample_rate``, decoded once and cached.

    ``cache`` True caches in memory; a string caches to that file prefix.
    """
    if not paths:
        raise DataError("cannot build a dataset from zero files")
    paths = [str(p) for p in paths]
    probes = [probe_file(p) for p in paths]  # header only; raises the precise error for a bad file
    ds = tf.data.Dataset.from_tensor_slices((paths, np.array([r for r, _ in probes], np.int64), np.array([ok for _, ok in probes])))
    backend = backend or audio_backend()
    sr = config.sample_rate

    def decode(path, rate, tfio_ok):
        y = tf_decode_file(path, rate, sr, tfio_ok=tfio_ok, backend=backend)
        return trim_silence_tf(y, trim_db) if trim_db else y

    # tfio's resampler is vectorised with a while_loop fallback and warns about it on every trace
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    finally:
        logger.setLevel(level)
    if cache:
        ds = ds.cache("" if cache is True else str(cache))
    return ds


def crop_or_pad(y: tf.Tensor, length: int, seed: tf.Tensor | None = None) -> tf.Tensor:
    """Random (seeded) or centre crop to ``length`` samples; shorter clips are tiled (repeated).

    Tiling instead of zero padding keeps digital silence (log-floor frames) out of training
    crops: whole-clip evaluation never sees such padding, and per-utterance normalisation
    would otherwise learn statistics that evaluation does not have.
    """
    reps = length // tf.maximum(tf.shape(y)[0], 1) + 1
    y = tf.cond(tf.shape(y)[0] < length, lambda: tf.tile(y, [reps]), lambda: y)
    n = tf.shape(y)[0]
    excess = tf.maximum(n - length, 0)
    if seed is None:
        start = excess // 2
    else:
        start = tf.random.stateless_uniform([], seed, 0, excess + 1, dtype=tf.int32)
    y = y[start:start + length]
    return tf.pad(y, [[0, length - tf.shape(y)[0]]])


def training_dataset(waveforms: tf.data.Dataset, labels: Sequence[int], *, crop_samples: int, batch_size: int,
                     seed: int = 0, augment: AugmentConfig | None = None, sample_weights: Sequence[float] | None = None,
                     speakers: Sequence[int] | None = None, shuffle_buffer: int = 2048,
                     sample_rate: int | None = None) -> tf.data.Dataset:
    """Shuffled, cropped, (augmented) batches ``(waveform [B, crop], targets, sample_weight [B])``.

    ``targets`` is ``{"emotion": [B]}`` plus ``"speaker": [B]`` when ``speakers`` is given.
    Augmentation uses per-epoch seeds derived from ``seed``, so a run is reproducible;
    ``sample_rate`` (Hz) is what its room augmentation needs.
    """
    n = len(labels)
    weights = np.ones(n, np.float32) if sample_weights is None else np.asarray(sample_weights, np.float32)
    spk = np.zeros(n, np.int32) if speakers is None else np.asarray(speakers, np.int32)
    meta = tf.data.Dataset.from_tensor_slices((np.asarray(labels, np.int32), spk, weights))
    ds = tf.data.Dataset.zip((waveforms, meta))
    ds = ds.shuffle(min(n, shuffle_buffer), seed=seed, reshuffle_each_iteration=True)
    # one fresh seed pair per element per epoch, from a seeded random stream
    ds = tf.data.Dataset.zip((ds, tf.data.Dataset.random(seed=seed).batch(2)))

    def prep(item, rnd):
        y, (lab, s, w) = item
        rnd = tf.cast(rnd, tf.int64)
        if augment is not None:
            y = augment_waveform(y, rnd, augment, sample_rate=sample_rate)
        y = crop_or_pad(y, crop_samples, seed=tf.stack([rnd[1], rnd[0]]))
        targets = {"emotion": lab}
        if speakers is not None:
            targets["speaker"] = s
        return y, targets, w

    ds = ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size, drop_remainder=False).prefetch(tf.data.AUTOTUNE)
