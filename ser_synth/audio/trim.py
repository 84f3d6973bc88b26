"""The one silence-trim rule, in TF ops so it runs the same in tf.data, in NumPy callers and in exported graphs."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

# A noise-only edge: EDGE_FRAMES frames (after the two that reach into the padding) whose RMS levels
# span less than EDGE_RANGE_DB, EDGE_BELOW_PEAK_DB or more below the loudest frame. Chosen on 200
# training-speaker clips (RAVDESS 01-16, EMO-DB) with white noise at 5-20 dB SNR and on centre
# crops of speech; never on a held-out speaker (see bench/robustness.py).
EDGE_FRAMES = 10
EDGE_RANGE_DB = 2.0
EDGE_BELOW_PEAK_DB = 12.0
EDGE_MARGIN_DB = 4.0


def _edge_threshold(edge: tf.Tensor, peak: tf.Tensor, threshold: tf.Tensor) -> tf.Tensor:
    """Raise ``threshold`` to the edge's level + EDGE_MARGIN_DB when ``edge`` (dB, ``[EDGE_FRAMES]``) is steady noise."""
    steady = tf.reduce_max(edge) - tf.reduce_min(edge) < EDGE_RANGE_DB
    level = tf.reduce_mean(edge)
    noise = tf.logical_and(steady, level < peak - EDGE_BELOW_PEAK_DB)
    return tf.where(noise, tf.maximum(threshold, level + EDGE_MARGIN_DB), threshold)


def trim_silence_tf(y: tf.Tensor, top_db: float = 30.0, frame: int = 1024, hop: int = 256, *,
                    edge_noise: bool = True) -> tf.Tensor:
    """Cut leading/trailing frames more than ``top_db`` below the loudest frame (RMS), ``[samples]``.

    That is ``librosa.effects.trim``'s rule. A recording with steady background noise (a fan, a
    hiss) keeps its noise-only lead-in and tail under that rule alone, because the noise is less
    than ``top_db`` below the speech; so with ``edge_noise`` each edge that opens with steady noise
    (``EDGE_FRAMES`` frames within ``EDGE_RANGE_DB``, at least ``EDGE_BELOW_PEAK_DB`` below the
    peak) is also cut up to where the level first rises ``EDGE_MARGIN_DB`` above that noise.
    Studio silence lies below ``peak - top_db`` and is cut the same either way.
    """
    n = tf.shape(y)[0]
    padded = tf.pad(y, [[frame // 2, frame // 2]])
    frames = tf.signal.frame(padded, frame, hop, pad_end=False)
    rms_db = 10.0 * tf.math.log(tf.reduce_mean(tf.square(frames), axis=-1) + 1e-20) / np.log(10.0)
    peak = tf.reduce_max(rms_db)
    lead_threshold = tail_threshold = peak - top_db
    if edge_noise:
        long_enough = tf.size(rms_db) >= 2 * (EDGE_FRAMES + 2)
        lead_threshold = tf.cond(long_enough, lambda: _edge_threshold(rms_db[2:2 + EDGE_FRAMES], peak, lead_threshold),
                                 lambda: lead_threshold)
        tail_threshold = tf.cond(long_enough, lambda: _edge_threshold(rms_db[-2 - EDGE_FRAMES:-2], peak, tail_threshold),
                                 lambda: tail_threshold)
    lead = tf.where(rms_db > lead_threshold)[:, 0]
    tail = tf.where(rms_db > tail_threshold)[:, 0]

    def cut():
        start = tf.cast(lead[0], tf.int32) * hop
        end = tf.minimum(n, (tf.cast(tail[-1], tf.int32) + 1) * hop)
        return y[start:tf.maximum(start, end)]

    out = tf.cond(tf.logical_and(tf.size(lead) > 0, tf.size(tail) > 0), cut, lambda: y)
    return tf.cond(tf.shape(out)[0] > frame, lambda: out, lambda: y)
