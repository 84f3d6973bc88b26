"""TFLite export of recognizers for devices: fixed-length input, builtins-only ops.

The converter reads a SavedModel written by Keras' ``ExportArchive`` with a fixed input
``[1, seconds * rate]``: from there the bidirectional LSTM lowers to TFLite builtins (no Flex
ops needed), where converting the Keras model's concrete function directly crashes the
converter (Keras 3 + TF 2.16).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.exceptions import ConfigError

# Full int8 (activations too) is left out: TF 2.16's calibrator crashes the process
# (segmentation fault) on this model's graph, with or without a float fallback.
QUANTIZATIONS = ("none", "dynamic")


def fit_length(y: np.ndarray, n: int) -> np.ndarray:
    """To exactly ``n`` samples as training crops are made: a centre crop, or a shorter clip
    tiled (zero padding would put log-floor frames into the per-utterance normalisation,
    which the model never saw, and its answers collapse)."""
    y = np.asarray(y, np.float32)
    if len(y) == 0:
        return np.zeros(n, np.float32)
    if len(y) < n:
        y = np.tile(y, -(-n // len(y)))
    start = (len(y) - n) // 2
    return y[start:start + n]


def export_tflite(recognizer, path: str | Path, *, seconds: float = 3.0, quantization: str = "dynamic") -> Path:
    """Write a ``.tflite`` recognizer: input float32 ``[1, seconds * rate]``, output
    probabilities ``[1, classes]`` (columns follow ``recognizer.classes_``).

    Parameters
    ----------
    quantization : {"none", "dynamic"}
        "dynamic": int8 weights, float activations (dynamic-range quantization). The
        front-end's mel projection is traced without a weight matrix
        (:func:`~ser_synth.audio.frontend.banded_mel_projection`), so it stays in float: only
        the conv, LSTM and dense layers run as int8 hybrid ops.
    """
    import keras
    import tensorflow as tf

    from ser_synth.audio.frontend import banded_mel_projection
    from ser_synth.utils import atomic_write_bytes

    recognizer._check_fitted()
    if quantization not in QUANTIZATIONS:
        raise ConfigError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    if not seconds > 0:
        raise ConfigError(f"seconds must be > 0, got {seconds!r}")
    n = int(round(seconds * recognizer.audio_config.sample_rate))
    model = recognizer.model_
    tmp = Path(tempfile.mkdtemp(prefix="ser_synth_tflite_"))
    try:
        with banded_mel_projection(model):
            archive = keras.export.ExportArchive()
            archive.track(model)
            archive.add_endpoint("serving_default", lambda x: {"probabilities": model(x, training=False)["emotion"]},
                                 input_signature=[tf.TensorSpec([1, n], tf.float32, name="waveform")])
            archive.write_out(str(tmp / "sm"), verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(str(tmp / "sm"))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization != "none":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        blob = conv.convert()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return atomic_write_bytes(path, blob)


class TFLiteRecognizer:
    """Run a ``.tflite`` recognizer: ``predict_proba(waveforms)`` -> ``[n, classes]``.

    Each waveform is centre-cropped or tiled to the model's fixed length (:func:`fit_length`).
    """

    def __init__(self, path: str | Path, classes: Sequence[str], *, num_threads: int = 2):
        import tensorflow as tf

        self.interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self._in = self.interpreter.get_input_details()[0]
        self._out = self.interpreter.get_output_details()[0]
        self.classes_ = np.asarray(list(classes))
        self.num_samples = int(self._in["shape"][1])

    def predict_proba(self, waveforms: Sequence[np.ndarray]) -> np.ndarray:
        out = []
        for y in waveforms:
            self.interpreter.set_tensor(self._in["index"], fit_length(y, self.num_samples)[None])
            self.interpreter.invoke()
            out.append(self.interpreter.get_tensor(self._out["index"])[0].copy())
        return np.stack(out)
