"""``RuleBasedSynthesizer``: the rule-based emotional synthesis baseline (espeak-ng + prosody rules)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.exceptions import ConfigError, DataError
from ser_synth.synthesis.text import TextError


def check_request(emotion: str, intensity: float, speaker: str, *, emotions: Sequence[str], speakers: Sequence[str]) -> str:
    """Validate one synthesis request; returns the canonical emotion.

    Raises :class:`DataError` for an unknown emotion or speaker (listing the valid ones) and
    :class:`ConfigError` for an intensity outside [0, 1].
    """
    from ser_synth.emotions import canonical_emotion

    try:
        emo = canonical_emotion(emotion)
    except DataError:
        emo = None
    if emo not in emotions:
        raise DataError(f"unknown emotion {emotion!r}; this synthesizer speaks {', '.join(emotions)}")
    if speaker not in speakers:
        raise DataError(f"unknown speaker {speaker!r}; this synthesizer has {', '.join(speakers)}")
    if isinstance(intensity, bool) or not isinstance(intensity, (int, float, np.floating)) or not 0 <= float(intensity) <= 1:
        raise ConfigError(f"intensity must be a number in [0, 1], got {intensity!r}")
    return emo


def batch_requests(texts: Sequence[str], emotions: Sequence[str] | str, intensities: Sequence[float] | float,
                   speakers: Sequence[str] | str) -> tuple[list, list, list, list]:
    """One text, emotion, intensity and speaker per request, as lists; a single emotion,
    intensity or speaker applies to every text.

    Raises :class:`TextError` for one ``str`` in place of a sequence of texts (it would be read
    as characters) and :class:`DataError` for no texts or lists of different lengths.
    """
    if isinstance(texts, str):
        raise TextError(f"texts must be a sequence of str, got one str {texts[:40]!r}; synthesize() speaks one text")
    texts = list(texts)
    if not texts:
        raise DataError("synthesize_batch got no texts")
    n = len(texts)
    emotions = [emotions] * n if isinstance(emotions, str) else list(emotions)
    intensities = [intensities] * n if np.isscalar(intensities) else list(intensities)
    speakers = [speakers] * n if isinstance(speakers, str) else list(speakers)
    if not len(emotions) == len(intensities) == len(speakers) == n:
        raise DataError(f"synthesize_batch needs one emotion, intensity and speaker per text; got {n} texts, "
                        f"{len(emotions)} emotions, {len(intensities)} intensities, {len(speakers)} speakers")
    return texts, emotions, intensities, speakers


class RuleBasedSynthesizer:
    """Text + emotion + intensity (+ speaker) -> waveform, by rules.

    espeak-ng speaks the normalised text with an emotion's :class:`ProsodyProfile` (rate,
    pitch, range, volume, pauses, spectral tilt, tremolo, breath), blended with neutral by
    ``intensity``. Nothing is learned; it is the baseline the trained synthesizer must beat.

    Parameters
    ----------
    audio_config : AudioConfig, optional
        Output rate is ``audio_config.sample_rate``.
    profiles : {"calibrated", "naive", "measured"}
        Which of :data:`~ser_synth.data.synthetic.PROFILE_SETS`.
    """

    def __init__(self, *, audio_config: AudioConfig | None = None, profiles: str = "calibrated"):
        from ser_synth.data.synthetic import PROFILE_SETS, SPEAKERS, profile_table

        if profiles not in PROFILE_SETS:
            raise ConfigError(f"profiles must be one of {sorted(PROFILE_SETS)}, got {profiles!r}")
        self.audio_config = AudioConfig.from_dict(audio_config)
        self.profiles = profiles
        self.emotions_ = sorted(profile_table(profiles))
        self.speakers_ = list(SPEAKERS)

    def synthesize(self, text: str, *, emotion: str = "neutral", intensity: float = 1.0, speaker: str = "espeak/m1",
                   seed: int = 0) -> np.ndarray:
        """Waveform float32 ``[samples]`` at ``audio_config.sample_rate``.

        Long text is split at sentence, clause and word boundaries and the pieces joined with
        150 ms pauses.
        """
        from ser_synth.data.synthetic import render_emotional
        from ser_synth.synthesis.text import normalize_text, split_text

        emo = check_request(emotion, intensity, speaker, emotions=self.emotions_, speakers=self.speakers_)
        sr = self.audio_config.sample_rate
        pause = np.zeros(int(0.15 * sr), np.float32)
        pieces = []
        for i, chunk in enumerate(split_text(normalize_text(text))):
            y, _ = render_emotional(chunk, emotion=emo, intensity=float(intensity), speaker=speaker,
                                    profiles=self.profiles, seed=seed + i, sample_rate=sr)
            pieces += [y, pause]
        return np.concatenate(pieces[:-1])

    def synthesize_batch(self, texts: Sequence[str], *, emotions: Sequence[str] | str = "neutral",
                         intensities: Sequence[float] | float = 1.0, speakers: Sequence[str] | str = "espeak/m1",
                         return_mel: bool = False):
        """One waveform per text (lengths differ); with ``return_mel``, ``(waves, log_mels)``,
        each log-mel ``[frames, n_mels]`` from the shared front-end (as a trained synthesizer
        returns them), so :func:`~ser_synth.critic.critique.critique` can score the baseline."""
        texts, emotions, intensities, speakers = batch_requests(texts, emotions, intensities, speakers)
        waves = [self.synthesize(t, emotion=e, intensity=k, speaker=s, seed=i)
                 for i, (t, e, k, s) in enumerate(zip(texts, emotions, intensities, speakers))]
        if not return_mel:
            return waves
        from ser_synth.audio.frontend import LogMelSpectrogram

        frontend = LogMelSpectrogram(self.audio_config)
        return waves, [frontend(w[None])[0].numpy() for w in waves]

    def __repr__(self):
        return f"RuleBasedSynthesizer(profiles={self.profiles!r}, sample_rate={self.audio_config.sample_rate})"
