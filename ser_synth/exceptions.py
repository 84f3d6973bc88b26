"""Exception tree of ser_synth.

Every error a user can cause is a :class:`SerSynthError`, so callers can catch one type.
Subclasses also derive from the matching builtin (``ValueError``, ``FileNotFoundError``)
so code written against the builtins keeps working.
"""


class SerSynthError(Exception):
    """Base class of every error ser_synth raises on purpose."""


class ConfigError(SerSynthError, ValueError):
    """A configuration value is out of range or of the wrong type."""


class AudioError(SerSynthError, ValueError):
    """Audio that cannot be used: bad content, shape, dtype or format."""


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    """An audio path that does not exist."""


class AudioFormatError(AudioError):
    """A file or byte string that is not decodable audio (or has an unsupported sample width)."""


class DataError(SerSynthError, ValueError):
    """A corpus, manifest, label set or split that cannot be used."""


class ModelError(SerSynthError):
    """A model that cannot be built, loaded or found."""


class OutputPathError(SerSynthError, OSError):
    """A place to write that cannot be used: a file where a folder is needed or the reverse,
    or a folder that cannot be created."""


class NotFittedError(SerSynthError, AttributeError):
    """A facade method that needs a fitted model was called before ``fit``/``load``."""


class SilentAudioWarning(UserWarning):
    """The clip is digitally silent: legal, but features will be the log floor."""
