"""Shared fixtures: thread limits, seeds, tiny configs, fake audio, and the shared corpora."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(2)
tf.config.threading.set_inter_op_parallelism_threads(2)

from ser_synth.audio.config import AudioConfig  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RAVDESS = SHARED_DATA / "ravdess16k"
RAVDESS_RAW = SHARED_DATA / "ravdess_raw48k"
EMODB = SHARED_DATA / "emodb"

needs_ravdess = pytest.mark.skipif(not RAVDESS.is_dir(), reason=f"RAVDESS not found at {RAVDESS} (shared data is not on this machine)")
needs_ravdess_raw = pytest.mark.skipif(not RAVDESS_RAW.is_dir(), reason=f"raw RAVDESS originals not found at {RAVDESS_RAW}")
needs_emodb = pytest.mark.skipif(not EMODB.is_dir(), reason=f"EMO-DB not found at {EMODB}")


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(1234)


@pytest.fixture
def tiny_audio_config() -> AudioConfig:
    """8 kHz, 16 mels: the size every unit test uses."""
    return AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13)


def tone(freq: float, seconds: float = 0.5, sr: int = 8000, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """A sine with a little noise (so no clip is exactly periodic)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"), ".mp3": ("MP3", "MPEG_LAYER_III")}


def write_wav(path: Path, y: np.ndarray, sr: int = 8000) -> Path:
    """Write a test clip; the container and codec follow the file extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt, subtype = _FORMATS[path.suffix.lower()]
    sf.write(str(path), y, sr, format=fmt, subtype=subtype)
    return path


def toy_emotion_set(n_per_class: int = 12, sr: int = 8000, seconds: float = 0.6):
    """Two learnable 'emotions' (low vs high pitch) from 4 speakers: (waves, labels, speakers)."""
    waves, labels, speakers = [], [], []
    for i in range(n_per_class):
        for label, base in (("sad", 180.0), ("angry", 900.0)):
            f = base * (1 + 0.05 * ((i % 5) - 2))
            waves.append(tone(f, seconds, sr, seed=i * 7 + int(base)))
            labels.append(label)
            speakers.append(f"toy/{i % 4}")
    return waves, labels, speakers
