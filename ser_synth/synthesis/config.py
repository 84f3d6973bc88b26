"""Frozen, validated configs of the acoustic model and its training."""

from __future__ import annotations

from dataclasses import dataclass

from ser_synth.emotions import canonical_emotion
from ser_synth.exceptions import ConfigError
from ser_synth.utils import DictConfig, check_fields

DEFAULT_EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")


@dataclass(frozen=True)
class AcousticConfig(DictConfig):
    """Architecture of the emotion-conditioned LSTM acoustic model.

    Parameters
    ----------
    symbols : {"characters", "phonemes"}
        Input symbols (characters keep an exported model text-in).
    emotions : tuple of str
        Emotion vocabulary; must contain "neutral" (intensity 0 is neutral).
    n_speakers : int
        Rows of the speaker embedding.
    encoder_dim : int
        Text encoder width (embedding, convolutions, 2 x BiLSTM half-width).
    encoder_convs, kernel_size : int
    emotion_dim, speaker_dim : int
        Conditioning embedding sizes.
    duration_channels : int
        Width of the duration predictor's convolutions.
    decoder_units, decoder_layers : int
        Bidirectional LSTM decoder over frames.
    postnet_channels, postnet_layers : int
        Residual conv post-net on the log-mel.
    linear_channels : int
        Conv stack predicting log linear magnitude (0: mel only).
    f0_channels : int
        Conv stack predicting F0 and voicing per frame, whose harmonics are laid over the linear
        magnitude before Griffin-Lim (0: no pitch head; the output is then unpitched).
    dropout : float
    """

    symbols: str = "characters"
    emotions: tuple[str, ...] = DEFAULT_EMOTIONS
    n_speakers: int = 1
    encoder_dim: int = 128
    encoder_convs: int = 3
    kernel_size: int = 5
    emotion_dim: int = 32
    speaker_dim: int = 32
    duration_channels: int = 128
    decoder_units: int = 128
    decoder_layers: int = 2
    postnet_channels: int = 128
    postnet_layers: int = 3
    linear_channels: int = 128
    f0_channels: int = 64
    dropout: float = 0.1

    def __post_init__(self):
        if self.symbols not in ("characters", "phonemes"):
            raise ConfigError(f"AcousticConfig.symbols must be 'characters' or 'phonemes', got {self.symbols!r}")
        emotions = tuple(canonical_emotion(e) for e in self.emotions)
        if "neutral" not in emotions or len(set(emotions)) != len(emotions):
            raise ConfigError(f"AcousticConfig.emotions must be distinct and include 'neutral', got {list(self.emotions)}")
        object.__setattr__(self, "emotions", emotions)
        check_fields(self, ("n_speakers", "encoder_dim", "kernel_size", "emotion_dim", "speaker_dim", "duration_channels",
                            "decoder_units", "decoder_layers", "postnet_channels"), "positive int")
        check_fields(self, ("encoder_convs", "postnet_layers", "linear_channels", "f0_channels"), "int >= 0")
        if self.encoder_dim % 2:
            raise ConfigError(f"AcousticConfig.encoder_dim must be even (two LSTM directions), got {self.encoder_dim}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"AcousticConfig.dropout must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class SynthTrainConfig(DictConfig):
    """Training of the acoustic model (reconstruction, then + GAN after ``gan_warmup_steps``).

    Parameters
    ----------
    steps : int
        Optimizer steps.
    batch_size : int
    learning_rate : float
        Peak rate of the generator (AdamW, warm-up then cosine decay).
    duration_weight, prior_weight, linear_weight, f0_weight : float
        Weights of the log-duration MSE, the alignment prior (Gaussian NLL of frames under
        their token's predicted mel), the linear-magnitude L1 and the pitch losses (L1 of
        standardised log F0 + voicing cross-entropy).
    gan_weight : float
        0 disables the discriminator.
    gan_warmup_steps : int
        Reconstruction-only steps before the adversarial losses start.
    feature_matching_weight : float
    discriminator_learning_rate : float
    max_seconds : float
        Longer training clips are left out (memory).
    critic_weight : float
        Weight of the critic's cross-entropy toward the intended emotion on the generated
        log-mel (needs a critic passed to ``fine_tune``; 0 disables it).
    critic_ramp_steps : int
        The critic weight rises linearly from 0 over these steps.
    critic_augment : float
        Strength (0-1) of random transformations of the generated log-mel before the critic
        hears it (gain, spectral tilt, a noise floor, SpecAugment masks), so the loss is an
        expectation over them: a generator then has to change what survives them rather than
        fine detail only this critic reads (0: the critic hears the log-mel as generated).
    critic_input : {"mel", "vocoder"}
        What the critic hears: the generated log-mel (``mel_post``), or the log-mel of the
        magnitude the vocoder renders (linear head with the harmonic comb of the predicted
        F0; :func:`ser_synth.synthesis.acoustic.vocoder_log_mel`), so the critic's gradient
        reaches the heads the waveform is made from.
    periodicity_weight : float
        Weight of a hinge that keeps the rendered magnitude periodic at the pitch head's F0:
        per voiced frame, how much more periodic it is at a shorter period
        (:func:`ser_synth.audio.pitch.period_confusion`) beyond what the recording's own
        magnitude shows at its F0. Without it a critic that hears the vocoder (``"vocoder"``)
        learns a spectral ripple that a pitch tracker hears as a far higher voice. Needs a
        pitch head; 0 disables it.
    seed : int
    """

    steps: int = 3000
    batch_size: int = 16
    learning_rate: float = 1e-3
    duration_weight: float = 1.0
    prior_weight: float = 1.0
    linear_weight: float = 1.0
    f0_weight: float = 1.0
    gan_weight: float = 0.0
    gan_warmup_steps: int = 1000
    feature_matching_weight: float = 2.0
    discriminator_learning_rate: float = 2e-4
    max_seconds: float = 6.0
    critic_weight: float = 0.0
    critic_ramp_steps: int = 0
    critic_augment: float = 0.0
    critic_input: str = "mel"
    periodicity_weight: float = 0.0
    seed: int = 0

    def __post_init__(self):
        check_fields(self, ("steps", "batch_size"), "positive int")
        check_fields(self, ("learning_rate", "discriminator_learning_rate", "max_seconds"), "> 0")
        check_fields(self, ("duration_weight", "prior_weight", "linear_weight", "f0_weight", "gan_weight", "feature_matching_weight",
                            "critic_weight", "periodicity_weight"), ">= 0")
        check_fields(self, ("gan_warmup_steps", "critic_ramp_steps"), "int >= 0")
        if not 0 <= self.critic_augment <= 1:
            raise ConfigError(f"SynthTrainConfig.critic_augment must be in [0, 1], got {self.critic_augment!r}")
        if self.critic_input not in ("mel", "vocoder"):
            raise ConfigError(f"SynthTrainConfig.critic_input must be 'mel' or 'vocoder', got {self.critic_input!r}")
