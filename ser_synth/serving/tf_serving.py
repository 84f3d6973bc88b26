"""TF Serving gRPC messages for an exported model: ``PredictRequest`` checked against the
export's own signature, and ``PredictResponse`` back to numpy.

Needs ``tensorflow-serving-api`` at the version of the TensorFlow in use (it is in
``requirements/*.txt``; ``pip install tensorflow-serving-api==<tf version>`` elsewhere)::

    req = predict_request("models/core4/1", {"waveform": x}, model_name="core4")
    stub.Predict(req, 10.0)  # a PredictionServiceStub on the server's gRPC port (8500)
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from ser_synth.exceptions import ConfigError, ModelError


def _apis():
    try:
        from tensorflow_serving.apis import predict_pb2
    except ImportError:
        raise ModelError("TF Serving requests need the tensorflow-serving-api package "
                         "(pip install tensorflow-serving-api matching your TensorFlow)") from None
    return predict_pb2


def signature_defs(export_dir: str | Path) -> dict:
    """The ``SignatureDef`` protos of an exported version folder (``<base>/<name>/<version>``)."""
    from tensorflow.core.protobuf import saved_model_pb2

    pb = Path(export_dir) / "saved_model.pb"
    if not pb.is_file():
        raise ModelError(f"no saved_model.pb in {str(export_dir)!r}: expected an exported version folder")
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(pb.read_bytes())
    return {k: v for k, v in sm.meta_graphs[0].signature_def.items() if not k.startswith("__")}  # not the init op


def predict_request(export_dir: str | Path, inputs: Mapping[str, object], *, model_name: str,
                    signature_name: str = "serving_default", version: int | None = None):
    """A ``tensorflow.serving.PredictRequest`` for ``signature_name`` of an exported model.

    Parameters
    ----------
    export_dir : path
        The exported version folder, whose signature the inputs are checked against.
    inputs : mapping
        Input name -> array-like (e.g. ``waveform`` float32 ``[batch, samples]``, or ``text``
        list of str), cast to the signature's dtype.
    model_name : str
        The name TF Serving serves the model under (``MODEL_NAME``).
    signature_name : str
    version : int, optional
        Pin a version; by default the server picks its latest.

    Raises
    ------
    ConfigError
        An unknown signature, a missing or unexpected input, or an input of the wrong rank.
    """
    import tensorflow as tf

    predict_pb2 = _apis()
    sigs = signature_defs(export_dir)
    if signature_name not in sigs:
        raise ConfigError(f"signature {signature_name!r} is not in {str(export_dir)!r}; it has {sorted(sigs)}")
    sig = sigs[signature_name]
    missing, extra = set(sig.inputs) - set(inputs), set(inputs) - set(sig.inputs)
    if missing or extra:
        raise ConfigError(f"signature {signature_name!r} takes inputs {sorted(sig.inputs)}; "
                          f"missing {sorted(missing)}, unexpected {sorted(extra)}")
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model_name
    req.model_spec.signature_name = signature_name
    if version is not None:
        req.model_spec.version.value = int(version)
    for name, value in inputs.items():
        info = sig.inputs[name]
        dtype = tf.dtypes.as_dtype(info.dtype)
        arr = np.asarray(value, dtype=object if dtype == tf.string else dtype.as_numpy_dtype)
        if not info.tensor_shape.unknown_rank and arr.ndim != len(info.tensor_shape.dim):
            raise ConfigError(f"input {name!r} must have rank {len(info.tensor_shape.dim)} "
                              f"for signature {signature_name!r}, got shape {arr.shape}")
        req.inputs[name].CopyFrom(tf.make_tensor_proto(arr, dtype=dtype))
    return req


def _arrays(tensor_protos) -> dict[str, np.ndarray]:
    import tensorflow as tf

    return {name: tf.make_ndarray(t) for name, t in tensor_protos.items()}


def request_inputs(request) -> dict[str, np.ndarray]:
    """The inputs of a ``PredictRequest`` as numpy arrays (what the server hands the signature)."""
    return _arrays(request.inputs)


def predict_response(outputs: Mapping[str, object], *, model_name: str, signature_name: str = "serving_default"):
    """A ``PredictResponse`` holding ``outputs`` (as a server would send them)."""
    import tensorflow as tf

    resp = _apis().PredictResponse()
    resp.model_spec.name = model_name
    resp.model_spec.signature_name = signature_name
    for name, value in outputs.items():
        resp.outputs[name].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
    return resp


def response_outputs(response) -> dict[str, np.ndarray]:
    """The outputs of a ``PredictResponse`` as numpy arrays."""
    return _arrays(response.outputs)
