"""CNN-LSTM speech emotion recognition."""

from ser_synth.recognition.config import ModelConfig, TrainConfig
from ser_synth.recognition.recognizer import EmotionRecognizer

__all__ = ["EmotionRecognizer", "ModelConfig", "TrainConfig"]
