"""Monotonic alignment search (Glow-TTS, Kim et al. 2020): text-to-frame alignment learned
from (text, audio) pairs with no external aligner.

Given a log-likelihood ``L[j, t]`` of mel frame ``t`` under token ``j``'s predicted
distribution, MAS finds the monotonic, surjective path (every token gets >= 1 frame, frames
advance one token at a time) of maximum total likelihood by dynamic programming; the number of
frames per token is that token's duration target.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def monotonic_alignment(log_lik: np.ndarray, text_len: int, mel_len: int) -> np.ndarray:
    """Durations (frames per token, int32 ``[text_len]``, summing to ``mel_len``) of the best path.

    Parameters
    ----------
    log_lik : float array ``[>= text_len, >= mel_len]``
    text_len, mel_len : int
        Valid sizes; ``text_len <= mel_len`` is required for a surjective path.
    """
    n, t_max = int(text_len), int(mel_len)
    if n > t_max:
        # more tokens than frames: no surjective path; give each frame one token (the rest 0)
        d = np.zeros(n, np.int32)
        d[:t_max] = 1
        return d
    ll = np.asarray(log_lik, np.float64)[:n, :t_max]
    neg = -1e9
    q = np.full((n, t_max), neg)
    q[0, 0] = ll[0, 0]
    j = np.arange(n)
    for t in range(1, t_max):
        stay = q[:, t - 1]
        move = np.concatenate([[neg], q[:-1, t - 1]])
        q[:, t] = np.maximum(stay, move) + ll[:, t]
        # token j is reachable at frame t only if j <= t, and must leave room for the rest
        q[(j > t) | (n - 1 - j > t_max - 1 - t), t] = neg
    durations = np.zeros(n, np.int32)
    tok = n - 1
    for t in range(t_max - 1, -1, -1):
        durations[tok] += 1
        if tok > 0 and t > 0 and (tok == t or q[tok - 1, t - 1] > q[tok, t - 1]):
            tok -= 1
    return durations


def batch_alignment(log_lik, text_lens, mel_lens) -> np.ndarray:
    """:func:`monotonic_alignment` for a batch: ``[B, N, T]`` -> int32 durations ``[B, N]`` (0 past each text length).

    The dynamic programme runs over the whole batch at once (one Python step per frame, not
    per frame and item), because it sits inside every training step: 12 ms instead of 59 ms
    per 16-utterance batch of the demo corpus (``bench/training_speed.py``). Results equal
    the per-item function's exactly.
    """
    log_lik = np.asarray(log_lik, np.float64)
    text_lens, mel_lens = np.asarray(text_lens, np.int64), np.asarray(mel_lens, np.int64)
    b_size, n_max = log_lik.shape[:2]
    out = np.zeros((b_size, n_max), np.int32)
    short = text_lens > mel_lens  # no surjective path: the per-item rule
    for b in np.flatnonzero(short):
        out[b, :text_lens[b]] = monotonic_alignment(log_lik[b], text_lens[b], mel_lens[b])
    rows = np.flatnonzero(~short & (text_lens > 0))
    if not len(rows):
        return out
    ll = np.moveaxis(log_lik[rows], 2, 0)  # [T, R, N]: one contiguous slice per frame
    n, t_len = text_lens[rows, None], mel_lens[rows, None]
    r_size, t_max = len(rows), int(t_len.max())
    neg = -1e9
    j, t_axis = np.arange(n_max)[None, None, :], np.arange(t_max)[:, None, None]
    # token j is reachable at frame t only if j <= t, and must leave room for the rest
    ok = (j <= t_axis) & (j < n[None]) & (j >= n[None] - t_len[None] + t_axis)
    q = np.empty((t_max, r_size, n_max))
    q[0] = np.where(ok[0], ll[0], neg)
    val = np.empty((r_size, n_max))
    for t in range(1, t_max):
        prev = q[t - 1]
        val[:, 0] = prev[:, 0]
        np.maximum(prev[:, 1:], prev[:, :-1], out=val[:, 1:])
        val += ll[t]
        q[t] = np.where(ok[t], val, neg)
    d = np.zeros((r_size, n_max), np.int32)
    tok = n[:, 0] - 1
    idx = np.arange(r_size)
    for t in range(t_max - 1, -1, -1):
        active = t < t_len[:, 0]  # each item's backtrack starts at its own last frame
        d[idx[active], tok[active]] += 1
        if t == 0:
            break
        step = active & (tok > 0) & ((tok == t) | (q[t - 1, idx, np.maximum(tok - 1, 0)] > q[t - 1, idx, tok]))
        tok = tok - step
    out[rows] = d
    return out


def tf_batch_alignment(log_lik: tf.Tensor, text_lens: tf.Tensor, mel_lens: tf.Tensor) -> tf.Tensor:
    """Graph wrapper of :func:`batch_alignment` (training only: it runs numpy on the host)."""
    d = tf.numpy_function(batch_alignment, [log_lik, text_lens, mel_lens], tf.int32, stateful=False)
    d.set_shape(log_lik.shape[:2])
    return d


def gaussian_log_likelihood(mu: tf.Tensor, mel: tf.Tensor) -> tf.Tensor:
    """``L[b, j, t] = -0.5 * ||mel[b, t] - mu[b, j]||^2`` (unit variance), shape ``[B, N, T]``."""
    mu2 = tf.reduce_sum(tf.square(mu), -1)[:, :, None]
    x2 = tf.reduce_sum(tf.square(mel), -1)[:, None, :]
    cross = tf.matmul(mu, mel, transpose_b=True)
    return -0.5 * (mu2 - 2.0 * cross + x2)


def expand_by_durations(x: tf.Tensor, durations: tf.Tensor, max_frames=None) -> tuple[tf.Tensor, tf.Tensor]:
    """Length regulator: repeat token vectors ``x [B, N, D]`` by ``durations [B, N]``.

    Returns frames ``[B, T, D]`` (zeros past each item's total) and frame counts ``[B]``.
    """
    durations = tf.cast(durations, tf.int32)
    ends = tf.cumsum(durations, axis=1)
    lengths = ends[:, -1]
    t = tf.reduce_max(lengths) if max_frames is None else max_frames
    frames = tf.broadcast_to(tf.range(t)[None, :], [tf.shape(x)[0], t])
    idx = tf.searchsorted(ends, frames, side="right")
    idx = tf.minimum(idx, tf.shape(x)[1] - 1)
    out = tf.gather(x, idx, batch_dims=1)
    mask = tf.cast(frames < lengths[:, None], x.dtype)[:, :, None]
    return out * mask, lengths
