"""Speaker-disjoint splits.

Every split here is computed over *speakers*, and :class:`SpeakerSplit` re-checks
disjointness when it is created, so a split with a speaker on both sides cannot exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from ser_synth.data.records import Utterance
from ser_synth.exceptions import DataError


@dataclass(frozen=True)
class SpeakerSplit:
    """A train/test partition whose speaker sets do not intersect."""

    train: tuple[Utterance, ...]
    test: tuple[Utterance, ...]
    name: str = ""

    def __post_init__(self):
        shared = {r.speaker for r in self.train} & {r.speaker for r in self.test}
        if shared:
            raise DataError(f"split {self.name!r} would put speakers {sorted(shared)} on both sides")

    @property
    def train_speakers(self) -> list[str]:
        return sorted({r.speaker for r in self.train})

    @property
    def test_speakers(self) -> list[str]:
        return sorted({r.speaker for r in self.test})


def speakers_of(records: Sequence[Utterance]) -> list[str]:
    return sorted({r.speaker for r in records})


def _resolve(records, speakers: Sequence[str]) -> set[str]:
    """Accept full ids (``ravdess/07``) or bare ones (``07``, ``7``) when unambiguous."""
    known = speakers_of(records)
    out = set()
    for s in speakers:
        s = str(s).strip()
        if s in known:
            out.add(s)
            continue
        matches = [k for k in known if k.split("/", 1)[-1] == s or k.split("/", 1)[-1].lstrip("0") == s.lstrip("0")]
        if len(matches) != 1:
            raise DataError(f"speaker {s!r} is {'ambiguous' if matches else 'unknown'}; known speakers: {', '.join(known)}")
        out.add(matches[0])
    return out


def holdout_split(records: Sequence[Utterance], test_speakers: Sequence[str]) -> SpeakerSplit:
    """Test on ``test_speakers``, train on everyone else."""
    held = _resolve(records, test_speakers)
    train = tuple(r for r in records if r.speaker not in held)
    test = tuple(r for r in records if r.speaker in held)
    if not train or not test:
        raise DataError(f"hold-out of {sorted(held)} leaves an empty side")
    return SpeakerSplit(train, test, name=f"holdout:{','.join(sorted(held))}")


def leave_one_speaker_out(records: Sequence[Utterance]) -> Iterator[SpeakerSplit]:
    """One split per speaker, that speaker as the test side."""
    for s in speakers_of(records):
        yield holdout_split(records, [s])


def grouped_kfold(records: Sequence[Utterance], k: int, *, seed: int = 0) -> list[SpeakerSplit]:
    """K folds over speakers, balanced by gender where known (round-robin after a seeded shuffle)."""
    speakers = speakers_of(records)
    if not 2 <= k <= len(speakers):
        raise DataError(f"--folds must be in [2, {len(speakers)}] (number of speakers), got {k}")
    gender = {r.speaker: r.gender or "" for r in records}
    rng = np.random.default_rng(seed)
    order = sorted(speakers, key=lambda s: (gender[s], rng.random()))
    folds = [order[i::k] for i in range(k)]
    return [holdout_split(records, f) for f in folds]


def validation_split(records: Sequence[Utterance], fraction: float = 0.15, *, seed: int = 0) -> SpeakerSplit:
    """Hold out about ``fraction`` of the training speakers (at least one) for early stopping."""
    speakers = speakers_of(records)
    if len(speakers) < 2:
        raise DataError(f"need at least 2 speakers to hold out a validation speaker, got {speakers}")
    n = max(1, int(round(fraction * len(speakers))))
    rng = np.random.default_rng(seed)
    gender = {r.speaker: r.gender or "" for r in records}
    # pick alternately by gender so a small validation set is not single-gender
    by_gender: dict[str, list[str]] = {}
    for s in rng.permutation(speakers):
        by_gender.setdefault(gender[s], []).append(str(s))
    pools = list(by_gender.values())
    chosen: list[str] = []
    while len(chosen) < n:
        for pool in pools:
            if pool and len(chosen) < n:
                chosen.append(pool.pop())
    split = holdout_split(records, chosen)
    return SpeakerSplit(split.train, split.test, name=f"validation:{','.join(split.test_speakers)}")
