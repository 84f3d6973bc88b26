"""Shared test helpers (as keras-hub's TestCase): config round trip and .keras save/reload."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np


def run_layer_serialization_test(layer, inputs: np.ndarray, tmp_path) -> None:
    """``get_config`` round-trips and a model wrapping the layer reloads with equal outputs."""
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = keras.Input(shape=inputs.shape[1:])
    model = keras.Model(x, layer(x))
    run_model_saving_test(model, inputs, tmp_path)


def run_model_saving_test(model, inputs, tmp_path, atol: float = 1e-6) -> keras.Model:
    """Save to ``.keras``, reload in safe mode, and compare outputs (inference mode)."""
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True, compile=False)
    before, after = model(inputs, training=False), restored(inputs, training=False)
    flat_b, flat_a = keras.tree.flatten(before), keras.tree.flatten(after)
    assert len(flat_b) == len(flat_a)
    for b, a in zip(flat_b, flat_a):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=atol)
    return restored


def saved_model_op_types(path: Path) -> set[str]:
    """Every op type in a SavedModel's graph and its functions."""
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((path / "saved_model.pb").read_bytes())
    graph = sm.meta_graphs[0].graph_def
    ops = {n.op for n in graph.node}
    for f in graph.library.function:
        ops |= {n.op for n in f.node_def}
    return ops


def run_recognizer_export_test(model, clips: list[np.ndarray], sample_rate: int, tmp_path: Path, atol: float) -> None:
    """Export a recognizer (saved folder or shipped name) in TF Serving's layout and check both
    signatures against its Python facade, and that the graph holds no tensorflow-io or Python ops."""
    import soundfile as sf
    import tensorflow as tf

    from ser_synth.recognition import load_recognizer
    from ser_synth.serving import export_model

    rec = load_recognizer(model)
    dest = export_model(model, tmp_path / "export", version=1)
    loaded = tf.saved_model.load(str(dest))
    assert not any(op.startswith(("IO>", "PyFunc", "EagerPyFunc")) for op in saved_model_op_types(dest))
    classes = rec.classes_.tolist()
    for i, y in enumerate(clips):
        out = loaded.signatures["serving_default"](waveform=tf.constant(y[None]))
        # arrays: each row trimmed and scored as the facade trims and scores the clip
        expected = rec.predict_proba([y])
        np.testing.assert_allclose(out["probabilities"].numpy(), expected, atol=atol)
        assert out["label"].numpy()[0].decode() == classes[int(expected.argmax())]
        # WAV bytes: decoded and trimmed as the facade decodes and trims a file
        path = tmp_path / f"clip{i}.wav"
        sf.write(str(path), y, sample_rate, subtype="PCM_16")
        by_wav = loaded.signatures["recognize_wav"](wav=tf.constant(path.read_bytes()))["probabilities"].numpy()
        np.testing.assert_allclose(by_wav, rec.predict_proba([path]), atol=atol)
    # one batch of clips cut to different lengths and zero-padded: each row gets its clip's answer
    cut = [y[:len(y) * (5 - i % 3) // 5] for i, y in enumerate(clips)]
    width = max(len(y) for y in cut)
    batch = np.stack([np.pad(y, (0, width - len(y))) for y in cut]).astype(np.float32)
    lengths = tf.constant([len(y) for y in cut], tf.int32)
    together = loaded.signatures["with_lengths"](waveform=tf.constant(batch), lengths=lengths)["probabilities"].numpy()
    np.testing.assert_allclose(together, rec.predict_proba(cut), atol=atol)
