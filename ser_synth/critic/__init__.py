"""The recognizer as a critic of synthesized speech (where recognition and synthesis meet)."""

from ser_synth.critic.critic import EmotionCritic

__all__ = ["EmotionCritic"]
