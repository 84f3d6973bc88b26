"""Shared test helpers (as keras-hub's TestCase): config round trip and .keras save/reload."""

from __future__ import annotations

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
