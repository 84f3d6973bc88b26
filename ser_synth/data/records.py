"""The one record type every corpus reader produces."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Utterance:
    """One labelled recording.

    Attributes
    ----------
    path : str
        Audio file.
    emotion : str
        Canonical emotion (see :mod:`ser_synth.emotions`).
    speaker : str
        Corpus-qualified speaker id (``"ravdess/07"``), unique across corpora.
    corpus : str
    gender : {"male", "female", None}
    text : str or None
        The spoken sentence when known.
    text_id : str or None
        The corpus's sentence code.
    intensity : str or None
        The corpus's intensity level (``"normal"``/``"strong"``, ``"LO"``..``"HI"``).
    raw_label : str
        The corpus's own label before mapping.
    """

    path: str
    emotion: str
    speaker: str
    corpus: str
    gender: str | None = None
    text: str | None = None
    text_id: str | None = None
    intensity: str | None = None
    raw_label: str = ""

    def to_dict(self) -> dict:
        return asdict(self)
