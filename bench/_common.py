"""Shared bench plumbing: environment facts and JSON output."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def require_corpora(script: str) -> None:
    """Stop ``script`` with a one-line message when the shared corpora are not on this machine."""
    if not (SHARED_DATA / "ravdess16k").is_dir():
        raise SystemExit(f"{script} needs the corpora at {SHARED_DATA}")


def environment() -> dict:
    import keras
    import tensorflow as tf

    from ser_synth.audio.backend import audio_backend

    return {"tensorflow": tf.__version__, "keras": keras.__version__, "audio_backend": audio_backend(),
            "python": platform.python_version(), "cpu_count": os.cpu_count(), "machine": platform.machine()}


def write(obj: dict, path: str | None, *, quiet: bool = False) -> None:
    """Write ``obj`` as JSON to ``path`` (atomically) and print it unless ``quiet``."""
    import json

    from ser_synth.recognition.metrics import write_json

    if path:
        write_json(obj, path)
    if not quiet:
        print(json.dumps(obj, indent=2, default=str))


def write_npz(file: str, **arrays) -> None:
    """Write ``arrays`` to the ``.npz`` file ``file`` atomically (a long run rewrites it as it goes)."""
    import io

    import numpy as np

    from ser_synth.utils import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(file, buf.getvalue())


def timeit(fn, repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``."""
    import time

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times
