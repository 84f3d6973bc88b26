"""ser_synth: emotional speech recognition and synthesis on TensorFlow/Keras 3."""

import os as _os

# recorded before the default is set, so the CLI can keep TensorFlow's start-up logs for a
# user who asked for a log level (see ser_synth.cli.import_tensorflow_quietly)
_USER_TF_LOG_LEVEL = _os.environ.get("TF_CPP_MIN_LOG_LEVEL")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from ser_synth.audio import AudioConfig, check_audio, load_audio  # noqa: E402
from ser_synth.exceptions import (  # noqa: E402
    AudioError, ConfigError, DataError, ModelError, NotFittedError, OutputPathError, SerSynthError,
)


def __getattr__(name):
    # keep `import ser_synth` light: the recognizer pulls in Keras models only when used
    if name == "EmotionRecognizer":
        from ser_synth.recognition import EmotionRecognizer

        return EmotionRecognizer
    if name in ("EmotionalSynthesizer", "RuleBasedSynthesizer"):
        import ser_synth.synthesis as synthesis

        return getattr(synthesis, name)
    raise AttributeError(f"module 'ser_synth' has no attribute {name!r}")


__all__ = [
    "AudioConfig", "AudioError", "ConfigError", "DataError", "EmotionRecognizer", "EmotionalSynthesizer", "ModelError", "OutputPathError",
    "RuleBasedSynthesizer",
    "NotFittedError", "SerSynthError", "check_audio", "load_audio", "__version__",
]
