"""Decode many files to in-memory waveforms through the tf.data pipeline (tfio or soundfile)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.validation import check_audio


def load_waveforms(paths: Sequence[str], config: AudioConfig, *, trim_db: float | None = 30.0, verbose: int = 1,
                   backend: str | None = None) -> list[np.ndarray]:
    """Decode, resample and trim every file once; returns float32 ``[samples]`` arrays.

    Bad files raise the specific :mod:`ser_synth.exceptions` error naming the file: headers are
    probed on the host before the pipeline runs, files tensorflow-io cannot decode go through
    soundfile, and a file whose samples fail inside the pipeline (NaN, ...) is decoded again on
    the host to raise its error, so a bad file never surfaces as a TensorFlow traceback.
    """
    import keras
    import tensorflow as tf

    from ser_synth.audio.io import load_audio
    from ser_synth.data.pipeline import decoded_dataset

    ds = decoded_dataset(paths, config, trim_db=trim_db, backend=backend, cache=False)
    bar = keras.utils.Progbar(len(paths), unit_name="file") if verbose else None
    out = []
    it = iter(ds)
    for i, path in enumerate(paths):
        try:
            y = next(it).numpy()
        except tf.errors.OpError:
            # the map is deterministic, so the failure belongs to item i; the host loader
            # raises the ser_synth error the pipeline could only report as an OpError
            load_audio(str(path), sample_rate=config.sample_rate)
            raise
        out.append(check_audio(y, min_samples=config.min_samples, name=repr(str(path))))
        if bar is not None and (i % 25 == 0 or i == len(paths) - 1):
            bar.update(i + 1)
    return out
