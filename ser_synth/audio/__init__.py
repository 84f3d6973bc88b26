"""Audio I/O, validation, the shared :class:`AudioConfig` and its Keras front-end layers."""

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.io import AUDIO_EXTENSIONS, load_audio, normalize, read_audio, resample, save_audio, trim_silence
from ser_synth.audio.validation import check_audio

__all__ = [
    "AudioConfig", "AUDIO_EXTENSIONS", "check_audio", "load_audio", "normalize", "read_audio",
    "resample", "save_audio", "trim_silence",
]
