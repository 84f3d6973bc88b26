"""Canonical emotion vocabulary and the per-corpus label mappings.

All corpora are mapped onto one vocabulary so that models trained on one corpus can be
evaluated on another. ``calm`` (RAVDESS only) stays its own class unless ``fold_calm=True``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ser_synth.exceptions import DataError

#: Canonical labels, in a fixed order used for class indices when no other order is given.
EMOTIONS: tuple[str, ...] = (
    "neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised",
    "boredom", "frustrated",
)

#: The 4-class set used for cross-corpus work.
CORE4: tuple[str, ...] = ("neutral", "happy", "sad", "angry")

_ALIASES = {
    "neu": "neutral", "neutral": "neutral", "n": "neutral",
    "calm": "calm",
    "hap": "happy", "happy": "happy", "happiness": "happy", "joy": "happy", "exc": "happy",
    "sad": "sad", "sadness": "sad",
    "ang": "angry", "angry": "angry", "anger": "angry",
    "fea": "fearful", "fear": "fearful", "fearful": "fearful",
    "dis": "disgust", "disgust": "disgust", "disgusted": "disgust",
    "sur": "surprised", "surprise": "surprised", "surprised": "surprised", "ps": "surprised",
    "bored": "boredom", "boredom": "boredom",
    "fru": "frustrated", "frustrated": "frustrated", "frustration": "frustrated",
}


def emotion_aliases(emotions: Iterable[str]) -> dict[str, str]:
    """Every label :func:`canonical_emotion` accepts for one of ``emotions`` -> that emotion
    (for lookup tables in exported graphs, which cannot call Python)."""
    wanted = set(emotions)
    return {alias: canon for alias, canon in _ALIASES.items() if canon in wanted}


def canonical_emotion(label: str) -> str:
    """Map a label or common alias (``"anger"``, ``"hap"``, ``"ps"``) to the canonical name.

    Raises
    ------
    DataError
        If the label is not a known emotion.
    """
    key = str(label).strip().lower()
    if key not in _ALIASES:
        raise DataError(
            f"unknown emotion {label!r}; expected one of {', '.join(EMOTIONS)} (or an alias)"
        )
    return _ALIASES[key]


def parse_emotions(spec: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Parse an ``--emotions`` value (``"neutral,happy,sad,angry"``, ``"core4"`` or a list).

    Returns ``None`` for ``None``/empty (keep every emotion). Duplicates are an error.
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.strip().lower() == "core4":
            return CORE4
        items = [s for s in (p.strip() for p in spec.split(",")) if s]
    else:
        items = list(spec)
    if not items:
        return None
    out = tuple(canonical_emotion(s) for s in items)
    if len(set(out)) != len(out):
        raise DataError(f"--emotions lists an emotion twice: {spec!r}")
    return out


def select_emotion(emotion: str, subset: Iterable[str] | None, *, fold_calm: bool = False) -> str | None:
    """Return the label to train on, or ``None`` when the utterance is left out.

    ``fold_calm`` maps ``calm`` onto ``neutral`` (only when asked, as RAVDESS's authors
    treat calm as its own category).
    """
    if fold_calm and emotion == "calm":
        emotion = "neutral"
    if subset is not None and emotion not in subset:
        return None
    return emotion
