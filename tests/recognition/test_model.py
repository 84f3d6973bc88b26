import numpy as np
import pytest
import tensorflow as tf

from ser_synth.recognition.config import ModelConfig, TrainConfig
from ser_synth.recognition.layers import (AttentionPooling, BroadcastConcat, FrequencyWarp, GradientReversal, MeanMaxPooling, SpecAugment,
                                         UtteranceNorm, UtteranceStats)
from ser_synth.recognition.model import CRNNBackbone, EmotionClassifier, build_classifier
from ser_synth.exceptions import ConfigError
from tests.conftest import tone
from tests.helpers import run_layer_serialization_test, run_model_saving_test

TINY = ModelConfig(conv_filters=(4, 8), rnn_units=8, spec_augment=(1, 4, 1, 2))


def test_default_model_is_small():
    from ser_synth.audio.config import AudioConfig

    model = build_classifier(AudioConfig(), ModelConfig(), num_classes=8)
    assert model.count_params() < 3_000_000


@pytest.mark.parametrize("mc", [
    TINY,
    ModelConfig(features="mfcc", mfcc_deltas=2, conv_filters=(4,), rnn="gru", rnn_units=8, pooling="meanmax", conv_norm="instance"),
    ModelConfig(conv_filters=(4, 8), rnn_units=8, self_attention_heads=2, utterance_norm=False, speaker_adversary=True),
    ModelConfig(conv_filters=(4,), rnn_units=8, utterance_stats=8, freq_warp=0.1),
])
def test_classifier_variants_save_and_reload(tmp_path, tiny_audio_config, mc):
    model = build_classifier(tiny_audio_config, mc, num_classes=3, num_speakers=4)
    x = np.stack([tone(300, 0.5), tone(600, 0.5, seed=2)])
    out = model(x)
    assert out["emotion"].shape == (2, 3)
    np.testing.assert_allclose(out["emotion"].numpy().sum(axis=1), 1.0, atol=1e-5)
    assert ("speaker" in out) == mc.speaker_adversary
    restored = run_model_saving_test(model, x, tmp_path, atol=1e-5)
    assert isinstance(restored, EmotionClassifier) and isinstance(restored.backbone, CRNNBackbone)
    assert restored.get_config()["num_classes"] == 3
    # variable-length input: a waveform of another length works without retracing issues
    assert restored(np.stack([tone(300, 0.8)]))["emotion"].shape == (1, 3)


def test_layers_roundtrip(tmp_path):
    x = np.random.default_rng(0).standard_normal((2, 12, 6)).astype(np.float32)
    for layer in (UtteranceNorm(), SpecAugment(1, 3, 1, 2, seed=1), AttentionPooling(8), MeanMaxPooling(), GradientReversal(0.5),
                  UtteranceStats(), FrequencyWarp(0.1, seed=2)):
        run_layer_serialization_test(layer, x, tmp_path)


def test_utterance_stats_ignore_gain_and_keep_spectral_shape():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 40, 6)).astype(np.float32)
    stats = UtteranceStats()(x).numpy()
    assert stats.shape == (2, 12)
    # a gain change is a constant offset in log-mel: nothing in the statistics moves
    np.testing.assert_allclose(UtteranceStats()(x + 3.0).numpy(), stats, atol=1e-4)
    # a tilt (louder high bins) shows in the shape half, not in the dynamics half
    tilted = UtteranceStats()(x + np.linspace(0, 2, 6, dtype=np.float32)).numpy()
    assert np.abs(tilted[:, :6] - stats[:, :6]).max() > 0.5
    np.testing.assert_allclose(tilted[:, 6:], stats[:, 6:], atol=1e-4)
    np.testing.assert_allclose(stats[:, 6:], x.std(axis=1), rtol=1e-3)


def test_broadcast_concat_repeats_vector_over_time():
    seq, vec = np.zeros((2, 5, 3), np.float32), np.arange(8, dtype=np.float32).reshape(2, 4)
    out = BroadcastConcat()([seq, vec]).numpy()
    assert out.shape == (2, 5, 7)
    np.testing.assert_array_equal(out[:, 3, 3:], vec)


def test_spec_augment_only_in_training():
    x = np.random.default_rng(0).standard_normal((2, 50, 16)).astype(np.float32)
    layer = SpecAugment(2, 10, 2, 4, seed=0)
    np.testing.assert_array_equal(layer(x, training=False), x)
    masked = layer(x, training=True).numpy()
    assert (masked != x).mean() > 0.02


def test_frequency_warp_stretches_bin_axis_only_in_training():
    ramp = np.tile(np.arange(16, dtype=np.float32), (4, 3, 1))  # value == bin index
    layer = FrequencyWarp(0.2, seed=0)
    np.testing.assert_array_equal(layer(ramp, training=False), ramp)
    out = layer(ramp, training=True).numpy()
    # out[f] = x[f * a]: on a ramp below the edge each utterance is f * a with one a in [0.8, 1.2]
    a = out[:, :, 1]
    assert np.all((a >= 0.8 - 1e-6) & (a <= 1.2 + 1e-6)) and np.ptp(a[:, 0]) > 0.01
    np.testing.assert_allclose(a, a[:, :1].repeat(3, axis=1))  # one factor per utterance, all frames
    for i in range(4):
        expected = np.minimum(np.arange(16) * a[i, 0], 15.0)
        np.testing.assert_allclose(out[i, 0], expected, atol=1e-4)


def test_gradient_reversal_flips_and_scales_gradient():
    layer = GradientReversal(0.0)
    layer.build((None, 3))
    layer.strength.assign(0.7)
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(layer(x) * 2.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[-1.4, -1.4, -1.4]])


def test_config_validation():
    with pytest.raises(ConfigError, match="rnn"):
        ModelConfig(rnn="transformer")
    with pytest.raises(ConfigError, match="utterance_stats"):
        ModelConfig(utterance_stats=-1)
    with pytest.raises(ConfigError, match="freq_warp"):
        ModelConfig(freq_warp=1.5)
    with pytest.raises(ConfigError, match="features='logmel'"):
        ModelConfig(features="mfcc", freq_warp=0.1)
    with pytest.raises(ConfigError, match="mixup"):
        TrainConfig(mixup=-1.0)
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="unknown TrainConfig keys"):
        TrainConfig.from_dict({"epoch": 3})
    tc = TrainConfig.from_dict(TrainConfig().to_dict())
    assert tc == TrainConfig()
    assert ModelConfig.from_dict(TINY.to_dict()) == TINY
