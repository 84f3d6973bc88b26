"""Custom Keras layers of the recognizer (all registered, no Lambda layers)."""

from __future__ import annotations

import keras
import tensorflow as tf

from ser_synth.exceptions import ConfigError

_register = keras.saving.register_keras_serializable(package="ser_synth")


@_register
class UtteranceNorm(keras.layers.Layer):
    """Per-utterance instance normalisation over time, per feature, with a learned affine.

    ``[batch, frames, features]``: each utterance's feature means/variances are removed
    (removing channel and speaker level offsets), then ``gamma``/``beta`` re-scale (AdaIN-style).
    """

    def __init__(self, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.gamma = self.add_weight(shape=(dim,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(dim,), initializer="zeros", name="beta")

    def call(self, x):
        mean, var = tf.nn.moments(x, axes=[1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + self.epsilon) * self.gamma + self.beta

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@_register
class UtteranceStats(keras.layers.Layer):
    """Gain-invariant long-term statistics of a log-spectrogram: ``[batch, frames, bins] -> [batch, 2 * bins]``.

    Per bin: the mean over time minus the utterance's overall mean (the long-term spectral
    shape, with level removed) and the standard deviation over time (its dynamics). This is
    what :class:`UtteranceNorm` takes away from the conv/RNN path; emotion lives partly in it.
    """

    def call(self, x):
        mean, var = tf.nn.moments(x, axes=[1])
        return tf.concat([mean - tf.reduce_mean(mean, axis=-1, keepdims=True), tf.sqrt(var + 1e-6)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


@_register
class BroadcastConcat(keras.layers.Layer):
    """``[batch, frames, a]`` and ``[batch, b]`` -> ``[batch, frames, a + b]`` (the vector repeated over time)."""

    def call(self, inputs):
        seq, vec = inputs
        tiled = tf.tile(vec[:, None, :], tf.stack([1, tf.shape(seq)[1], 1]))
        return tf.concat([seq, tf.cast(tiled, seq.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        (b, t, a), (_, v) = input_shape
        return (b, t, a + v)


@_register
class SpecAugment(keras.layers.Layer):
    """Time and frequency masking of ``[batch, frames, features]``, only when ``training=True``.

    Masked cells are set to the utterance mean, so the mask carries no level cue.
    """

    def __init__(self, time_masks: int = 2, time_width: int = 20, freq_masks: int = 2, freq_width: int = 8,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("time_masks", time_masks), ("time_width", time_width), ("freq_masks", freq_masks), ("freq_width", freq_width)):
            if not isinstance(v, int) or v < 0:
                raise ConfigError(f"SpecAugment.{name} must be a non-negative int, got {v!r}")
        self.time_masks, self.time_width = time_masks, time_width
        self.freq_masks, self.freq_width = freq_masks, freq_width
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _mask(self, batch, size, count, width):
        keep = tf.ones([batch, size], tf.bool)
        positions = tf.range(size)[None, :]
        for _ in range(count):
            w = tf.cast(keras.random.uniform([batch, 1], 0, width + 1, seed=self.seed_generator), tf.int32)
            start = tf.cast(keras.random.uniform([batch, 1], 0, 1, seed=self.seed_generator) * tf.cast(tf.maximum(size - w, 1), tf.float32), tf.int32)
            keep &= ~((positions >= start) & (positions < start + w))
        return keep

    def call(self, x, training=None):
        if not training or (self.time_masks == 0 and self.freq_masks == 0):
            return x
        shape = tf.shape(x)
        t_keep = self._mask(shape[0], shape[1], self.time_masks, self.time_width)[:, :, None]
        f_keep = self._mask(shape[0], shape[2], self.freq_masks, self.freq_width)[:, None, :]
        fill = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        return tf.where(t_keep & f_keep, x, fill)

    def get_config(self):
        return {**super().get_config(), "time_masks": self.time_masks, "time_width": self.time_width,
                "freq_masks": self.freq_masks, "freq_width": self.freq_width, "seed": self.seed}


@_register
class FrequencyWarp(keras.layers.Layer):
    """Random linear stretch of the feature axis of ``[batch, frames, bins]``, only when ``training=True``.

    Each utterance is resampled as ``out[f] = x[f * a]`` (linear interpolation, last bin
    repeated past the edge) with ``a`` uniform in ``[1 - max_warp, 1 + max_warp]``: on a mel
    axis this imitates a longer or shorter vocal tract (VTLP), a speaker trait the emotion
    decision should not depend on.
    """

    def __init__(self, max_warp: float = 0.1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= max_warp < 1.0:
            raise ConfigError(f"FrequencyWarp.max_warp must be in [0, 1), got {max_warp!r}")
        self.max_warp = float(max_warp)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.max_warp == 0.0:
            return x
        shape = tf.shape(x)
        bins = shape[2]
        a = keras.random.uniform([shape[0], 1], 1.0 - self.max_warp, 1.0 + self.max_warp, seed=self.seed_generator)
        pos = tf.minimum(tf.range(bins, dtype=x.dtype)[None, :] * tf.cast(a, x.dtype), tf.cast(bins - 1, x.dtype))
        i0 = tf.cast(tf.floor(pos), tf.int32)
        i1 = tf.minimum(i0 + 1, bins - 1)
        frac = (pos - tf.cast(i0, x.dtype))[:, None, :]
        lo = tf.gather(x, i0, axis=2, batch_dims=1)
        hi = tf.gather(x, i1, axis=2, batch_dims=1)
        return lo + (hi - lo) * frac

    def get_config(self):
        return {**super().get_config(), "max_warp": self.max_warp, "seed": self.seed}


@tf.custom_gradient
def _reverse(x, strength):
    def grad(dy):
        return -strength * dy, tf.zeros_like(strength)

    return tf.identity(x), grad


@_register
class GradientReversal(keras.layers.Layer):
    """Identity forward, gradient times ``-strength`` backward (DANN).

    ``strength`` is a non-trainable weight so a callback can schedule it during training.
    """

    def __init__(self, strength: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_strength = float(strength)

    def build(self, input_shape):
        self.strength = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.initial_strength),
                                        trainable=False, name="strength")

    def call(self, x):
        return _reverse(x, tf.cast(self.strength, x.dtype))

    def get_config(self):
        return {**super().get_config(), "strength": self.initial_strength}


@_register
class AttentionPooling(keras.layers.Layer):
    """Additive attention over time: ``[batch, frames, dim] -> [batch, dim]``."""

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.hidden = keras.layers.Dense(self.units, activation="tanh", name="hidden")
        self.score = keras.layers.Dense(1, use_bias=False, name="score")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.score.build((*input_shape[:-1], self.units))

    def call(self, x):
        weights = tf.nn.softmax(self.score(self.hidden(x)), axis=1)
        return tf.reduce_sum(weights * x, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class MeanMaxPooling(keras.layers.Layer):
    """Concatenated mean and max over time: ``[batch, frames, dim] -> [batch, 2 * dim]``."""

    def call(self, x):
        return tf.concat([tf.reduce_mean(x, axis=1), tf.reduce_max(x, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


@_register
class FrequencyFlatten(keras.layers.Layer):
    """``[batch, frames, freq, channels] -> [batch, frames, freq * channels]`` with a static last dim."""

    def call(self, x):
        s = tf.shape(x)
        return tf.reshape(x, [s[0], s[1], x.shape[2] * x.shape[3]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[2] * input_shape[3])
