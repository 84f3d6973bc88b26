"""``check_audio``: the gate at every public entry that takes a waveform."""

from __future__ import annotations

import warnings

import numpy as np

from ser_synth.exceptions import AudioError, SilentAudioWarning


def check_audio(y, *, min_samples: int = 1, name: str = "waveform", allow_silence: bool = True) -> np.ndarray:
    """Validate a mono waveform and return it as a contiguous float32 array.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
        Floating-point samples, nominally in [-1, 1].
    min_samples : int
        Shortest legal length (one analysis frame, ``AudioConfig.min_samples``).
    name : str
        Used in error messages.
    allow_silence : bool
        If True an all-zero clip only warns (:class:`SilentAudioWarning`).

    Raises
    ------
    AudioError
        Not an array, integer/complex/bool dtype, rank != 1, empty, NaN/inf, or too short.
    """
    if not isinstance(y, np.ndarray):
        raise AudioError(f"{name} must be a numpy array, got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.floating):
        hint = " (integer PCM: divide by the type's max, e.g. y / 32768)" if np.issubdtype(y.dtype, np.integer) else ""
        raise AudioError(f"{name} must have a floating dtype, got {y.dtype}{hint}")
    if y.ndim != 1:
        raise AudioError(
            f"{name} must be mono with shape (samples,), got shape {y.shape}; "
            "downmix first (load_audio(..., mono=True) does)"
        )
    if y.size == 0:
        raise AudioError(f"{name} is empty (zero samples)")
    if not np.all(np.isfinite(y)):
        bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
        raise AudioError(f"{name} has {bad} non-finite samples (NaN or inf)")
    if y.size < min_samples:
        raise AudioError(
            f"{name} has {y.size} samples, shorter than one analysis frame ({min_samples} samples)"
        )
    if not np.any(y):
        if not allow_silence:
            raise AudioError(f"{name} is all zeros")
        warnings.warn(f"{name} is digitally silent ({y.size} zero samples)", SilentAudioWarning, stacklevel=2)
    return np.ascontiguousarray(y, dtype=np.float32)
