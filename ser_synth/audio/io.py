"""Audio loading (paths, bytes, arrays), downmix, resampling, trimming and normalisation.

Decoding uses soundfile (libsndfile: WAV, FLAC, OGG/Vorbis, MP3); tf.data pipelines can
decode with tensorflow-io instead (see :mod:`ser_synth.audio.backend`).
"""

from __future__ import annotations

import io as _io
import os
import struct
from pathlib import Path
from typing import Union

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.validation import check_audio
from ser_synth.exceptions import AudioError, AudioFileNotFoundError, AudioFormatError, ConfigError, OutputPathError
from ser_synth.utils import ensure_folder

AudioSource = Union[str, os.PathLike, bytes, bytearray, np.ndarray]

#: Extensions the corpus readers treat as audio.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".opus", ".aiff", ".aif")

_PCM_WIDTHS = (8, 16, 24, 32)


def _check_wav_header(head: bytes, what: str) -> None:
    """Reject RIFF/WAVE integer PCM with a sample width libsndfile would mangle or refuse."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    pos = 12
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if cid == b"fmt " and pos + 24 <= len(head):
            fmt_tag, _ch, _sr, _br, _ba, bits = struct.unpack("<HHIIHH", head[pos + 8:pos + 24])
            if fmt_tag == 1 and bits not in _PCM_WIDTHS:
                raise AudioFormatError(
                    f"{what}: unsupported sample width {bits} bits; expected one of {_PCM_WIDTHS}"
                )
            return
        pos += 8 + size + (size & 1)


def _decode(source, what: str) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        data, sr = sf.read(source, dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises several types; all mean "cannot decode"
        # LibsndfileError's str() repeats the source (for bytes, a BytesIO repr); its
        # error_string is libsndfile's own reason
        reason = getattr(exc, "error_string", None) or str(exc)
        raise AudioFormatError(f"{what} is not a readable audio file ({reason.strip().rstrip('.')})") from None
    return data, int(sr)


def read_audio(source: AudioSource) -> tuple[np.ndarray, int]:
    """Decode a path or bytes to ``(samples, channels)`` float32 and its native rate in Hz."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise AudioFormatError("audio bytes are empty (zero-length)")
        _check_wav_header(bytes(source[:4096]), "audio bytes")
        data, sr = _decode(_io.BytesIO(bytes(source)), "audio bytes")
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise AudioFileNotFoundError(f"audio file not found: {str(path)!r}")
        if path.is_dir():
            raise AudioFormatError(f"{str(path)!r} is a directory, expected an audio file")
        if path.stat().st_size == 0:
            raise AudioFormatError(f"audio file {str(path)!r} is empty (zero-length)")
        with open(path, "rb") as f:
            _check_wav_header(f.read(4096), f"audio file {str(path)!r}")
        data, sr = _decode(str(path), f"{str(path)!r}")
    else:
        raise AudioError(f"cannot read audio from {type(source).__name__}; expected a path or bytes")
    if data.shape[0] == 0:
        raise AudioError(f"{_describe(source)} decodes to zero samples")
    return data, sr


def _describe(source) -> str:
    return "audio bytes" if isinstance(source, (bytes, bytearray)) else f"{str(source)!r}"


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (soxr high quality) of a mono float32 waveform."""
    if orig_sr == target_sr:
        return y
    import librosa

    return librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq").astype(np.float32)


def trim_silence(y: np.ndarray, *, top_db: float = 30.0, frame_length: int = 1024, hop_length: int = 256) -> np.ndarray:
    """Cut leading/trailing frames quieter than ``top_db`` below the clip's peak RMS, and noise-only
    edges of a noisy recording: the pipelines' rule (:func:`ser_synth.audio.trim.trim_silence_tf`)."""
    import tensorflow as tf

    from ser_synth.audio.trim import trim_silence_tf

    return trim_silence_tf(tf.constant(y, tf.float32), top_db, frame_length, hop_length).numpy()


def normalize(y: np.ndarray, *, method: str | None = "peak", target_db: float = -1.0) -> np.ndarray:
    """Scale to a peak (``"peak"``, dBFS) or RMS loudness (``"loudness"``, dBFS RMS; not LUFS)."""
    if method is None:
        return y
    if method == "peak":
        level = float(np.max(np.abs(y)))
    elif method == "loudness":
        level = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    else:
        raise ConfigError(f"normalize method must be 'peak', 'loudness' or None, got {method!r}")
    if level <= 0:
        return y
    gain = 10 ** (target_db / 20) / level
    out = y * gain
    if method == "loudness":
        out = np.clip(out, -1.0, 1.0)
    return out.astype(np.float32)


def load_audio(
    source: AudioSource,
    *,
    config: AudioConfig | None = None,
    sample_rate: int | None = None,
    orig_sr: int | None = None,
    mono: bool = True,
    trim: bool = False,
    top_db: float = 30.0,
    normalization: str | None = None,
    target_db: float | None = None,
) -> np.ndarray:
    """Load audio as a float32 mono waveform at the configured rate.

    Parameters
    ----------
    source : path, bytes or np.ndarray
        A file (WAV/FLAC/OGG/MP3, any chunk layout libsndfile reads), its bytes, or samples
        (shape ``(samples,)`` or ``(samples, channels)``; then ``orig_sr`` is required).
    config : AudioConfig, optional
        Gives the target rate and the minimum length; default ``AudioConfig()``.
    sample_rate : int, optional
        Overrides ``config.sample_rate``.
    orig_sr : int, optional
        Rate of an array ``source`` in Hz.
    mono : bool
        Average channels (must be True: models take mono).
    trim : bool
        Remove leading/trailing silence quieter than ``top_db`` below the peak, and steady
        noise-only edges (:func:`trim_silence`).
    normalization : {None, "peak", "loudness"}
        Optional level normalisation; ``target_db`` defaults to -1 dBFS peak / -23 dBFS RMS.

    Returns
    -------
    np.ndarray, shape (samples,), float32
    """
    config = AudioConfig.from_dict(config)
    sr_out = int(sample_rate or config.sample_rate)
    if not mono:
        raise ConfigError("load_audio(mono=False) is not supported: models take mono input")
    if isinstance(source, np.ndarray):
        if orig_sr is None:
            raise ConfigError("load_audio(array) needs orig_sr=<rate in Hz> of the array")
        sr_in = int(orig_sr)
        y = source
        if y.ndim == 2:
            # (channels, samples) as librosa gives, or (samples, channels) as soundfile gives
            if y.shape[0] <= 8 and y.shape[0] < y.shape[1]:
                y = y.T
            check_audio(y[:, 0], name="waveform channel 0")  # dtype and content, before averaging hides them
            y = y.mean(axis=1)
        y = check_audio(y)
    else:
        data, sr_in = read_audio(source)
        y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
        y = check_audio(np.ascontiguousarray(y, dtype=np.float32), name=_describe(source))
    y = resample(y, sr_in, sr_out)
    if trim:
        y = trim_silence(y, top_db=top_db)
    if normalization is not None:
        y = normalize(y, method=normalization, target_db=target_db if target_db is not None else (-1.0 if normalization == "peak" else -23.0))
    return check_audio(y, min_samples=config.min_samples, name=_describe(source) if not isinstance(source, np.ndarray) else "waveform")


def save_audio(path: str | os.PathLike, y: np.ndarray, sample_rate: int, *, subtype: str = "PCM_16") -> Path:
    """Write a waveform atomically (temp file then rename) and return the path."""
    import soundfile as sf

    y = check_audio(np.asarray(y), name="waveform to save")
    path = Path(path)
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}.get(path.suffix.lower())
    if path.is_dir():
        raise OutputPathError(f"cannot write audio to {str(path)!r}: it is a folder; give a file name ending in .wav, .flac or .ogg")
    if fmt is None:
        raise ConfigError(f"cannot write audio to {str(path)!r}: the name must end in .wav, .flac or .ogg")
    ensure_folder(path.parent, target=path)
    tmp = path.with_name(f".{path.name}.tmp")
    sf.write(str(tmp), np.clip(y, -1, 1), int(sample_rate), subtype=subtype if fmt != "OGG" else "VORBIS", format=fmt)
    os.replace(tmp, path)
    return path
