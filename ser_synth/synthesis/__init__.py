"""Emotional speech synthesis: text front-end, the rule-based baseline, and the trained
emotion-conditioned acoustic model with its GAN discriminator."""

from ser_synth.synthesis.config import AcousticConfig, SynthTrainConfig
from ser_synth.synthesis.rules import RuleBasedSynthesizer
from ser_synth.synthesis.synthesizer import EmotionalSynthesizer
from ser_synth.synthesis.text import TextEncoder, TextError, normalize_text, split_text

__all__ = ["AcousticConfig", "EmotionalSynthesizer", "RuleBasedSynthesizer", "SynthTrainConfig", "TextEncoder", "TextError", "normalize_text", "split_text"]
