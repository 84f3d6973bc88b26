"""TFLite export of recognizers for devices: fixed-length input, builtins-only ops.

The converter reads a SavedModel written by Keras' ``ExportArchive`` with a fixed input
``[1, seconds * rate]``: from there the bidirectional LSTM lowers to TFLite builtins (no Flex
ops needed), where converting the Keras model's concrete function directly crashes the
converter (Keras 3 + TF 2.16).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.exceptions import ConfigError, ModelError

QUANTIZATIONS = ("none", "dynamic", "int8")
# TFLite tensors of the front-end (log-mel and per-utterance normalisation): kept float in
# int8 exports, since 8 bits cannot hold a waveform's or power spectrum's dynamic range
_FRONTEND_TENSOR = re.compile(r"(^|[/;])(frontend|utterance_norm)(_\d+)?/")
MAX_CALIBRATION = 200


@contextmanager
def unrolled_rnns(model):
    """Within the block, every recurrent layer inside ``model`` runs unrolled.

    A fixed-length export then has no ``WHILE`` op: TFLite's int8 calibrator crashes the process
    (segmentation fault) when it logs a ``WHILE`` op's outputs (TF 2.16 to 2.21, TensorFlow
    issue 75140).
    """
    import keras

    found, stack = [], [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.RNN):
            found.append((layer, layer.unroll))
        stack.extend(getattr(layer, "layers", []))
        stack.extend(getattr(layer, a) for a in ("forward_layer", "backward_layer") if getattr(layer, a, None) is not None)
    for layer, _ in found:
        layer.unroll = True
    try:
        yield [layer for layer, _ in found]
    finally:
        for layer, unroll in found:
            layer.unroll = unroll


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


def export_tflite(recognizer, path: str | Path, *, seconds: float = 3.0, quantization: str = "dynamic",
                  calibration=None) -> Path:
    """Write a ``.tflite`` recognizer: input float32 ``[1, seconds * rate]``, output
    probabilities ``[1, classes]`` (columns follow ``recognizer.classes_``).

    Parameters
    ----------
    quantization : {"none", "dynamic", "int8"}
        "dynamic": int8 weights, float activations (dynamic-range quantization). The
        front-end's mel projection is traced without a weight matrix
        (:func:`~ser_synth.audio.frontend.banded_mel_projection`), so it stays in float: only
        the conv, LSTM and dense layers run as int8 hybrid ops.
        "int8": int8 weights and activations (post-training full-integer quantization,
        calibrated on ``calibration``) for the conv, LSTM (unrolled, see
        :func:`unrolled_rnns`) and dense layers; the front-end stays float, and so do the
        model's input and output.
    calibration : waveforms, paths or records, required for "int8"
        Representative speech (at most the first 200 are used), each cropped or tiled to the
        model's length like the inputs. Use speakers other than those you evaluate on.
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
    if (quantization == "int8") != (calibration is not None):
        raise ConfigError("calibration waveforms are needed with quantization='int8' and only then, "
                          f"got quantization={quantization!r} and calibration={'given' if calibration is not None else None}")
    n = int(round(seconds * recognizer.audio_config.sample_rate))
    if calibration is not None:
        calibration = [fit_length(w, n)[None] for w in recognizer._waveforms(calibration)[:MAX_CALIBRATION]]
    model = recognizer.model_
    tmp = Path(tempfile.mkdtemp(prefix="ser_synth_tflite_"))
    try:
        with banded_mel_projection(model):
            archive = keras.export.ExportArchive()
            archive.track(model)
            fn = tf.function(lambda x: {"probabilities": model(x, training=False)["emotion"]},
                             input_signature=[tf.TensorSpec([1, n], tf.float32, name="waveform")])
            # traced now, while unrolled: saving also traces the model's own signature of
            # unknown length, which cannot unroll
            with unrolled_rnns(model) if quantization == "int8" else nullcontext():
                fn.get_concrete_function()
            archive.add_endpoint("serving_default", fn)
            archive.write_out(str(tmp / "sm"), verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(str(tmp / "sm"))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization == "dynamic":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        blob = conv.convert()
        if quantization == "int8":
            blob = _full_integer(tf, str(tmp / "sm"), blob, calibration)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return atomic_write_bytes(path, blob)


def _full_integer(tf, saved_model: str, float_blob: bytes, calibration) -> bytes:
    """Full-integer quantization of ``saved_model`` with the front-end's tensors (found by name
    in the float conversion ``float_blob``) left float."""
    float_model = tf.lite.Interpreter(model_content=float_blob)
    ops = {op["op_name"] for op in float_model._get_ops_details()}
    if "WHILE" in ops:  # the calibrator would crash the process on it (see unrolled_rnns)
        raise ModelError("int8 export needs a graph without WHILE ops, but a recurrent layer did not unroll")
    frontend = [t["name"] for t in float_model.get_tensor_details() if _FRONTEND_TENSOR.search(t["name"])]
    if not frontend:
        raise ModelError("int8 export could not find the front-end's tensors to keep them float")
    conv = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
    conv.representative_dataset = lambda: iter([[c] for c in calibration])
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=frontend)
    debugger = tf.lite.experimental.QuantizationDebugger(converter=conv, debug_dataset=lambda: iter([[c] for c in calibration[:1]]),
                                                         debug_options=options)
    return debugger.get_nondebug_quantized_model()


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
