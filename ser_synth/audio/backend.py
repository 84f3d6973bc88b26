"""Which decoder the tf.data pipelines use: tensorflow-io ops when they load, else soundfile.

tensorflow-io's C++ kernels are built against one TensorFlow ABI (0.37.1 <-> TF 2.16.x); on
other versions ``import tensorflow_io`` may succeed but the first op fails with undefined
symbols. So availability is decided by running a real op once, not by the import.
"""

from __future__ import annotations

import functools
import io
import os
import warnings

import numpy as np

_FORCE_ENV = "SER_SYNTH_AUDIO_BACKEND"  # "tfio" | "numpy" | unset (auto)


@functools.lru_cache(maxsize=1)
def tfio_available() -> bool:
    """True if tensorflow-io imports *and* its audio kernels run on this TensorFlow."""
    if os.environ.get(_FORCE_ENV, "").lower() == "numpy":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import tensorflow as tf
            import tensorflow_io as tfio  # noqa: F401

            import soundfile as sf

            buf = io.BytesIO()
            sf.write(buf, np.zeros(64, np.float32), 8000, format="FLAC", subtype="PCM_16")
            out = tfio.audio.decode_flac(tf.constant(buf.getvalue()), dtype=tf.int16)
            tfio.audio.resample(tf.cast(out, tf.float32), rate_in=8000, rate_out=16000)
        return True
    except Exception:  # ImportError, NotFoundError (undefined symbol), ...: all mean "no tfio"
        return False


def audio_backend() -> str:
    """``"tfio"`` or ``"numpy"`` (soundfile + librosa), honouring ``SER_SYNTH_AUDIO_BACKEND``."""
    forced = os.environ.get(_FORCE_ENV, "").lower()
    if forced == "tfio" and not tfio_available():
        from ser_synth.exceptions import ConfigError

        raise ConfigError(f"{_FORCE_ENV}=tfio but tensorflow-io's ops do not load on this TensorFlow")
    return "tfio" if tfio_available() else "numpy"


def _host_decode(path, target_sr: int):
    import tensorflow as tf

    def _load(p):
        from ser_synth.audio.io import load_audio

        return load_audio(p.decode() if isinstance(p, bytes) else str(p), sample_rate=target_sr)

    return tf.reshape(tf.numpy_function(_load, [path], tf.float32, stateful=False), [-1])


def _tfio_decode(path, orig_sr, target_sr: int):
    import tensorflow as tf
    import tensorflow_io as tfio

    contents = tf.io.read_file(path)
    ext = tf.strings.lower(tf.strings.regex_replace(path, r"^.*\.", ""))
    audio = tf.case(
        [(tf.equal(ext, "flac"), lambda: tf.cast(tfio.audio.decode_flac(contents, dtype=tf.int16), tf.float32) / 32768.0),
         (tf.equal(ext, "mp3"), lambda: tfio.audio.decode_mp3(contents)),
         (tf.logical_or(tf.equal(ext, "ogg"), tf.equal(ext, "oga")), lambda: tfio.audio.decode_vorbis(contents))],
        default=lambda: tf.audio.decode_wav(contents).audio,  # 16-bit PCM; extra chunks are skipped
        exclusive=False,
    )
    audio = tf.reduce_mean(tf.reshape(audio, [tf.shape(audio)[0], -1]), axis=1, keepdims=True)

    def resample():
        out = tfio.audio.resample(audio, rate_in=tf.cast(orig_sr, tf.int64), rate_out=target_sr)
        # tfio's resampler delays its output by 32 output samples (32 * target/orig when
        # upsampling), measured against soxr; remove it so both backends align.
        ratio = tf.cast(target_sr, tf.float32) / tf.cast(orig_sr, tf.float32)
        delay = tf.minimum(tf.cast(tf.round(32.0 * tf.maximum(1.0, ratio)), tf.int32), tf.shape(out)[0])
        return tf.pad(out[delay:], [[0, delay], [0, 0]])

    audio = tf.cond(tf.equal(orig_sr, target_sr), lambda: audio, resample)
    return tf.reshape(audio, [-1])


def tf_decode_file(path, orig_sr, target_sr: int, *, tfio_ok=True, backend: str | None = None):
    """Graph-mode decode of one file to a mono float32 waveform at ``target_sr``.

    Parameters
    ----------
    path : tf.Tensor, string scalar
    orig_sr : tf.Tensor, int64 scalar
        The file's native rate (read from its header when the dataset is built).
    target_sr : int
        Output rate in Hz.
    tfio_ok : bool or tf.Tensor bool scalar
        Whether tensorflow-io can decode this file (see :func:`probe_file`); files it
        cannot (24-bit WAV, ...) go through soundfile even when the tfio backend is active.

    Returns
    -------
    tf.Tensor, shape (samples,), float32
    """
    import tensorflow as tf

    if (backend or audio_backend()) != "tfio":
        return _host_decode(path, target_sr)
    return tf.cond(tf.cast(tfio_ok, tf.bool), lambda: _tfio_decode(path, orig_sr, target_sr), lambda: _host_decode(path, target_sr))


# container -> (extensions the graph decoder dispatches on, codecs it decodes; None = any)
_TFIO_DECODES = {"WAV": ((".wav",), ("PCM_16",)), "FLAC": ((".flac",), ("PCM_16",)),
                 "MP3": ((".mp3",), None), "OGG": ((".ogg", ".oga"), ("VORBIS",))}


def probe_file(path: str) -> tuple[int, bool]:
    """``(native sample rate, tfio can decode it)`` from the header, without decoding.

    Raises the specific :mod:`ser_synth.exceptions` error for a missing or unreadable file.
    """
    import soundfile as sf

    from ser_synth.exceptions import AudioFileNotFoundError, AudioFormatError

    if not os.path.isfile(path):
        raise AudioFileNotFoundError(f"audio file not found: {str(path)!r}")
    try:
        info = sf.info(str(path))
    except Exception as exc:
        raise AudioFormatError(f"{str(path)!r} is not a readable audio file ({exc})") from None
    extensions, codecs = _TFIO_DECODES.get(info.format, ((), ()))
    ok = str(path).lower().endswith(extensions) and (codecs is None or info.subtype in codecs)
    return int(info.samplerate), bool(ok)
