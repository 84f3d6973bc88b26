"""CRNN backbone and emotion-classifier task (keras-hub style: constructor args are the config)."""

from __future__ import annotations

import keras

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import make_frontend
from ser_synth.recognition.config import ModelConfig
from ser_synth.recognition.layers import (
    AttentionPooling,
    BroadcastConcat,
    FrequencyFlatten,
    FrequencyWarp,
    GradientReversal,
    MeanMaxPooling,
    SpecAugment,
    UtteranceNorm,
    UtteranceStats,
)
from ser_synth.utils import bidirectional

_register = keras.saving.register_keras_serializable(package="ser_synth")


@_register
class CRNNBackbone(keras.Model):
    """Waveform -> front-end -> conv blocks -> bidirectional RNN -> ``[batch, frames / 2**blocks, 2 * rnn_units]``.

    Parameters
    ----------
    audio_config : AudioConfig or dict
    model_config : ModelConfig or dict
    """

    def __init__(self, audio_config=None, model_config=None, **kwargs):
        audio_config = AudioConfig.from_dict(audio_config)
        mc = ModelConfig.from_dict(model_config)
        inputs = keras.Input(shape=(None,), name="waveform")
        frontend_kwargs = {"deltas": mc.mfcc_deltas} if mc.features == "mfcc" else {}
        x = make_frontend(mc.features, audio_config, name="frontend", **frontend_kwargs)(inputs)
        if mc.freq_warp:
            x = FrequencyWarp(mc.freq_warp, name="freq_warp")(x)
        tm, tw, fm, fw = mc.spec_augment
        x = SpecAugment(tm, tw, fm, fw, name="spec_augment")(x)
        stats = None
        if mc.utterance_stats:
            stats = UtteranceStats(name="utterance_stats")(x)
            stats = keras.layers.BatchNormalization(momentum=0.9, name="stats_norm")(stats)
            stats = keras.layers.Dropout(mc.dropout, name="stats_dropout")(stats)
            stats = keras.layers.Dense(mc.utterance_stats, activation="relu", name="stats_embedding")(stats)
        if mc.utterance_norm:
            x = UtteranceNorm(name="utterance_norm")(x)
        x = keras.layers.Reshape((-1, x.shape[-1], 1), name="add_channel")(x)
        for i, filters in enumerate(mc.conv_filters):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
            if mc.conv_norm == "batch":
                # momentum 0.9: with a few hundred steps per run the default 0.99 leaves the
                # moving variance far from the batch statistics and inference collapses
                x = keras.layers.BatchNormalization(momentum=0.9, name=f"norm{i}")(x)
            else:
                x = keras.layers.GroupNormalization(groups=-1, name=f"norm{i}")(x)
            x = keras.layers.Activation("relu", name=f"relu{i}")(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
        x = FrequencyFlatten(name="flatten_freq")(x)
        x = keras.layers.Dropout(mc.dropout / 2, name="rnn_dropout")(x)
        rnn_cls = keras.layers.LSTM if mc.rnn == "lstm" else keras.layers.GRU
        x = bidirectional(rnn_cls, mc.rnn_units, "birnn")(x)
        if mc.self_attention_heads:
            att = keras.layers.MultiHeadAttention(mc.self_attention_heads, key_dim=max(8, 2 * mc.rnn_units // mc.self_attention_heads), name="self_attention")(x, x)
            x = keras.layers.LayerNormalization(name="attention_norm")(keras.layers.Add(name="attention_residual")([x, att]))
        if stats is not None:
            x = BroadcastConcat(name="append_stats")([x, stats])
        super().__init__(inputs=inputs, outputs=x, **kwargs)
        self.audio_config = audio_config
        self.model_config = mc

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "audio_config": self.audio_config.to_dict(), "model_config": self.model_config.to_dict()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@_register
class EmotionClassifier(keras.Model):
    """Backbone + pooling + softmax; optional gradient-reversal speaker head.

    Input ``waveform [batch, samples]`` (float32 at ``audio_config.sample_rate``); outputs a dict
    ``{"emotion": [batch, num_classes]}`` (+ ``"speaker": [batch, num_speakers]`` with an adversary).
    """

    def __init__(self, backbone: CRNNBackbone, num_classes: int, num_speakers: int = 0, **kwargs):
        mc = backbone.model_config
        inputs = keras.Input(shape=(None,), name="waveform")
        seq = backbone(inputs)
        pooled = (AttentionPooling(64, name="pooling") if mc.pooling == "attention" else MeanMaxPooling(name="pooling"))(seq)
        x = keras.layers.Dropout(mc.dropout, name="head_dropout")(pooled)
        outputs = {"emotion": keras.layers.Dense(num_classes, activation="softmax", name="emotion")(x)}
        if num_speakers:
            r = GradientReversal(0.0, name="gradient_reversal")(pooled)
            r = keras.layers.Dense(64, activation="relu", name="speaker_hidden")(r)
            outputs["speaker"] = keras.layers.Dense(num_speakers, activation="softmax", name="speaker")(r)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        self.num_classes = int(num_classes)
        self.num_speakers = int(num_speakers)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "backbone": keras.saving.serialize_keras_object(self.backbone),
                "num_classes": self.num_classes, "num_speakers": self.num_speakers}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("backbone"), dict):
            config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


@_register
class EnsembleClassifier(keras.Model):
    """Mean of the emotion probabilities of several :class:`EmotionClassifier` members.

    Same interface as one classifier: ``waveform [batch, samples]`` -> ``{"emotion": ...}``;
    ``backbone`` is the first member's (for transfer learning).
    """

    def __init__(self, members, **kwargs):
        members = list(members)
        if len(members) < 2 or len({m.num_classes for m in members}) != 1:
            raise ValueError(f"an ensemble needs >= 2 members with the same classes, got {[m.num_classes for m in members]}")
        inputs = keras.Input(shape=(None,), name="waveform")
        probs = [m(inputs)["emotion"] for m in members]
        outputs = {"emotion": keras.layers.Average(name="emotion")(probs)}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.members = members
        self.backbone = members[0].backbone
        self.num_classes = members[0].num_classes
        self.num_speakers = 0

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "members": [keras.saving.serialize_keras_object(m) for m in self.members]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["members"] = [keras.saving.deserialize_keras_object(m) if isinstance(m, dict) else m for m in config["members"]]
        return cls(**config)


def build_classifier(audio_config: AudioConfig, model_config: ModelConfig, num_classes: int, num_speakers: int = 0) -> EmotionClassifier:
    """Build an :class:`EmotionClassifier` with a fresh backbone."""
    backbone = CRNNBackbone(audio_config, model_config, name="backbone")
    return EmotionClassifier(backbone, num_classes, num_speakers=num_speakers if model_config.speaker_adversary else 0, name="emotion_classifier")
