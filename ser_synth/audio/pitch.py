"""Pitch: fast frame-aligned F0 + voicing targets, and harmonic shaping of a smooth spectrum.

A regression model trained with L1 on linear magnitudes predicts the *mean* over where the
harmonics could be, so its spectra are smooth and Griffin-Lim renders them as a whisper with
no pitch. The synthesizer therefore also predicts F0 and voicing, and
:func:`harmonic_magnitude` lays the harmonic comb of that F0 (the analysis window's own
spectral peaks at multiples of F0) over the smooth envelope before Griffin-Lim.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import analysis_window
from ser_synth.exceptions import ConfigError

FMIN, FMAX = 60.0, 500.0


def pitch_track(y: np.ndarray, config: AudioConfig, *, fmin: float = FMIN, fmax: float = FMAX,
                periodicity: float = 0.4, silence_db: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """F0 and voicing per front-end frame of one waveform.

    YIN gives the period; a frame counts as voiced when its normalised autocorrelation at that
    period is at least ``periodicity`` and it is within ``silence_db`` of the loudest frame.
    (pYIN decides voicing better but is far slower, too slow to label a training corpus on
    2 cores.)

    Parameters
    ----------
    y : float array ``[samples]`` at ``config.sample_rate``
    config : AudioConfig
        Frames follow its hop and centering: ``config.num_frames(len(y))`` of them.

    Returns
    -------
    f0 : float32 ``[frames]``
        Hz (YIN's estimate on every frame, voiced or not).
    voiced : bool ``[frames]``
    """
    import librosa

    config = AudioConfig.from_dict(config)
    if not 0 < fmin < fmax < config.sample_rate / 2:
        raise ConfigError(f"pitch_track needs 0 < fmin < fmax < sample_rate/2, got fmin={fmin!r}, fmax={fmax!r}")
    sr, hop = config.sample_rate, config.hop_length
    n = config.num_frames(len(y))
    # at least two periods of fmin per frame, as YIN needs
    frame = int(2 ** np.ceil(np.log2(max(2.2 * sr / fmin, 4 * hop))))
    y = np.asarray(y, np.float32)
    if len(y) < frame:
        y = np.pad(y, (0, frame - len(y)))
    f0 = librosa.yin(y, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame, hop_length=hop, center=True)
    frames = librosa.util.frame(np.pad(y, frame // 2), frame_length=frame, hop_length=hop)[:, :len(f0)]
    spec = np.fft.rfft(frames, n=2 * frame, axis=0)
    acf = np.fft.irfft(np.abs(spec) ** 2, axis=0)[:frame]
    lag = np.clip(np.round(sr / f0).astype(int), 1, frame - 1)
    energy = acf[0]
    cols = np.arange(len(f0))
    # unbiased: the overlap at lag L is (frame - L) samples
    r = acf[lag, cols] / np.maximum(energy * (frame - lag) / frame, 1e-12)
    loud = 10 * np.log10(np.maximum(energy, 1e-12)) > 10 * np.log10(max(energy.max(), 1e-12)) - silence_db
    voiced = (r >= periodicity) & loud & (energy > 0)
    f0, voiced = np.pad(f0, (0, max(0, n - len(f0))), mode="edge")[:n], np.pad(voiced, (0, max(0, n - len(voiced))))[:n]
    return f0.astype(np.float32), voiced


def continuous_log_f0(f0: np.ndarray, voiced: np.ndarray, *, default_hz: float = 150.0) -> np.ndarray:
    """Natural-log F0 with unvoiced frames filled by linear interpolation between voiced
    neighbours (ends held), so a regression target is smooth everywhere; ``[frames]`` float32."""
    f0, voiced = np.asarray(f0, np.float64), np.asarray(voiced, bool)
    idx = np.flatnonzero(voiced)
    if idx.size == 0:
        return np.full(len(f0), np.log(default_hz), np.float32)
    return np.interp(np.arange(len(f0)), idx, np.log(f0[idx])).astype(np.float32)


_OVERSAMPLE = 16


def _window_table(config: AudioConfig) -> tuple[np.ndarray, float]:
    """``|W(f)|^2`` of the analysis window on a fine grid out to 8 bins (ends in 0), and the grid step in Hz."""
    fine = config.n_fft * _OVERSAMPLE
    w2 = np.abs(np.fft.rfft(analysis_window(config), n=fine)) ** 2
    w2 = w2[:8 * _OVERSAMPLE] / w2[0]
    return np.append(w2, 0.0).astype(np.float32), config.sample_rate / fine


def harmonic_magnitude(envelope, f0, voicing, *, config: AudioConfig, aperiodic_from: float = 4000.0) -> tf.Tensor:
    """Lay a harmonic comb at ``f0`` over a smooth linear magnitude (graph-compatible TF ops).

    Each voiced frame's power becomes ``envelope^2 * ((1 - a) * comb + a)``, where ``comb`` is
    the sum of the analysis window's power spectrum centred on every multiple of F0,
    normalised to mean 1 over a harmonic spacing (so band energy is kept), and ``a`` is the
    aperiodic share, rising linearly from 0 at ``aperiodic_from`` Hz to 1 at Nyquist.
    ``voicing`` in [0, 1] blends that with the unchanged envelope.

    Parameters
    ----------
    envelope : float ``[batch, frames, n_bins]``
        Linear STFT magnitude (as :class:`LinearSpectrogram`).
    f0 : float ``[batch, frames]``
        Hz (clipped to [40 Hz, Nyquist]).
    voicing : float ``[batch, frames]``
        Voicing probability.

    Returns
    -------
    tf.Tensor float32 ``[batch, frames, n_bins]``
    """
    config = AudioConfig.from_dict(config)
    table, step = _window_table(config)
    # mean of sum_h |W(f - h f0)|^2 over one spacing = (integral of |W|^2 over f) / f0
    area = float(step * (2 * table.sum() - table[0]))
    table = tf.constant(table)
    top = float(table.shape[0] - 1)
    fk = tf.constant(np.arange(config.n_bins) * config.sample_rate / config.n_fft, tf.float32)
    f0 = tf.clip_by_value(tf.convert_to_tensor(f0, tf.float32), 40.0, config.sample_rate / 2)[..., None]
    h = tf.floor(fk / f0)

    def lobe(k):  # |W|^2 at the k-th harmonic (0 for k < 1: no harmonic at DC)
        pos = tf.minimum(tf.abs(fk - k * f0) / step, top)
        lo = tf.floor(pos)
        frac = pos - lo
        lo_i = tf.cast(lo, tf.int32)
        val = tf.gather(table, lo_i) * (1 - frac) + tf.gather(table, tf.minimum(lo_i + 1, int(top))) * frac
        return val * tf.cast(k >= 1, tf.float32)

    comb = tf.add_n([lobe(h + j) for j in (-1, 0, 1, 2)]) * f0 / area
    a = tf.constant(np.clip((np.arange(config.n_bins) * config.sample_rate / config.n_fft - aperiodic_from)
                            / max(config.sample_rate / 2 - aperiodic_from, 1.0), 0, 1), tf.float32)
    v = tf.clip_by_value(tf.convert_to_tensor(voicing, tf.float32), 0.0, 1.0)[..., None]
    power = v * ((1 - a) * comb + a) + (1 - v)
    return tf.convert_to_tensor(envelope, tf.float32) * tf.sqrt(power)


def period_confusion(power, f0, *, config: AudioConfig, fmax: float = FMAX, ratio: float = 0.8) -> tf.Tensor:
    """How much more periodic a frame is at some shorter period than at ``1 / f0`` (TF ops).

    A YIN-style tracker takes the shortest strongly periodic lag, so a spectrum whose fine
    structure repeats faster than the harmonics of ``f0`` (a ripple every few hundred Hz) is
    heard at that faster pitch. Per frame: the largest normalised autocorrelation (the inverse
    FFT of ``power``) over lags from ``1 / fmax`` to ``ratio / f0`` seconds, minus the one at
    ``1 / f0`` (linearly interpolated; a lag past ``n_fft / 2`` samples is clipped there).
    Positive: the frame would be tracked too high. Differentiable in ``power``.

    Parameters
    ----------
    power : float ``[..., n_bins]``
        STFT power (squared :class:`LinearSpectrogram` magnitude).
    f0 : float ``[...]``
        Hz.

    Returns
    -------
    tf.Tensor float32 ``[...]`` in [-2, 2]; -1 - r(1 / f0) where no lag is in range.
    """
    config = AudioConfig.from_dict(config)
    half = config.n_fft // 2
    acf = tf.signal.irfft(tf.complex(tf.convert_to_tensor(power, tf.float32), 0.0))[..., :half + 1]
    r = acf / tf.maximum(acf[..., :1], 1e-12)
    lag0 = tf.clip_by_value(config.sample_rate / tf.maximum(tf.convert_to_tensor(f0, tf.float32), 1.0), 1.0, float(half))
    lo = tf.minimum(tf.floor(lag0), float(half - 1))
    lo_i = tf.cast(lo, tf.int32)[..., None]
    at = tf.gather(r, lo_i, batch_dims=len(r.shape) - 1)[..., 0] * (1 - (lag0 - lo)) \
        + tf.gather(r, lo_i + 1, batch_dims=len(r.shape) - 1)[..., 0] * (lag0 - lo)
    lags = tf.range(half + 1, dtype=tf.float32)
    short = (lags >= config.sample_rate / fmax) & (lags <= ratio * lag0[..., None])
    return tf.reduce_max(tf.where(short, r, -1.0), -1) - at


def excitation_spectrum(f0, voicing, *, config: AudioConfig, seed: int = 0) -> tf.Tensor:
    """STFT ``[batch, frames, n_bins]`` (complex64) of a source signal: a pulse train at ``f0``
    where ``voicing >= 0.5``, white noise elsewhere.

    Its phases start Griffin-Lim (``griffin_lim(..., init=...)``): random phases lose the
    periodicity of low voices, whose harmonics (below ~100 Hz) a 25 ms window cannot resolve,
    so the comb of :func:`harmonic_magnitude` alone does not make them pitched.

    Parameters
    ----------
    f0, voicing : float ``[batch, frames]``
        Hz, and voicing probability, per front-end frame.
    """
    from ser_synth.audio.frontend import stft

    config = AudioConfig.from_dict(config)
    f0 = tf.clip_by_value(tf.convert_to_tensor(f0, tf.float32), 40.0, config.sample_rate / 2)
    voiced = tf.cast(tf.convert_to_tensor(voicing, tf.float32) >= 0.5, tf.float32)
    n = config.num_samples(tf.shape(f0)[1])
    # frame t is centred on sample t * hop: hold its values over the hop around it
    shift = config.hop_length // 2 if config.center else 0
    per_sample = lambda x: tf.repeat(x, config.hop_length, axis=1)[:, shift:shift + n]  # noqa: E731
    cycles = tf.cumsum(per_sample(f0) / config.sample_rate, axis=1)
    pulses = tf.cast(tf.floor(cycles) > tf.floor(tf.pad(cycles, [[0, 0], [1, 0]])[:, :-1]), tf.float32)
    noise = 0.1 * tf.random.stateless_normal(tf.shape(pulses), seed=[seed, 1])
    v = per_sample(voiced)
    return stft(v * pulses + (1 - v) * noise, config)


def source_filter_resynthesis(y: np.ndarray, config: AudioConfig, *, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Re-render a waveform ``[samples]`` through the synthesizer's vocoder channel (same length).

    What a synthesizer with a pitch head could at best produce for this utterance: each
    frame's magnitude cut to its smooth envelope (cepstral liftering below one period of
    ``FMAX``), the utterance's own :func:`pitch_track` F0 and voicing laid over it with
    :func:`harmonic_magnitude`, and Griffin-Lim started from :func:`excitation_spectrum`.
    Used to measure what the vocoder leaves to a listener, and to train judges that hear
    speech as it reaches them through it.
    """
    from ser_synth.audio.frontend import LINEAR_FLOOR, LinearSpectrogram
    from ser_synth.audio.griffin_lim import griffin_lim
    from ser_synth.audio.validation import check_audio

    config = AudioConfig.from_dict(config)
    y = check_audio(y, min_samples=config.min_samples)
    mag = LinearSpectrogram(config)(tf.constant(y[None]))[0].numpy()
    keep = int(config.sample_rate / FMAX)
    cep = np.fft.irfft(np.log(np.maximum(mag, LINEAR_FLOOR)), n=config.n_fft, axis=-1)
    cep[:, keep:config.n_fft - keep + 1] = 0
    envelope = np.exp(np.fft.rfft(cep, axis=-1).real).astype(np.float32)
    f0, voiced = pitch_track(y, config)
    f0, voicing = f0[None, :len(mag)], voiced[None, :len(mag)].astype(np.float32)
    shaped = harmonic_magnitude(envelope[None], f0, voicing, config=config)
    init = excitation_spectrum(f0, voicing, config=config, seed=seed)
    return griffin_lim(shaped, config=config, n_iter=n_iter, init=init, seed=seed, num_samples=len(y)).numpy()[0]
