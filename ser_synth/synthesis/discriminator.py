"""Conditional multi-window spectrogram discriminator (least-squares GAN + feature matching).

Each sub-discriminator sees random windows of one length (short windows judge local texture,
long ones prosodic movement), runs a 1-D conv stack over time with the mel bands as channels,
and scores every position with an unconditional head plus a projection term
``<embed(emotion), h>`` (Miyato & Koyama 2018), so "is this real *angry* speech" is judged,
not just "is this real speech".
"""

from __future__ import annotations

import keras
import tensorflow as tf

_register = keras.saving.register_keras_serializable(package="ser_synth")


@_register
class SubDiscriminator(keras.layers.Layer):
    """Conv stack + projection head for one window length.

    ``call(mel [B, W, n_mels], emotion [B])`` -> (scores ``[B, W']``, list of feature maps).
    """

    def __init__(self, num_emotions: int, channels: int = 64, layers: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.num_emotions, self.channels, self.n_layers = int(num_emotions), int(channels), int(layers)
        self.convs = [keras.layers.Conv1D(channels * min(2 ** i, 4), 5, strides=1 if i == 0 else 2, padding="same", name=f"conv{i}")
                      for i in range(self.n_layers)]
        width = channels * min(2 ** (self.n_layers - 1), 4)
        self.out = keras.layers.Conv1D(1, 3, padding="same", name="out")
        self.embed = keras.layers.Embedding(self.num_emotions, width, name="emotion_projection")

    def call(self, mel, emotion):
        feats, x = [], mel
        for conv in self.convs:
            x = tf.nn.leaky_relu(conv(x), 0.2)
            feats.append(x)
        proj = tf.reduce_sum(x * self.embed(tf.cast(emotion, tf.int32))[:, None, :], -1) / tf.sqrt(float(x.shape[-1]))
        return tf.squeeze(self.out(x), -1) + proj, feats

    def get_config(self):
        return {**super().get_config(), "num_emotions": self.num_emotions, "channels": self.channels, "layers": self.n_layers}


@_register
class SpectrogramDiscriminator(keras.Model):
    """Several :class:`SubDiscriminator` over random windows of ``windows`` frames.

    Parameters
    ----------
    num_emotions : int
    windows : tuple of int
        Window lengths in frames (clipped to the batch's shortest item).
    channels, layers : int
    seed : int
        Seed of the window positions.
    """

    def __init__(self, num_emotions: int, windows=(32, 64, 128), channels: int = 64, layers: int = 3, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_emotions, self.windows, self.channels, self.n_layers = int(num_emotions), tuple(int(w) for w in windows), int(channels), int(layers)
        self.seed = int(seed)
        self.subs = [SubDiscriminator(num_emotions, channels, layers, name=f"window{w}") for w in self.windows]
        # a state variable, not an op seed: a training backup saves and restores it
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def crops(self, lengths):
        """One random start per window length, shared by real and fake (so features align)."""
        shortest = tf.reduce_min(lengths)
        out = []
        for w in self.windows:
            size = tf.minimum(w, shortest)
            start = tf.random.stateless_uniform([], tf.cast(self.seed_generator.next(), tf.int64), 0,
                                                tf.maximum(shortest - size, 0) + 1, dtype=tf.int32)
            out.append((start, size))
        return out

    def call(self, mel, emotion, crops):
        """-> list over windows of (scores, features) for ``mel [B, T, n_mels]``."""
        return [sub(mel[:, s:s + n], emotion) for sub, (s, n) in zip(self.subs, crops)]

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "num_emotions": self.num_emotions, "windows": list(self.windows),
                "channels": self.channels, "layers": self.n_layers, "seed": self.seed}


def discriminator_loss(real_outputs, fake_outputs):
    """Least squares: real -> 1, fake -> 0 (mean over windows)."""
    terms = [tf.reduce_mean(tf.square(r - 1.0)) + tf.reduce_mean(tf.square(f)) for (r, _), (f, _) in zip(real_outputs, fake_outputs)]
    return tf.add_n(terms) / len(terms)


def generator_losses(real_outputs, fake_outputs):
    """(adversarial: fake -> 1, feature matching: L1 between real and fake feature maps)."""
    adv = tf.add_n([tf.reduce_mean(tf.square(f - 1.0)) for f, _ in fake_outputs]) / len(fake_outputs)
    fm = []
    for (_, rf), (_, ff) in zip(real_outputs, fake_outputs):
        fm += [tf.reduce_mean(tf.abs(tf.stop_gradient(a) - b)) for a, b in zip(rf, ff)]
    return adv, tf.add_n(fm) / len(fm)
