"""Fast Griffin-Lim phase reconstruction in ``tf.signal`` (the synthesizer's vocoder).

Batched, graph-compatible (the iteration count may be a tensor, so it can be an input of an
exported signature) and built on the same STFT as the front-end (:func:`stft` / :func:`istft`),
so a magnitude computed by :class:`LinearSpectrogram` inverts back to its waveform.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import analysis_window, mel_filterbank, stft
from ser_synth.exceptions import ConfigError

# far past any quality gain (spectral convergence flattens out within ~100 iterations); the
# cap keeps one request (an exported signature's input) from running for minutes
MAX_ITERATIONS = 1000


def check_iterations(n_iter) -> int:
    """``n_iter`` as an int in ``[0, MAX_ITERATIONS]``, or :class:`ConfigError` naming it."""
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or not 0 <= n_iter <= MAX_ITERATIONS:
        raise ConfigError(f"Griffin-Lim iterations must be an int in [0, {MAX_ITERATIONS}], got {n_iter!r}")
    return int(n_iter)


def griffin_lim(magnitude, *, config: AudioConfig | None = None, n_iter=32, momentum: float = 0.99,
                init="random", seed: int = 0, num_samples=None) -> tf.Tensor:
    """Waveform whose STFT magnitude approximates ``magnitude`` (fast Griffin-Lim).

    Perraudin, Balazs & Søndergaard (2013): each iteration projects onto consistent
    spectrograms and extrapolates with ``momentum`` (0 gives the classic algorithm).

    Parameters
    ----------
    magnitude : float tensor ``[batch, frames, n_bins]`` (or ``[frames, n_bins]``)
        Linear STFT magnitude in the layout of :class:`LinearSpectrogram` (``power=1``).
    config : AudioConfig
        The STFT settings the magnitude was made with.
    n_iter : int or int32 scalar tensor
        Iterations (>= 0).
    momentum : float
        In ``[0, 1)``; 0.99 as in librosa.
    init : {"random", "zeros"} or complex tensor
        Initial phase: uniform random (seeded by ``seed``), zero, or the phases of a complex
        spectrogram shaped like ``magnitude`` (e.g. the STFT of an excitation signal).
    num_samples : int, optional
        Output length; default ``config.num_samples(frames)``.

    Returns
    -------
    tf.Tensor float32 ``[batch, samples]`` (``[samples]`` for unbatched input)
    """
    config = AudioConfig.from_dict(config)
    if not 0 <= momentum < 1:
        raise ConfigError(f"griffin_lim momentum must be in [0, 1), got {momentum!r}")
    if isinstance(init, str) and init not in ("random", "zeros"):
        raise ConfigError(f"griffin_lim init must be 'random', 'zeros' or a complex spectrogram, got {init!r}")
    if not tf.is_tensor(n_iter):
        n_iter = check_iterations(n_iter)
    mag = tf.convert_to_tensor(magnitude, tf.float32)
    unbatched = mag.shape.rank == 2
    if unbatched:
        mag = mag[None]
    if mag.shape.rank != 3 or (mag.shape[-1] is not None and mag.shape[-1] != config.n_bins):
        raise ConfigError(f"griffin_lim needs magnitude [batch, frames, {config.n_bins}] for n_fft={config.n_fft}, got shape {magnitude.shape}")
    if not isinstance(init, str):
        init = tf.convert_to_tensor(init, tf.complex64)
        init = init[None] if unbatched else init
        if init.shape.rank != 3:
            raise ConfigError(f"griffin_lim init spectrogram must be shaped like the magnitude, got shape {init.shape}")
        init = init * tf.cast(tf.math.rsqrt(tf.math.real(init) ** 2 + tf.math.imag(init) ** 2 + 1e-30), tf.complex64)
    y = _fast_griffin_lim(mag, tf.cast(n_iter, tf.int32), tf.constant(momentum, tf.float32), config, init, seed, num_samples)
    return y[0] if unbatched else y


def _momentum_step(rebuilt, prev, cmag, alpha):
    """Fast Griffin-Lim update -> (unit phases, spectrum ``|S| * phase`` to invert next)."""
    z = rebuilt - alpha * prev
    re, im = tf.math.real(z), tf.math.imag(z)
    # rsqrt of |z|^2: tf.abs on complex64 is the slowest elementwise op otherwise
    angles = z * tf.cast(tf.math.rsqrt(re * re + im * im + 1e-30), tf.complex64)
    return angles, cmag * angles


def _overlap_add(frames, window, scale, hop):
    """Windowed overlap-add of ``[batch, T, r * hop]`` frames, times ``scale``.

    Frames span whole hops, so overlap-add is a sum of ``r`` shifted hop-long segments
    (``tf.signal.overlap_and_add`` pads every frame in the general case, ~2x slower).
    """
    batch, n_frames = tf.shape(frames)[0], tf.shape(frames)[1]
    r = window.shape[0] // hop
    segs = tf.reshape(frames * window, [batch, n_frames, r, hop])
    out = tf.add_n([tf.pad(segs[:, :, i], [[0, 0], [i, r - 1 - i], [0, 0]]) for i in range(r)])
    return tf.reshape(out, [batch, -1]) * scale


def _reframe(signal, window, hop, n_frames):
    """Windowed frames ``[batch, T, r * hop]`` of a signal from :func:`_overlap_add`."""
    r = window.shape[0] // hop
    segs = tf.reshape(signal, [tf.shape(signal)[0], n_frames + r - 1, hop])
    return tf.concat([segs[:, i:i + n_frames] for i in range(r)], axis=-1) * window


@tf.function(reduce_retracing=True)
def _fast_griffin_lim(mag, n_iter, momentum, config, init, seed, num_samples):
    """Runs in a shifted frame layout for speed (see below); returns ``[batch, samples]``."""
    n_fft, hop = config.n_fft, config.hop_length
    n_frames = tf.shape(mag)[1]
    length = config.num_samples(n_frames)
    # Only the window's support matters, so frames are cut to L = ceil(win / hop) * hop samples
    # starting at offset c inside the FFT frame (L a multiple of the hop makes overlap-add and
    # framing plain slicing). The shift multiplies each bin by a fixed phase, so magnitudes,
    # and Griffin-Lim, are unchanged.
    frame_len = -(-config.win_length // hop) * hop
    # frames longer than n_fft (e.g. win = n_fft = 512, hop 160) carry zeros past n_fft
    offset = max(0, min((n_fft - config.win_length) // 2, n_fft - frame_len))
    window = np.pad(analysis_window(config), (0, max(0, frame_len - n_fft)))[offset:offset + frame_len]
    window = tf.constant(window)
    pad = n_fft // 2 if config.center else 0
    # Dividing by the summed squared window (least-squares istft) and zeroing the centre
    # padding (crop then re-pad, as istft -> stft does) fold into one vector.
    norm = _overlap_add(tf.ones([1, n_frames, frame_len]), tf.square(window), tf.ones([1]), hop)[0]
    pos = tf.range(tf.shape(norm)[0])
    keep = (norm > 1e-8) & (pos >= pad - offset) & (pos < pad - offset + length)
    scale = tf.where(keep, 1.0 / tf.where(keep, norm, 1.0), 0.0)
    cmag = tf.cast(mag, tf.complex64)

    def synthesize(spec):
        frames = tf.signal.irfft(spec, fft_length=[n_fft])
        frames = frames[..., :frame_len] if frame_len <= n_fft else tf.pad(frames, [[0, 0], [0, 0], [0, frame_len - n_fft]])
        return _overlap_add(frames, window, scale, hop)

    def body(i, angles, spec, prev):
        # rfft crops frames longer than n_fft (zeros there) and pads shorter ones
        rebuilt = tf.signal.rfft(_reframe(synthesize(spec), window, hop, n_frames), fft_length=[n_fft])
        rebuilt.set_shape(angles.shape)  # the frame count is unchanged; tell the loop so
        angles, spec = _momentum_step(rebuilt, prev, cmag, alpha)
        return i + 1, angles, spec, rebuilt

    if not isinstance(init, str):
        angles = init
    elif init == "random":
        phase = tf.random.stateless_uniform(tf.shape(mag), seed=[seed, 0], minval=0.0, maxval=2 * np.pi)
        angles = tf.exp(tf.complex(tf.zeros_like(phase), phase))
    else:
        angles = tf.ones_like(cmag)
    alpha = tf.cast(momentum / (1.0 + momentum), tf.complex64)
    _, angles, spec, _ = tf.while_loop(lambda i, *_: i < n_iter, body, (tf.constant(0), angles, cmag * angles, tf.zeros_like(angles)))
    y = synthesize(spec)[:, pad - offset:]
    out_len = length if num_samples is None else num_samples
    y = tf.pad(y, [[0, 0], [0, tf.maximum(0, out_len - tf.shape(y)[1])]])
    return y[:, :out_len]


def spectral_convergence(reference, waveform, *, config: AudioConfig | None = None) -> tf.Tensor:
    """``||S - |STFT(y)||| / ||S||`` per batch item (lower is better; 0 = consistent).

    ``reference`` is the target magnitude ``[batch, frames, n_bins]``; ``waveform`` is cropped
    or padded to its frame count.
    """
    config = AudioConfig.from_dict(config)
    ref = tf.convert_to_tensor(reference, tf.float32)
    y = tf.convert_to_tensor(waveform, tf.float32)
    if ref.shape.rank == 2:
        ref, y = ref[None], y[None]
    length = config.num_samples(tf.shape(ref)[1])
    y = tf.pad(y, [[0, 0], [0, tf.maximum(0, length - tf.shape(y)[1])]])[:, :length]
    est = tf.abs(stft(y, config))
    return tf.norm(ref - est, axis=[1, 2]) / tf.maximum(tf.norm(ref, axis=[1, 2]), 1e-12)


def mel_to_linear(mel_power, *, config: AudioConfig | None = None) -> tf.Tensor:
    """Linear magnitude from mel power by the non-negative pseudo-inverse of the filterbank.

    ``[..., frames, n_mels] -> [..., frames, n_bins]``. Lossy: the mel bottleneck caps
    Griffin-Lim quality, which is why the synthesizer also predicts linear magnitude.
    """
    config = AudioConfig.from_dict(config)
    inv = tf.constant(np.linalg.pinv(mel_filterbank(config)).astype(np.float32))
    power = tf.maximum(tf.tensordot(tf.convert_to_tensor(mel_power, tf.float32), inv, axes=1), 0.0)
    return tf.sqrt(power)
