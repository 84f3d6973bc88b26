"""Monotonic alignment search and the length regulator."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.synthesis.alignment import (batch_alignment, expand_by_durations, gaussian_log_likelihood,
                                           monotonic_alignment, tf_batch_alignment)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_planted_durations(seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(1, 9, size=12)
    mu = 3 * rng.standard_normal((12, 10)).astype(np.float32)
    mel = np.repeat(mu, true, axis=0) + 0.3 * rng.standard_normal((true.sum(), 10)).astype(np.float32)
    ll = gaussian_log_likelihood(tf.constant(mu[None]), tf.constant(mel[None])).numpy()[0]
    np.testing.assert_array_equal(monotonic_alignment(ll, 12, true.sum()), true)


def test_path_is_monotonic_and_surjective_on_noise():
    ll = np.random.default_rng(0).standard_normal((30, 200))
    d = monotonic_alignment(ll, 30, 200)
    assert d.sum() == 200 and d.min() >= 1


def test_batch_respects_lengths_and_graph_wrapper():
    rng = np.random.default_rng(0)
    ll = rng.standard_normal((2, 6, 40)).astype(np.float32)
    d = batch_alignment(ll, [6, 4], [40, 25])
    assert d[0].sum() == 40 and d[1, :4].sum() == 25 and not d[1, 4:].any()
    np.testing.assert_array_equal(tf.function(tf_batch_alignment)(tf.constant(ll), tf.constant([6, 4]), tf.constant([40, 25])).numpy(), d)
    # more tokens than frames: one frame each for the first tokens, no crash
    assert monotonic_alignment(rng.standard_normal((5, 3)), 5, 3).tolist() == [1, 1, 1, 0, 0]


def test_expand_by_durations():
    x = tf.constant([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])
    out, lengths = expand_by_durations(x, tf.constant([[1, 2, 1], [2, 1, 0]]))
    assert lengths.numpy().tolist() == [4, 3]
    np.testing.assert_array_equal(out.numpy()[..., 0], [[1, 2, 2, 3], [4, 4, 5, 0]])
    fixed, _ = expand_by_durations(x, tf.constant([[1, 1, 1], [1, 0, 0]]), max_frames=5)
    assert fixed.shape[1] == 5


def test_batched_search_equals_the_per_item_search():
    rng = np.random.default_rng(0)
    for trial in range(60):
        b, n, t = rng.integers(1, 6), rng.integers(1, 12), rng.integers(1, 40)
        ll = rng.standard_normal((b, n, t))
        if trial % 3 == 0:
            ll = np.round(ll)  # ties must break the same way
        text_lens, mel_lens = rng.integers(1, n + 1, b), rng.integers(1, t + 1, b)  # some with more tokens than frames
        expected = np.zeros((b, n), np.int32)
        for i in range(b):
            expected[i, :text_lens[i]] = monotonic_alignment(ll[i], text_lens[i], mel_lens[i])
        np.testing.assert_array_equal(batch_alignment(ll, text_lens, mel_lens), expected)
