"""The conditional multi-window discriminator and its losses."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ser_synth.synthesis.discriminator import SpectrogramDiscriminator, SubDiscriminator, discriminator_loss, generator_losses


def test_outputs_per_window_and_emotion_matters():
    d = SpectrogramDiscriminator(3, windows=(8, 16), channels=4, layers=2)
    mel = tf.random.normal([2, 20, 16], seed=0)
    crops = d.crops(tf.constant([20, 12]))
    assert [int(n) for _, n in crops] == [8, 12]  # clipped to the shortest item
    outs = d(mel, tf.constant([0, 1]), crops=crops)
    assert len(outs) == 2 and outs[0][0].shape == (2, 4) and len(outs[0][1]) == 2
    other = d(mel, tf.constant([2, 2]), crops=crops)
    assert not np.allclose(outs[0][0].numpy(), other[0][0].numpy())  # projection term


def test_least_squares_losses():
    perfect_real = [(tf.ones([2, 3]), [tf.ones([2, 3, 4])])]
    perfect_fake = [(tf.zeros([2, 3]), [tf.ones([2, 3, 4])])]
    assert float(discriminator_loss(perfect_real, perfect_fake)) == 0.0
    adv, fm = generator_losses(perfect_real, perfect_fake)
    assert float(adv) == 1.0 and float(fm) == 0.0


def test_config_round_trip():
    sub = SubDiscriminator(4, channels=8, layers=2)
    assert SubDiscriminator.from_config(sub.get_config()).get_config() == sub.get_config()
    d = SpectrogramDiscriminator(4, windows=(8,), channels=4, layers=1)
    assert SpectrogramDiscriminator.from_config(d.get_config()).get_config() == d.get_config()
