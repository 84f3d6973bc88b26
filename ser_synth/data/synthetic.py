"""The embedded synthetic corpus: espeak-ng speech with rule-based emotional prosody.

Text comes from :mod:`ser_synth.data.sentences`, speakers are espeak-ng voice variants, and
each emotion is a :class:`ProsodyProfile`: espeak-ng's rate, pitch, pitch range, volume and
word gap, plus three waveform effects espeak-ng cannot do (spectral tilt, tremolo, breath
noise). ``intensity`` in [0, 1] moves every knob from the neutral profile to the emotion's,
and each utterance gets seeded jitter. Rendering is deterministic for a config and cached on
disk; the same code is the rule-based synthesis baseline
(:class:`ser_synth.synthesis.RuleBasedSynthesizer`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ser_synth.data.records import Utterance
from ser_synth.emotions import canonical_emotion
from ser_synth.exceptions import ConfigError, DataError
from ser_synth.utils import DictConfig

FORMAT_VERSION = 2  # 2: seeded espeak-ng noise (breathy voices)


@dataclass(frozen=True)
class ProsodyProfile:
    """How one emotion is spoken (at intensity 1); neutral is a profile too.

    Parameters
    ----------
    rate : float
        Speaking-rate multiplier (words per minute).
    pitch : float
        Offset of espeak-ng's base pitch (0-100 scale, neutral 50).
    pitch_range : float
        Multiplier of espeak-ng's pitch range (neutral 50).
    volume : float
        Loudness multiplier.
    wordgap : float
        Extra pause between words, 10 ms units.
    tilt_db : float
        Spectral tilt in dB per octave above 500 Hz (+ brighter / tenser, - darker / laxer).
    tremolo : float
        Depth of a 6 Hz amplitude modulation (trembling voice), 0-1.
    breath : float
        Breath-noise level relative to the speech RMS.
    """

    rate: float = 1.0
    pitch: float = 0.0
    pitch_range: float = 1.0
    volume: float = 1.0
    wordgap: float = 0.0
    tilt_db: float = 0.0
    tremolo: float = 0.0
    breath: float = 0.0

    def __post_init__(self):
        for name in ("rate", "pitch_range", "volume"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"ProsodyProfile.{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.tremolo < 1 or self.breath < 0 or self.wordgap < 0:
            raise ConfigError(f"ProsodyProfile needs 0 <= tremolo < 1, breath >= 0, wordgap >= 0; got {self}")

    def blend(self, other: "ProsodyProfile", k: float) -> "ProsodyProfile":
        """``k`` of the way from this profile to ``other``: multipliers geometrically, offsets linearly."""
        k = float(k)
        out = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            out[f.name] = a * (b / a) ** k if f.name in _MULTIPLIERS else a + (b - a) * k
        return ProsodyProfile(**out)


_MULTIPLIERS = ("rate", "pitch_range", "volume")

#: Literature-style profiles (after Murray & Arnott 1993 and Schröder 2001): the uncalibrated
#: baseline. :data:`CALIBRATED_PROFILES` are tuned against the real-speech recognizer.
NAIVE_PROFILES: dict[str, ProsodyProfile] = {
    "neutral": ProsodyProfile(),
    "calm": ProsodyProfile(rate=0.88, pitch=-4, pitch_range=0.7, volume=0.85),
    "happy": ProsodyProfile(rate=1.1, pitch=12, pitch_range=1.6, volume=1.1),
    "sad": ProsodyProfile(rate=0.75, pitch=-10, pitch_range=0.5, volume=0.7, wordgap=3),
    "angry": ProsodyProfile(rate=1.15, pitch=6, pitch_range=1.3, volume=1.4),
    "fearful": ProsodyProfile(rate=1.25, pitch=18, pitch_range=1.3, volume=0.9),
    "disgust": ProsodyProfile(rate=0.8, pitch=-8, pitch_range=1.1),
    "surprised": ProsodyProfile(rate=1.0, pitch=15, pitch_range=1.9, volume=1.15),
}
#: Tuned by ``bench/rule_based_emotion.py --calibrate`` (coordinate search over every knob, to
#: maximise the shipped ``core4`` recognizer's probability of the intended emotion on 14
#: grammar sentences x 7 voices); the other emotions keep their naive profiles. They are
#: caricatures (fast monotone neutral, very high bright happy, slow dark sad, loud bright
#: angry with long pauses): what a recognizer trained on acted speech keys on, not natural
#: prosody. Held-out figures: ``bench/results/rule_based_emotion.json``.
CALIBRATED_PROFILES: dict[str, ProsodyProfile] = {
    **NAIVE_PROFILES,
    "neutral": ProsodyProfile(rate=1.6, pitch=-15, pitch_range=0.2, wordgap=5, tilt_db=-6),
    "happy": ProsodyProfile(rate=0.7, pitch=35, pitch_range=2.0, volume=1.4, tilt_db=9, tremolo=0.2),
    "sad": ProsodyProfile(rate=0.6, pitch=-25, pitch_range=0.2, volume=0.7, tilt_db=-9, tremolo=0.2),
    "angry": ProsodyProfile(pitch=35, pitch_range=1.4, volume=2.0, wordgap=10, tilt_db=9, tremolo=0.2, breath=0.1),
}
#: Set by what real actors do, with no recognizer involved (``bench/measure_prosody.py``): each
#: emotion's change from neutral in RAVDESS training actors 01-16 at strong intensity (median F0,
#: F0 spread, duration, level, spectral tilt) mapped through the measured response of each
#: espeak-ng knob. RAVDESS actors raise pitch, loudness and duration in every strong emotion,
#: so these profiles differ from each other less than the caricatures do; the pitch offset is
#: capped at espeak-ng's range (45) and the volume at 1.4 (louder only clips). Other emotions
#: keep their naive profiles. Figures: ``bench/results/measured_prosody.json``.
MEASURED_PROFILES: dict[str, ProsodyProfile] = {
    **NAIVE_PROFILES,
    "neutral": ProsodyProfile(),
    "happy": ProsodyProfile(pitch=45.0, pitch_range=1.18, rate=0.81, volume=1.4, tilt_db=-1.59),
    "sad": ProsodyProfile(pitch=33.02, pitch_range=1.08, rate=0.81, volume=1.4, tilt_db=-0.09),
    "angry": ProsodyProfile(pitch=45.0, pitch_range=1.25, rate=0.81, volume=1.4, tilt_db=-1.88),
    "fearful": ProsodyProfile(pitch=45.0, pitch_range=0.91, rate=0.95, volume=1.4, tilt_db=-1.15),
    "surprised": ProsodyProfile(pitch=38.65, pitch_range=1.51, rate=0.97, volume=1.4, tilt_db=-0.38),
}
#: The calibrated prosody (rate, pitch, range, level, pauses) with none of the waveform effects
#: (tilt, tremolo, breath): the caricatures' +-9 dB/octave tilts and breath noise are spectra no
#: actor speaks (``bench/synth_feature_gap.py``), and a synthesizer trained on them keeps them.
CALIBRATED_PROSODY_PROFILES: dict[str, ProsodyProfile] = {
    e: dataclasses.replace(p, tilt_db=0.0, tremolo=0.0, breath=0.0) for e, p in CALIBRATED_PROFILES.items()}
#: The profile sets by name (``SyntheticCorpusConfig.profiles``).
PROFILE_SETS = {"calibrated": CALIBRATED_PROFILES, "calibrated_prosody": CALIBRATED_PROSODY_PROFILES,
                "naive": NAIVE_PROFILES, "measured": MEASURED_PROFILES}

#: espeak-ng voice variants used as speakers: id -> (voice, gender)
SPEAKERS: dict[str, tuple[str, str]] = {
    **{f"espeak/m{i}": (f"en-us+m{i}", "male") for i in range(1, 8)},
    **{f"espeak/f{i}": (f"en-us+f{i}", "female") for i in range(1, 6)},
}
SYNTHETIC_EMOTIONS = ("neutral", "happy", "sad", "angry", "fearful", "surprised")
_ESPEAK_NEUTRAL = {"rate": 165.0, "pitch": 50.0, "range": 50.0, "volume": 100.0}


@dataclass(frozen=True)
class SyntheticCorpusConfig(DictConfig):
    """What the embedded corpus contains.

    Every sentence is spoken in every emotion (parallel data), each by one speaker picked
    round-robin, at each intensity.

    Parameters
    ----------
    n_sentences : int
    n_phrases : int
        Short texts of one to four words (:func:`~ser_synth.data.sentences.generate_phrases`)
        spoken like the sentences. A model that heard none squeezes "Hi" into 40 ms; phrases
        fix the words they contain, not new short words.
    emotions : tuple of str
    speakers : tuple of str
        Keys of :data:`SPEAKERS`.
    intensities : tuple of float
        In [0, 1]; neutral is rendered once per sentence regardless.
    jitter : float
        Relative per-utterance random variation of rate, pitch, range and volume.
    profiles : {"calibrated", "calibrated_prosody", "naive", "measured"}
        Which of :data:`PROFILE_SETS`.
    seed : int
    sample_rate : int
        Output rate in Hz (espeak-ng renders at 22050 Hz; soxr resamples).
    """

    n_sentences: int = 60
    n_phrases: int = 0
    emotions: tuple[str, ...] = SYNTHETIC_EMOTIONS
    speakers: tuple[str, ...] = tuple(SPEAKERS)
    intensities: tuple[float, ...] = (0.5, 1.0)
    jitter: float = 0.06
    profiles: str = "calibrated"
    seed: int = 0
    sample_rate: int = 16000

    def __post_init__(self):
        if not isinstance(self.n_sentences, int) or self.n_sentences <= 0:
            raise ConfigError(f"SyntheticCorpusConfig.n_sentences must be a positive int, got {self.n_sentences!r}")
        if not isinstance(self.n_phrases, int) or isinstance(self.n_phrases, bool) or self.n_phrases < 0:
            raise ConfigError(f"SyntheticCorpusConfig.n_phrases must be a non-negative int, got {self.n_phrases!r}")
        object.__setattr__(self, "emotions", tuple(canonical_emotion(e) for e in self.emotions))
        bad = [e for e in self.emotions if e not in NAIVE_PROFILES]
        if bad or not self.emotions:
            raise ConfigError(f"SyntheticCorpusConfig.emotions must be a non-empty subset of {sorted(NAIVE_PROFILES)}, got {list(self.emotions)}")
        bad = [s for s in self.speakers if s not in SPEAKERS]
        if bad or not self.speakers:
            raise ConfigError(f"unknown synthetic speakers {bad or '(none given)'}; expected some of {list(SPEAKERS)}")
        object.__setattr__(self, "intensities", tuple(float(x) for x in self.intensities))
        if not self.intensities or any(not 0 < x <= 1 for x in self.intensities):
            raise ConfigError(f"SyntheticCorpusConfig.intensities must be in (0, 1], got {list(self.intensities)}")
        if not 0 <= self.jitter < 0.5:
            raise ConfigError(f"SyntheticCorpusConfig.jitter must be in [0, 0.5), got {self.jitter!r}")
        if self.profiles not in PROFILE_SETS:
            raise ConfigError(f"SyntheticCorpusConfig.profiles must be one of {sorted(PROFILE_SETS)}, got {self.profiles!r}")

    def key(self) -> str:
        """Short hash naming the cache folder (changes with the config and the profiles)."""
        profiles = profile_table(self.profiles)
        config = self.to_dict()
        if not self.n_phrases:  # corpora rendered before the field existed keep their folder
            del config["n_phrases"]
        blob = json.dumps({"config": config, "profiles": {k: dataclasses.asdict(v) for k, v in profiles.items()},
                           "format": FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


def profile_table(name) -> dict[str, ProsodyProfile]:
    """The profiles of :data:`PROFILE_SETS` named ``name``, by emotion (a mapping passes through)."""
    if isinstance(name, dict):
        return name
    return PROFILE_SETS[name]


def _shelf(y: np.ndarray, sr: int, tilt_db: float) -> np.ndarray:
    """Spectral tilt: gain of ``tilt_db`` per octave above 500 Hz (one FFT of the whole clip)."""
    if abs(tilt_db) < 1e-6:
        return y
    spec = np.fft.rfft(y)
    freqs = np.fft.rfftfreq(y.size, 1.0 / sr)
    octaves = np.log2(np.maximum(freqs, 500.0) / 500.0)
    return np.fft.irfft(spec * 10 ** (tilt_db * octaves / 20), n=y.size).astype(np.float32)


def apply_effects(y: np.ndarray, sr: int, profile: ProsodyProfile, rng: np.random.Generator) -> np.ndarray:
    """The waveform-level parts of a profile: tilt, tremolo, breath noise, then volume."""
    y = _shelf(y, sr, profile.tilt_db)
    if profile.tremolo > 0:
        t = np.arange(y.size) / sr
        y = y * (1 - profile.tremolo * 0.5 * (1 + np.sin(2 * np.pi * 6.0 * t + rng.uniform(0, 2 * np.pi))))
    if profile.breath > 0:
        rms = float(np.sqrt(np.mean(y ** 2)) + 1e-9)
        env = np.convolve(np.abs(y), np.ones(441) / 441, mode="same")
        noise = _shelf(rng.standard_normal(y.size).astype(np.float32), sr, 3.0)
        y = y + profile.breath * rms * noise * (env / (env.max() + 1e-9)) * 4
    return (y * profile.volume).astype(np.float32)


def render_emotional(text: str, *, emotion: str, intensity: float = 1.0, speaker: str = "espeak/m1",
                     profiles="calibrated", jitter: float = 0.0, seed: int = 0, sample_rate: int = 16000):
    """Rule-based emotional speech: ``(waveform float32 [samples] at sample_rate, phonemes)``.

    ``profiles`` is a name in :data:`PROFILE_SETS` or a dict emotion -> :class:`ProsodyProfile`.

    ``phonemes`` is a tuple of (espeak phoneme, start time in seconds).
    """
    from ser_synth.audio.io import resample
    from ser_synth.data import espeak

    emotion = canonical_emotion(emotion)
    table = profile_table(profiles)
    if emotion not in table:
        raise DataError(f"no prosody profile for emotion {emotion!r}; known: {sorted(table)}")
    if speaker not in SPEAKERS:
        raise DataError(f"unknown synthetic speaker {speaker!r}; expected one of {list(SPEAKERS)}")
    if not 0 <= float(intensity) <= 1:
        raise ConfigError(f"intensity must be in [0, 1], got {intensity!r}")
    prof = table["neutral"].blend(table[emotion], intensity) if "neutral" in table else table[emotion]
    rng = np.random.default_rng(seed)
    j = (lambda: 1.0 + jitter * float(rng.uniform(-1, 1))) if jitter else (lambda: 1.0)
    voice, _gender = SPEAKERS[speaker]
    base = _ESPEAK_NEUTRAL
    r = espeak.render(text, voice=voice, rate=base["rate"] * prof.rate * j(), pitch=(base["pitch"] + prof.pitch) * j(),
                      pitch_range=base["range"] * prof.pitch_range * j(), volume=base["volume"] * j(), wordgap=prof.wordgap,
                      seed=seed % (2 ** 31))
    y = apply_effects(r.waveform, r.sample_rate, dataclasses.replace(prof, volume=min(prof.volume, 2.0)), rng)
    y = np.clip(y * 0.9, -1.0, 1.0)  # espeak peaks near 0.7; volume can push past full scale
    if sample_rate != r.sample_rate:
        y = resample(y, r.sample_rate, sample_rate)
    phon = tuple((p, s / r.sample_rate) for p, s in r.phonemes)
    return y.astype(np.float32), phon


def default_cache_dir() -> Path:
    """``$SER_SYNTH_CACHE`` or ``~/.cache/ser_synth``."""
    return Path(os.environ.get("SER_SYNTH_CACHE", Path.home() / ".cache" / "ser_synth")).expanduser()


def _plan(config: SyntheticCorpusConfig) -> list[dict]:
    from ser_synth.data.sentences import generate_phrases, generate_sentences

    texts = [(f"s{config.seed}-{i:05d}", t) for i, t in enumerate(generate_sentences(config.n_sentences, seed=config.seed))]
    texts += [(f"p{config.seed}-{i:05d}", t) for i, t in enumerate(generate_phrases(config.n_phrases, seed=config.seed))]
    items = []
    for i, (text_id, text) in enumerate(texts):
        speaker = config.speakers[i % len(config.speakers)]
        for emotion in config.emotions:
            for intensity in ((1.0,) if emotion == "neutral" else config.intensities):
                items.append({"text": text, "text_id": text_id, "speaker": speaker, "emotion": emotion,
                              "intensity": intensity})
    return items


def synthetic_corpus(config: SyntheticCorpusConfig | dict | None = None, *, cache_dir: str | Path | None = None,
                     verbose: int = 1) -> list[Utterance]:
    """Render (or load from cache) the embedded corpus; returns its :class:`Utterance` records.

    Files are 16-bit FLAC under ``<cache_dir>/synthetic/<config hash>/`` with a
    ``manifest.json`` (config, records, phoneme timings). Built in a temporary folder and
    renamed into place, so an interrupted run leaves no half corpus. Identical for identical
    configs (rendered in fresh worker processes, see :func:`_render_chunks`).
    """
    from ser_synth.utils import atomic_directory

    config = SyntheticCorpusConfig.from_dict(config)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = root / "synthetic" / config.key()
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        items = _plan(config)
        bar = None
        if verbose:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc="rendering synthetic corpus", unit="utt")
        with atomic_directory(folder) as tmp:
            for start, rendered in _render_chunks(config, items, tmp):
                items[start:start + len(rendered)] = rendered
                if bar is not None:
                    bar.update(len(rendered))
            (tmp / "manifest.json").write_text(json.dumps({"format_version": FORMAT_VERSION, "config": config.to_dict(), "items": items}))
        if bar is not None:
            bar.close()
    return read_synthetic(folder)


_CHUNK = 48


def _render_chunk(config_dict: dict, start: int, items: list[dict], folder: str) -> list[dict]:
    """Render ``items`` (numbered from ``start``) into ``folder``; returns them with file names."""
    from ser_synth.audio.io import save_audio

    config = SyntheticCorpusConfig.from_dict(config_dict)
    out = []
    for k, it in enumerate(items, start=start):
        seed = int(hashlib.sha1(f"{config.seed}/{k}".encode()).hexdigest()[:8], 16)
        y, phon = render_emotional(it["text"], emotion=it["emotion"], intensity=it["intensity"], speaker=it["speaker"],
                                   profiles=config.profiles, jitter=config.jitter, seed=seed, sample_rate=config.sample_rate)
        name = f"{k:06d}_{it['speaker'].split('/')[1]}_{it['emotion']}_{int(round(it['intensity'] * 100)):03d}.flac"
        save_audio(Path(folder) / name, y, config.sample_rate)
        out.append({**it, "file": name, "phonemes": [[p, round(t, 4)] for p, t in phon]})
    return out


def _worker_main():  # pragma: no cover - runs in a child process
    """Child-process entry: the path of a JSON job file in argv, rendered items as JSON on stdout."""
    import sys

    job = json.loads(Path(sys.argv[1]).read_text())
    sys.stdout.write(json.dumps(_render_chunk(job["config"], job["start"], job["items"], job["folder"])))


def _render_chunks(config: SyntheticCorpusConfig, items: list[dict], folder: Path, workers: int = 2):
    """Yield ``(start, rendered items)`` for chunks of ``_CHUNK`` items, each in a fresh process.

    espeak-ng keeps synthesis state in static variables that no API call resets (pitch
    flutter phase and the like), so an utterance depends on everything the process spoke
    before it. A fresh interpreter per fixed-size chunk makes the corpus identical whatever
    the caller did before and however many workers run. Plain subprocesses, not
    multiprocessing: spawn re-imports the caller's main script, which hangs scripts without
    a ``__main__`` guard.
    """
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from ser_synth.data.synthetic import _worker_main; _worker_main()"]
    jobs = [{"config": config.to_dict(), "start": i, "items": items[i:i + _CHUNK], "folder": str(folder)}
            for i in range(0, len(items), _CHUNK)]
    running = []
    while jobs or running:
        while jobs and len(running) < workers:
            job = jobs.pop(0)
            job_file = Path(folder) / f".job{job['start']}.json"
            job_file.write_text(json.dumps(job))
            proc = subprocess.Popen(cmd + [str(job_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running.append((job["start"], proc, job_file))
        start, proc, job_file = running.pop(0)
        out, err = proc.communicate()
        job_file.unlink()
        if proc.returncode != 0:
            raise DataError(f"rendering the synthetic corpus failed (chunk at item {start}): {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
        yield start, json.loads(out)


def read_synthetic(folder: str | Path) -> list[Utterance]:
    """Records of a rendered synthetic corpus folder (one with ``manifest.json``)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise DataError(f"{str(folder)!r} is not a rendered synthetic corpus (no manifest.json)")
    meta = json.loads(path.read_text())
    return [Utterance(path=str(folder / it["file"]), emotion=it["emotion"], speaker=it["speaker"], corpus="synthetic",
                      gender=SPEAKERS[it["speaker"]][1], text=it["text"], text_id=it["text_id"],
                      intensity=f"{it['intensity']:.2f}", raw_label=it["emotion"]) for it in meta["items"]]


def parse_synthetic_spec(options: str) -> SyntheticCorpusConfig:
    """``"n_sentences=200,seed=1,profiles=naive"`` (the part after ``synthetic:``) -> config.

    Tuple fields take ``+``-separated values (``emotions=neutral+sad``).
    """
    fields = {f.name: f for f in dataclasses.fields(SyntheticCorpusConfig)}
    kw = {}
    for part in filter(None, (p.strip() for p in options.replace(";", ",").split(","))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or key not in fields:
            raise DataError(f"bad synthetic corpus option {part!r}; expected key=value with key in {sorted(fields)}")
        default = getattr(SyntheticCorpusConfig(), key)
        if isinstance(default, tuple):
            conv = float if key == "intensities" else str
            kw[key] = tuple(conv(v) for v in value.split("+") if v)
        elif isinstance(default, str):
            kw[key] = value
        else:
            try:
                kw[key] = type(default)(value)
            except ValueError:
                raise DataError(f"synthetic corpus option {key}={value!r} is not a {type(default).__name__}") from None
    return SyntheticCorpusConfig(**kw)


__all__ = [
    "CALIBRATED_PROFILES", "NAIVE_PROFILES", "ProsodyProfile", "SPEAKERS", "SYNTHETIC_EMOTIONS", "SyntheticCorpusConfig",
    "apply_effects", "parse_synthetic_spec", "read_synthetic", "render_emotional", "synthetic_corpus",
]
