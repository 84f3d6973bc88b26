""":func:`~ser_synth.recognition.prosodic.utterance_features` in core TensorFlow ops.

The same 60 statistics, computed as librosa computes them (YIN with its parabolic refinement,
centred STFT frames with zero padding, ZCR frames with edge padding, slaney mel filters, the
savgol delta's edge rule, the onset detector's peak picker), so a fitted
:class:`~ser_synth.recognition.ProsodicRecognizer` and a fusion holding one export as one
SavedModel that TF Serving can load. Spectra and YIN's difference function are float32 as in
librosa (its threshold and argmin decisions follow that rounding), statistics float64. On real
speech the two agree to float32 rounding (``tests/recognition/test_prosodic_tf.py``); only
degenerate frames whose YIN period is a tie between equal values (a lone click in digital
silence) may be resolved differently.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from ser_synth.recognition.prosodic import FEATURE_DIM, N_MFCC

_F = tf.float64
_N_FFT = 1024
_ONSET_N_FFT = 2048


def _centered_frames(y: tf.Tensor, frame: int, hop: int, edge: bool = False) -> tf.Tensor:
    """``[frames, frame]`` of ``y`` padded by ``frame // 2`` on both sides (zeros, or the edge
    sample), as librosa's ``center=True`` frames."""
    half = frame // 2
    if edge:
        padded = tf.concat([tf.fill([half], y[0]), y, tf.fill([half], y[-1])], 0)
    else:
        padded = tf.pad(y, [[half, half]])
    return tf.signal.frame(padded, frame, hop)


def _power_spectrum(y: tf.Tensor, n_fft: int, hop: int) -> tf.Tensor:
    """``|STFT|^2`` ``[frames, n_fft // 2 + 1]``, periodic Hann window, centred zero-padded frames."""
    frames = _centered_frames(y, n_fft, hop) * tf.signal.hann_window(n_fft, periodic=True, dtype=y.dtype)
    return tf.square(tf.abs(tf.signal.rfft(frames)))


def _db(x: tf.Tensor, floor: float) -> tf.Tensor:
    return 10.0 * tf.math.log(tf.maximum(x, floor)) / math.log(10.0)


def _power_to_db(x: tf.Tensor) -> tf.Tensor:
    """librosa's ``power_to_db`` with ``ref=1``, ``amin=1e-10``, ``top_db=80`` (over the whole array)."""
    d = _db(x, 1e-10)
    return tf.maximum(d, tf.reduce_max(d) - 80.0)


def _mean_std(x: tf.Tensor) -> list[tf.Tensor]:
    m = tf.reduce_mean(x)
    return [m, tf.sqrt(tf.reduce_mean(tf.square(x - m)))]


def _percentile(x: tf.Tensor, q: float) -> tf.Tensor:
    """numpy's default (linear) percentile of a non-empty 1-D tensor."""
    s = tf.sort(x)
    pos = q / 100.0 * tf.cast(tf.size(s) - 1, _F)
    lo = tf.cast(tf.floor(pos), tf.int32)
    hi = tf.minimum(lo + 1, tf.size(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - tf.floor(pos))


def _slope(t: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
    """Least-squares slope of ``v`` on ``t`` (``np.polyfit(t, v, 1)[0]``)."""
    tc = t - tf.reduce_mean(t)
    return tf.reduce_sum(tc * (v - tf.reduce_mean(v))) / tf.reduce_sum(tc * tc)


def _first(mask: tf.Tensor) -> tf.Tensor:
    """Index of the first True along the last axis (its length when none): ties resolved as numpy's argmax."""
    n = tf.shape(mask)[-1]
    return tf.reduce_min(tf.where(mask, tf.range(n), n), axis=-1)


def _yin(y: tf.Tensor, sample_rate: int, hop: int, fmin: float = 60.0, fmax: float = 500.0,
         threshold: float = 0.1) -> tf.Tensor:
    """F0 in Hz per frame ``[frames]``: ``librosa.yin(y, fmin, fmax, sr, frame_length=1024, hop_length=hop)``."""
    frames = _centered_frames(y, _N_FFT, hop)
    min_p, max_p = int(np.floor(sample_rate / fmax)), min(int(np.ceil(sample_rate / fmin)), _N_FFT - 1)
    power = tf.square(tf.abs(tf.signal.rfft(frames, fft_length=[2 * _N_FFT])))
    # librosa's YIN runs in the waveform's float32 (the autocorrelation is rounded to it), and its
    # threshold and argmin decisions follow that rounding
    acf = tf.cast(tf.signal.irfft(tf.cast(power, tf.complex128), fft_length=[2 * _N_FFT])[:, :max_p + 1], tf.float32)
    energy = tf.cumsum(tf.square(tf.cast(frames, tf.float32)), axis=-1)
    # librosa's difference function: d(k) = 2 (acf(0) - acf(k)) - sum_{m<k} y(m)^2, except that
    # its in-place update zeroes the first energy term before d(1) reads it
    energy = tf.concat([tf.zeros_like(energy[:, :1]), energy[:, 1:max_p]], 1)
    diff = 2.0 * (acf[:, :1] - acf[:, 1:]) - energy
    cum_mean = tf.cumsum(diff, axis=-1) / tf.range(1, max_p + 1, dtype=tf.float32)
    d = diff[:, min_p - 1:] / (cum_mean[:, min_p - 1:] + np.finfo(np.float32).tiny)
    prev, mid, nxt = d[:, :-2], d[:, 1:-1], d[:, 2:]
    a, b = nxt + prev - 2.0 * mid, (nxt - prev) / 2.0
    zero = tf.zeros_like(d[:, :1])
    shift = tf.concat([zero, tf.where(tf.abs(b) >= tf.abs(a), tf.zeros_like(a), -b / tf.where(a == 0, tf.ones_like(a), a)), zero], 1)
    trough = tf.concat([d[:, :1] < d[:, 1:2], (mid < prev) & (mid <= nxt), d[:, -1:] < d[:, -2:-1]], 1)
    below = _first(trough & (d < threshold))
    global_min = _first(d == tf.reduce_min(d, axis=-1, keepdims=True))
    idx = tf.where(below < tf.shape(d)[1], below, global_min)
    period = min_p + tf.cast(idx, _F) + tf.cast(tf.gather(shift, idx, batch_dims=1), _F)
    return sample_rate / period


def _zero_crossing_rate(y: tf.Tensor, hop: int) -> tf.Tensor:
    """``librosa.feature.zero_crossing_rate(y, frame_length=1024, hop_length=hop)[0]``."""
    frames = _centered_frames(y, _N_FFT, hop, edge=True)
    negative = frames < -1e-10  # |x| <= 1e-10 counts as zero, and zero as positive
    crossings = tf.cast(tf.not_equal(negative[:, 1:], negative[:, :-1]), _F)
    return tf.reduce_sum(crossings, -1) / _N_FFT


def _delta_std(mfcc: tf.Tensor) -> tf.Tensor:
    """Std over time of ``librosa.feature.delta(mfcc.T, width=w)`` (savgol, ``mode='interp'``),
    ``w = min(9, the largest odd number <= frames)``; ``mfcc`` ``[frames, n]`` with >= 7 frames."""

    def delta(width):
        h = width // 2
        k = tf.constant(np.arange(-h, h + 1) / np.sum(np.arange(-h, h + 1) ** 2.0), _F)
        inner = tf.einsum("ntw,w->nt", tf.signal.frame(tf.transpose(mfcc), width, 1), k)
        # 'interp': the first and last h frames take the slope of the line fitted to the
        # first / last window, which is the value at its centre
        d = tf.concat([tf.repeat(inner[:, :1], h, 1), inner, tf.repeat(inner[:, -1:], h, 1)], 1)
        return tf.math.reduce_std(d, axis=1)

    return tf.cond(tf.shape(mfcc)[0] >= 9, lambda: delta(9), lambda: delta(7))


def _onset_count(y: tf.Tensor, sample_rate: int, hop: int) -> tf.Tensor:
    """``len(librosa.onset.onset_detect(y=y, sr=sample_rate, hop_length=hop))``."""
    import librosa

    # float32 as in librosa (and 3x faster than float64 here)
    basis = tf.constant(librosa.filters.mel(sr=sample_rate, n_fft=_ONSET_N_FFT, n_mels=128, fmax=sample_rate / 2).T, tf.float32)
    mel_db = _power_to_db(tf.matmul(_power_spectrum(tf.cast(y, tf.float32), _ONSET_N_FFT, hop), basis))
    flux = tf.cast(tf.reduce_mean(tf.maximum(mel_db[1:] - mel_db[:-1], 0.0), axis=-1), _F)
    n = tf.shape(mel_db)[0]
    env = tf.concat([tf.zeros([1 + _ONSET_N_FFT // (2 * hop)], _F), flux], 0)[:n]
    env = env - tf.reduce_min(env)
    env = env / (tf.reduce_max(env) + np.finfo(np.float64).tiny)
    # librosa's peak picker: a frame is a peak when it is the maximum of [n - pre_max, n + post_max)
    # and at least delta above the mean of [n - pre_avg, n + post_avg); after a peak, wait frames pass
    pre_max, post_max = math.ceil(0.03 * sample_rate // hop), math.ceil(0.00 * sample_rate // hop + 1)
    pre_avg, post_avg = math.ceil(0.10 * sample_rate // hop), math.ceil(0.10 * sample_rate // hop + 1)
    wait, delta = math.ceil(0.03 * sample_rate // hop), 0.07
    lowest = tf.constant(-np.inf, _F)
    windows = tf.signal.frame(tf.concat([tf.fill([pre_max], lowest), env, tf.fill([post_max - 1], lowest)], 0), pre_max + post_max, 1)
    is_max = tf.equal(env, tf.reduce_max(windows, -1))
    csum = tf.concat([tf.zeros([1], _F), tf.cumsum(env)], 0)
    i = tf.range(n)
    lo, hi = tf.maximum(0, i - pre_avg), tf.minimum(n, i + post_avg)
    avg = (tf.gather(csum, hi) - tf.gather(csum, lo)) / tf.cast(hi - lo, _F)
    candidate = is_max & (env >= avg + delta)

    def step(last, n):  # greedy over the candidates only (a few per second), not every frame
        return tf.where(n > last + wait, n, last)

    picks = tf.cast(tf.where(candidate)[:, 0], tf.int32)
    kept = tf.scan(step, picks, initializer=tf.constant(-wait - 1))
    count = tf.reduce_sum(tf.cast(tf.equal(kept, picks), tf.int32))
    any_onset = tf.reduce_any(env > 0) & tf.reduce_all(tf.math.is_finite(env))
    return tf.where(any_onset, count, 0)


def level_normalized_tf(y: tf.Tensor) -> tf.Tensor:
    """:func:`~ser_synth.recognition.prosodic.level_normalized` in TF ops: ``[samples]`` scaled to RMS ``REFERENCE_RMS``."""
    from ser_synth.recognition.prosodic import REFERENCE_RMS

    y64 = tf.cast(y, tf.float64)
    rms = tf.sqrt(tf.reduce_mean(tf.square(y64)))
    return tf.cast(y64 * (REFERENCE_RMS / (rms + 1e-12)), tf.float32)


def utterance_features_tf(y: tf.Tensor, sample_rate: int) -> tf.Tensor:
    """``[FEATURE_DIM]`` float32 of one waveform ``[samples]`` (float) at ``sample_rate`` Hz; see
    :func:`~ser_synth.recognition.prosodic.utterance_features` for what each statistic is."""
    import librosa

    hop = sample_rate // 100
    y = tf.cast(tf.reshape(y, [-1]), _F)
    y = tf.pad(y, [[0, tf.maximum(0, _N_FFT - tf.shape(y)[0])]])
    S = tf.cast(_power_spectrum(tf.cast(y, tf.float32), _N_FFT, hop), _F)  # [frames, bins]; float32 as in librosa
    rms_db = _db(tf.reduce_mean(S, -1), 1e-12)
    rms_db = rms_db - tf.reduce_max(rms_db)
    loud = rms_db > -30.0
    zcr = _zero_crossing_rate(y, hop)
    f0 = _yin(y, sample_rate, hop)
    voiced = loud & (zcr < 0.15)
    n_voiced = tf.reduce_sum(tf.cast(voiced, tf.int32))
    frame_t = tf.range(tf.shape(f0)[0], dtype=_F) * hop / sample_rate
    enough = n_voiced >= 3
    lf0 = tf.cond(enough, lambda: tf.math.log(tf.boolean_mask(f0, voiced)) / math.log(2.0), lambda: tf.zeros([3], _F))
    t = tf.cond(enough, lambda: tf.boolean_mask(frame_t, voiced), lambda: tf.range(3, dtype=_F))
    pitch = [*_mean_std(lf0), _percentile(lf0, 10), _percentile(lf0, 90), _slope(t, lf0), tf.reduce_mean(tf.cast(voiced, _F))]
    energy = [*_mean_std(rms_db), _percentile(rms_db, 10), _percentile(rms_db, 90), 1.0 - tf.reduce_mean(tf.cast(loud, _F))]
    freqs = tf.constant(librosa.fft_frequencies(sr=sample_rate, n_fft=_N_FFT), _F)
    total = tf.reduce_sum(S, -1, keepdims=True)
    centroid = tf.reduce_sum(freqs * S / tf.where(total < np.finfo(np.float32).tiny, tf.ones_like(total), total), -1)
    cum = tf.cumsum(S, axis=-1)
    rolloff = tf.gather(freqs, _first(cum >= 0.85 * cum[:, -1:]))
    S2 = tf.maximum(tf.square(S), 1e-10)
    flatness = tf.exp(tf.reduce_mean(tf.math.log(S2), -1)) / tf.reduce_mean(S2, -1)
    spec = []
    for f in (centroid / 1000.0, rolloff / 1000.0, flatness, zcr):
        spec += _mean_std(tf.boolean_mask(f, loud))
    ltas = _db(tf.reduce_mean(tf.boolean_mask(S[:, 1:], loud), 0), 1e-12)
    tilt = _slope(tf.math.log(freqs[1:]) / math.log(2.0), ltas)
    mel = tf.matmul(S, tf.constant(librosa.filters.mel(sr=sample_rate, n_fft=_N_FFT, n_mels=40).T, _F))
    n = np.arange(40)
    dct = np.sqrt(2.0 / 40) * np.cos(np.pi * np.arange(N_MFCC)[:, None] * (2 * n + 1) / (2 * 40))
    dct[0] /= np.sqrt(2.0)  # orthonormal DCT-II, as librosa's mfcc
    mfcc = tf.matmul(_power_to_db(mel), tf.constant(dct.T, _F))  # [frames, N_MFCC]
    rate = tf.cast(_onset_count(y, sample_rate, hop), _F) / tf.maximum(tf.cast(tf.shape(y)[0], _F) / sample_rate, 1e-3)
    out = tf.concat([tf.stack(pitch + energy + spec + [tilt]), tf.reduce_mean(mfcc, 0), tf.math.reduce_std(mfcc, 0),
                     _delta_std(mfcc), [rate]], 0)
    big = np.finfo(np.float32).max
    out = tf.where(tf.math.is_nan(out), tf.zeros_like(out), tf.clip_by_value(out, -big, big))
    return tf.ensure_shape(tf.cast(out, tf.float32), [FEATURE_DIM])
