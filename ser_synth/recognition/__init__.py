"""Speech emotion recognition: the CNN-LSTM (``EmotionRecognizer``), a prosodic-statistics
classifier (``ProsodicRecognizer``, the independent judge) and their late fusion
(``FusionRecognizer``)."""

from ser_synth.recognition.config import ModelConfig, TrainConfig
from ser_synth.recognition.fusion import FusionRecognizer
from ser_synth.recognition.prosodic import ProsodicRecognizer
from ser_synth.recognition.recognizer import EmotionRecognizer

__all__ = ["EmotionRecognizer", "FusionRecognizer", "ModelConfig", "ProsodicRecognizer", "TrainConfig", "load_recognizer"]


def load_recognizer(name_or_dir, *, verbose: int = 0):
    """Any saved recognizer folder or shipped name -> an ``EmotionRecognizer``, ``ProsodicRecognizer``
    or ``FusionRecognizer``."""
    from ser_synth.pretrained import resolve_model

    path = resolve_model(name_or_dir)
    if (path / "fusion.json").is_file():
        return FusionRecognizer.load(path, verbose=verbose)
    if (path / "prosodic.json").is_file():
        return ProsodicRecognizer.load(path, verbose=verbose)
    return EmotionRecognizer.load(path, verbose=verbose)
