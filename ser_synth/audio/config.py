"""The one front-end spec shared by the recognizer, the critic and the synthesizer targets."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Mapping

from ser_synth.exceptions import ConfigError

_WINDOWS = ("hann", "hamming")


@dataclass(frozen=True)
class AudioConfig:
    """Analysis settings for every spectral feature in ser_synth.

    Parameters
    ----------
    sample_rate : int
        Waveform rate in Hz; every loader resamples to it.
    n_fft : int
        FFT size in samples (bins = ``n_fft // 2 + 1``).
    win_length : int
        Window length in samples, ``<= n_fft`` (centred in the FFT frame, as librosa does).
    hop_length : int
        Frame step in samples.
    window : {"hann", "hamming"}
        Periodic analysis window.
    n_mels : int
        Mel bands (HTK mel scale, unnormalised triangles).
    fmin, fmax : float
        Mel band edges in Hz; ``fmax=None`` means ``sample_rate / 2``.
    log_floor : float
        Floor applied to mel power before the natural log (and to dB for MFCCs).
    n_mfcc : int
        MFCC coefficients kept (DCT-II, orthonormal).
    center : bool
        Zero-pad ``n_fft // 2`` on both sides so frame ``t`` is centred on sample ``t * hop``.
    """

    sample_rate: int = 16000
    n_fft: int = 512
    win_length: int = 400
    hop_length: int = 160
    window: str = "hann"
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None
    log_floor: float = 1e-6
    n_mfcc: int = 40
    center: bool = True

    def __post_init__(self):
        def positive_int(name, value):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"AudioConfig.{name} must be a positive int, got {value!r}")

        for name in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "n_mfcc"):
            positive_int(name, getattr(self, name))
        if self.sample_rate < 4000:
            raise ConfigError(f"AudioConfig.sample_rate must be >= 4000 Hz, got {self.sample_rate}")
        if self.win_length > self.n_fft:
            raise ConfigError(
                f"AudioConfig.win_length ({self.win_length}) must be <= n_fft ({self.n_fft})"
            )
        if self.window not in _WINDOWS:
            raise ConfigError(f"AudioConfig.window must be one of {_WINDOWS}, got {self.window!r}")
        nyquist = self.sample_rate / 2
        fmax = self.fmax_hz
        if not 0 <= self.fmin < fmax <= nyquist:
            raise ConfigError(
                f"AudioConfig needs 0 <= fmin < fmax <= sample_rate/2 ({nyquist:g} Hz), "
                f"got fmin={self.fmin!r}, fmax={self.fmax!r}"
            )
        if not (isinstance(self.log_floor, (int, float)) and 0 < self.log_floor < 1):
            raise ConfigError(f"AudioConfig.log_floor must be in (0, 1), got {self.log_floor!r}")
        if self.n_mfcc > self.n_mels:
            raise ConfigError(
                f"AudioConfig.n_mfcc ({self.n_mfcc}) must be <= n_mels ({self.n_mels})"
            )
        if self.n_mels > self.n_bins:
            raise ConfigError(
                f"AudioConfig.n_mels ({self.n_mels}) must be <= n_fft // 2 + 1 ({self.n_bins})"
            )

    @property
    def fmax_hz(self) -> float:
        """Upper mel edge in Hz (``fmax`` or Nyquist)."""
        return float(self.sample_rate / 2 if self.fmax is None else self.fmax)

    @property
    def n_bins(self) -> int:
        """Linear-frequency bins per frame."""
        return self.n_fft // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for a waveform of ``num_samples`` samples."""
        if self.center:
            return 1 + num_samples // self.hop_length
        return max(0, 1 + (num_samples - self.n_fft) // self.hop_length)

    def num_samples(self, num_frames):
        """Waveform length that inverse transforms give for ``num_frames`` frames.

        Works on ints and on integer tensors (used inside graphs)."""
        return (num_frames - 1) * self.hop_length + (0 if self.center else self.n_fft)

    @property
    def min_samples(self) -> int:
        """Shortest waveform that yields one full analysis frame (``win_length`` samples)."""
        return self.win_length

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | "AudioConfig" | None) -> "AudioConfig":
        """Build from a dict (unknown keys are an error) or pass an ``AudioConfig`` through."""
        from ser_synth.utils import dataclass_from_dict

        return dataclass_from_dict(cls, d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)
