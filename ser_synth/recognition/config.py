"""Frozen, validated configs of the recognizer's architecture and training."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from ser_synth.data.augment import AugmentConfig
from ser_synth.exceptions import ConfigError
from ser_synth.utils import DictConfig, dataclass_from_dict


def _choice(obj, name, options):
    v = getattr(obj, name)
    if v not in options:
        raise ConfigError(f"{type(obj).__name__}.{name} must be one of {options}, got {v!r}")


@dataclass(frozen=True)
class ModelConfig(DictConfig):
    """CRNN architecture. Defaults: ~0.6 M parameters, log-mel input.

    Parameters
    ----------
    features : {"logmel", "mfcc"}
    mfcc_deltas : int
        0, 1 or 2 delta orders appended to MFCCs.
    conv_filters : tuple of int
        Channels of each 3x3 conv block; each block halves time and frequency.
    conv_norm : {"batch", "instance"}
        Normalisation inside conv blocks ("instance": per utterance and channel).
    utterance_norm : bool
        Per-utterance feature normalisation with a learned affine (AdaIN-style).
    utterance_stats : int
        0 for none, else the width of a side branch that embeds the utterance's gain-invariant
        long-term spectrum and its per-bin dynamics (what ``utterance_norm`` removes) and
        appends it to every RNN output frame.
    rnn : {"lstm", "gru"}
    rnn_units : int
        Units per direction of the bidirectional RNN.
    self_attention_heads : int
        0 for none, else heads of a residual multi-head self-attention after the RNN.
    pooling : {"attention", "meanmax"}
    dropout : float
    spec_augment : tuple of 4 int
        (time masks, max time width in frames, freq masks, max freq width in bins).
    freq_warp : float
        0 for none, else the largest relative stretch of the mel axis in training
        (vocal-tract-length perturbation; log-mel features only).
    speaker_adversary : bool
        Gradient-reversal speaker classifier on the pooled embedding (training only).
    adversary_strength : float
        Final GRL strength, reached on the DANN schedule ``2 / (1 + exp(-10 p)) - 1``.
    """

    features: str = "logmel"
    mfcc_deltas: int = 0
    conv_filters: tuple[int, ...] = (16, 32, 64)
    conv_norm: str = "batch"
    utterance_norm: bool = True
    utterance_stats: int = 0
    rnn: str = "lstm"
    rnn_units: int = 96
    self_attention_heads: int = 0
    pooling: str = "attention"
    dropout: float = 0.3
    spec_augment: tuple[int, int, int, int] = (2, 20, 2, 8)
    freq_warp: float = 0.0
    speaker_adversary: bool = False
    adversary_strength: float = 0.3

    def __post_init__(self):
        _choice(self, "features", ("logmel", "mfcc"))
        _choice(self, "conv_norm", ("batch", "instance"))
        _choice(self, "rnn", ("lstm", "gru"))
        _choice(self, "pooling", ("attention", "meanmax"))
        _choice(self, "mfcc_deltas", (0, 1, 2))
        if not self.conv_filters or any((not isinstance(c, int)) or c <= 0 for c in self.conv_filters):
            raise ConfigError(f"ModelConfig.conv_filters must be positive ints, got {self.conv_filters!r}")
        if not isinstance(self.rnn_units, int) or self.rnn_units <= 0:
            raise ConfigError(f"ModelConfig.rnn_units must be a positive int, got {self.rnn_units!r}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if len(self.spec_augment) != 4:
            raise ConfigError(f"ModelConfig.spec_augment needs 4 ints, got {self.spec_augment!r}")
        if not isinstance(self.utterance_stats, int) or self.utterance_stats < 0:
            raise ConfigError(f"ModelConfig.utterance_stats must be an int >= 0, got {self.utterance_stats!r}")
        if not 0.0 <= self.freq_warp < 1.0:
            raise ConfigError(f"ModelConfig.freq_warp must be in [0, 1), got {self.freq_warp!r}")
        if self.freq_warp and self.features != "logmel":
            raise ConfigError(f"ModelConfig.freq_warp stretches a mel axis and needs features='logmel', got {self.features!r}")
        if self.self_attention_heads < 0:
            raise ConfigError(f"ModelConfig.self_attention_heads must be >= 0, got {self.self_attention_heads!r}")
        if self.adversary_strength < 0:
            raise ConfigError(f"ModelConfig.adversary_strength must be >= 0, got {self.adversary_strength!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and data settings of recognizer training.

    ``crop_seconds`` of audio are cropped (randomly) from each trimmed training clip;
    validation and evaluation use whole clips. ``schedule="cosine"`` warms up linearly for
    ``warmup_epochs`` then decays; ``"plateau"`` halves the rate when validation UAR stalls.
    Early stopping watches validation UAR (speakers held out of the training set) and
    restores the best epoch; with ``validation_fraction=0`` every speaker trains, for all
    ``epochs``, and the last epoch is kept. ``freeze`` applies when fine-tuning from a pretrained backbone:
    ``"backbone"`` trains only the head, ``"gradual"`` trains the head for a third of the
    epochs and then everything at 0.3x the rate, ``"none"`` trains everything.
    ``mixup > 0`` mixes pairs of training examples and their labels with weights drawn from
    ``Beta(mixup, mixup)``. ``ensemble > 1`` trains that many members (seeds ``seed + i``, each with its own
    validation speakers) and predicts with the mean of their probabilities.
    ``ema > 0`` keeps an exponential moving average of the trainable weights (that decay per
    step); validation, early stopping and the returned model then use the averaged weights.
    """

    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    warmup_epochs: int = 2
    schedule: str = "cosine"
    patience: int = 10
    crop_seconds: float = 2.5
    trim_db: float = 30.0
    label_smoothing: float = 0.05
    validation_fraction: float = 0.15
    class_balance: bool = True
    seed: int = 0
    freeze: str = "none"
    ensemble: int = 1
    mixup: float = 0.0
    ema: float = 0.0
    augment: AugmentConfig | None = field(default_factory=AugmentConfig)

    def __post_init__(self):
        _choice(self, "schedule", ("cosine", "plateau"))
        _choice(self, "freeze", ("none", "backbone", "gradual"))
        for name in ("epochs", "batch_size", "ensemble"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise ConfigError(f"TrainConfig.{name} must be a positive int, got {v!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"TrainConfig.learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError(f"TrainConfig.validation_fraction must be in [0, 1), got {self.validation_fraction!r}")
        if not self.crop_seconds > 0:
            raise ConfigError(f"TrainConfig.crop_seconds must be > 0, got {self.crop_seconds!r}")
        if not (isinstance(self.mixup, (int, float)) and self.mixup >= 0):
            raise ConfigError(f"TrainConfig.mixup must be a Beta alpha >= 0 (0 for none), got {self.mixup!r}")
        if not (isinstance(self.ema, (int, float)) and 0 <= self.ema < 1):
            raise ConfigError(f"TrainConfig.ema must be a decay in [0, 1) (0 for none), got {self.ema!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"TrainConfig.label_smoothing must be in [0, 1), got {self.label_smoothing!r}")

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["augment"] = None if self.augment is None else self.augment.to_dict()
        return d

    @classmethod
    def from_dict(cls, d):
        return dataclass_from_dict(cls, d, nested={"augment": AugmentConfig})
