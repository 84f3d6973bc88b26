import itertools

import pytest

from ser_synth.data import SpeakerSplit, grouped_kfold, holdout_split, leave_one_speaker_out, validation_split
from ser_synth.data.records import Utterance
from ser_synth.exceptions import DataError


def _records(n_speakers=6, per=5):
    return [Utterance(path=f"{s}_{i}.wav", emotion=("happy", "sad")[i % 2], speaker=f"c/{s:02d}", corpus="c",
                      gender=("male", "female")[s % 2]) for s in range(n_speakers) for i in range(per)]


def _disjoint(split):
    return not ({r.speaker for r in split.train} & {r.speaker for r in split.test})


def test_split_with_shared_speaker_cannot_be_built():
    recs = _records()
    with pytest.raises(DataError, match="both sides"):
        SpeakerSplit(tuple(recs[:3]), tuple(recs[2:8]))


def test_holdout_accepts_bare_ids_and_is_disjoint():
    recs = _records()
    split = holdout_split(recs, ["1", "c/02"])
    assert split.test_speakers == ["c/01", "c/02"] and _disjoint(split)
    assert len(split.train) + len(split.test) == len(recs)
    with pytest.raises(DataError, match="unknown"):
        holdout_split(recs, ["99"])


@pytest.mark.parametrize("k", [2, 3, 6])
def test_grouped_kfold_partitions_speakers(k):
    recs = _records()
    folds = grouped_kfold(recs, k, seed=3)
    assert len(folds) == k and all(_disjoint(f) for f in folds)
    tested = list(itertools.chain.from_iterable(f.test_speakers for f in folds))
    assert sorted(tested) == sorted({r.speaker for r in recs})  # every speaker tested exactly once
    with pytest.raises(DataError, match="--folds"):
        grouped_kfold(recs, 7)


def test_loso_and_validation_split():
    recs = _records()
    splits = list(leave_one_speaker_out(recs))
    assert len(splits) == 6 and all(len(s.test_speakers) == 1 and _disjoint(s) for s in splits)
    val = validation_split(recs, 0.34, seed=0)
    assert len(val.test_speakers) == 2 and _disjoint(val)
    assert {r.gender for r in val.test} == {"male", "female"}
