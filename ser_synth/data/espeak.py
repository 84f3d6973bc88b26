"""espeak-ng through its C API (ctypes), loaded from the ``espeakng-loader`` wheel.

The wheel ships ``libespeak-ng.so`` and its voice data, so nothing is installed by apt and
nothing is downloaded. Used for the embedded synthetic corpus, the rule-based baseline and
phonemes. espeak-ng keeps global state, so one process-wide engine is guarded by a lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from ser_synth.exceptions import SerSynthError

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_EVENT_WORD, _EVENT_END, _EVENT_PHONEME = 1, 5, 7
PARAMETERS = {"rate": 1, "volume": 2, "pitch": 3, "range": 4, "wordgap": 7}
# espeak-ng's documented ranges (rate in words per minute)
LIMITS = {"rate": (80, 450), "volume": (0, 200), "pitch": (0, 100), "range": (0, 100), "wordgap": (0, 100)}


class EspeakError(SerSynthError, RuntimeError):
    """espeak-ng cannot be loaded, or rejected a voice or a request."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Rendered:
    """One espeak-ng rendering.

    Attributes
    ----------
    waveform : np.ndarray float32 ``[samples]`` in [-1, 1]
    sample_rate : int
        espeak-ng's native rate (22050 Hz).
    phonemes : tuple of (str, int)
        espeak-ng phoneme mnemonics with their start sample.
    words : tuple of int
        Start sample of each word.
    """

    waveform: np.ndarray
    sample_rate: int
    phonemes: tuple
    words: tuple


class _Engine:
    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise EspeakError("espeak-ng is not available: the 'espeakng-loader' package is not installed (pip install espeakng-loader)") from e
        lib_path, data_path = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as e:
            raise EspeakError(f"cannot load libespeak-ng from {lib_path!r}: {e}") from e
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
        if rate <= 0:
            raise EspeakError(f"espeak_Initialize failed (returned {rate}) with data at {data_path!r}")
        self.lib, self.sample_rate, self.lock = lib, rate, threading.Lock()
        self._chunks, self._events = [], []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice = None

    def _on_audio(self, wav, n, events):
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:  # LIST_TERMINATED
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                self._events.append(("phoneme", ev.id.string.decode("utf-8", "replace"), ev.sample))
            elif ev.type == _EVENT_WORD:
                self._events.append(("word", "", ev.sample))
            i += 1
        return 0

    def set_voice(self, voice: str):
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"espeak-ng has no voice {voice!r} (use e.g. 'en-us', 'en-us+f3', 'en-gb+m2')")
            self._voice = voice

    def render(self, text: str, voice: str, params: dict, seed: int = 0) -> Rendered:
        with self.lock:
            self.set_voice(voice)
            # breathy variants (f5, ...) draw noise from espeak-ng's own generator
            self.lib.espeak_ng_SetRandSeed(int(seed))
            for name, value in params.items():
                lo, hi = LIMITS[name]
                self.lib.espeak_SetParameter(PARAMETERS[name], int(np.clip(round(value), lo, hi)), 0)
            self._chunks, self._events = [], []
            data = text.encode("utf-8")
            err = self.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
            if err != 0:
                raise EspeakError(f"espeak_Synth failed with code {err} for text {text[:60]!r}")
            self.lib.espeak_Synchronize()
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            events = list(self._events)
        return Rendered(waveform=(pcm.astype(np.float32) / 32768.0), sample_rate=self.sample_rate,
                        phonemes=tuple((p, s) for kind, p, s in events if kind == "phoneme" and p),
                        words=tuple(s for kind, _, s in events if kind == "word"))

    def phonemes(self, text: str, voice: str) -> str:
        with self.lock:
            self.set_voice(voice)
            buf = ctypes.c_char_p(text.encode("utf-8"))
            out = []
            while buf.value:  # one clause per call; the pointer advances
                res = self.lib.espeak_TextToPhonemes(ctypes.byref(buf), _CHARS_UTF8, _PHONEMES_IPA)
                if res:
                    out.append(res.decode("utf-8", "replace").strip())
            return " ".join(o for o in out if o)


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> _Engine:
    """The process-wide espeak-ng engine (loaded on first use; :class:`EspeakError` if it cannot)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


def available() -> bool:
    """True when espeak-ng loads and initialises on this machine."""
    try:
        engine()
        return True
    except EspeakError:
        return False


def render(text: str, *, voice: str = "en-us", rate: float = 175, pitch: float = 50, pitch_range: float = 50,
           volume: float = 100, wordgap: float = 0, seed: int = 0) -> Rendered:
    """Speak ``text`` with espeak-ng.

    Parameters
    ----------
    text : str
    voice : str
        Voice and optional variant, e.g. ``"en-us+f3"``.
    rate : float
        Words per minute (80-450; default 175).
    pitch, pitch_range : float
        Base pitch and pitch range, 0-100 (default 50).
    volume : float
        0-200 (default 100).
    wordgap : float
        Extra pause between words, in units of 10 ms.
    seed : int
        Seed of espeak-ng's noise generator (breathy voice variants use it).

    Repeated calls in one process can still differ by a few samples: espeak-ng keeps pitch
    flutter state between utterances that no API resets (see
    :func:`ser_synth.data.synthetic.synthetic_corpus` for bit-exact rendering).
    """
    if not isinstance(text, str) or not text.strip():
        raise EspeakError(f"espeak-ng needs non-empty text, got {text!r}")
    return engine().render(text, voice, {"rate": rate, "pitch": pitch, "range": pitch_range, "volume": volume, "wordgap": wordgap}, seed)


def phonemize(text: str, *, voice: str = "en-us") -> str:
    """IPA phonemes of ``text`` (words separated by spaces, clauses joined by a space)."""
    if not isinstance(text, str) or not text.strip():
        raise EspeakError(f"espeak-ng needs non-empty text, got {text!r}")
    return engine().phonemes(text, voice)
