"""Emotional speech synthesis: text front-end, the rule-based baseline, and (next) the trained
emotion-conditioned acoustic model with its GAN discriminator."""

from ser_synth.synthesis.rule_based import RuleBasedSynthesizer
from ser_synth.synthesis.text import TextEncoder, TextError, normalize_text, split_text

__all__ = ["RuleBasedSynthesizer", "TextEncoder", "TextError", "normalize_text", "split_text"]
