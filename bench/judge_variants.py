"""Which independent judge? Prosodic judges built differently, chosen on their own training speakers.

    python bench/judge_variants.py [--json out/bench/judge_variants.json]

Every variant is a :class:`ProsodicRecognizer` on neutral/happy/sad/angry trained on the
judges' speakers only (all of EMO-DB and RAVDESS actors 17 and 18, which neither the
``ravdess8`` critic nor the shipped synthesizer heard). Variants (fixed before the first run):

- ``judge4``: the shipped judge's statistics, the recording's own level, logistic regression;
- ``level``: the same with each clip brought to one RMS level (``normalize_level``), which
  carried the prosodic member across corpora (``bench/prosodic_cross.py``);
- ``member``: the fused models' member (``recipes.PROSODIC_MEMBER``: one level, noisy,
  narrow-channel and reverberant copies, one hidden layer of 32 ReLU units);
- ``member_vocoder``: the member also trained on each utterance through the synthesizer's
  vocoder channel, as ``judge4v`` is.

Logistic variants take C from ``GRID`` by the same criterion. The choice is the variant (and C)
with the highest **mean of its speaker-grouped 6-fold CV UAR on the training side, as recorded
and through the vocoder channel** (a judge hears synthesized speech, which that channel
renders); test folds are clean or vocoded speech of unseen training-side speakers, training
folds hold the variant's copies of the other speakers only. RAVDESS actors 01-16 (speakers no
judge heard) are scored, recorded and vocoded, by each variant refitted on the whole side,
and are not used for any choice. No synthesized speech is used for training or for any choice.
"""

from __future__ import annotations

import argparse
import functools

import _common
import numpy as np
from recipes import CORE4, EMODB, PROSODIC_MEMBER, RAVDESS
from recipes import HELD_OUT_ACTORS as JUDGE_SPEAKERS  # plus all of EMO-DB

GRID = (0.05, 0.1, 0.5, 2.0)
CONDITIONS = ("recorded", "vocoded")
VARIANTS = {
    "judge4": {"normalize_level": False},
    "level": {"normalize_level": True},
    "member": dict(PROSODIC_MEMBER),
    "member_vocoder": {**PROSODIC_MEMBER, "vocoder_augment": True},
}


def judge_speech():
    """(the judges' training records, RAVDESS 01-16 records), core4 emotions."""
    from ser_synth.data import read_corpora

    records = read_corpora([RAVDESS, EMODB], emotions=CORE4)
    side = [r for r in records if r.corpus == "emodb" or r.speaker in JUDGE_SPEAKERS]
    unseen = [r for r in records if r.corpus == "ravdess" and r.speaker not in JUDGE_SPEAKERS]
    return side, unseen


def side_cv(feats: dict, train_rows: list, y: np.ndarray, groups: np.ndarray, make) -> dict:
    """Speaker-grouped 6-fold CV: per condition in ``feats`` (``{condition: [n, d]}``), the
    ``[n, classes]`` probabilities of every utterance from a judge ``make()`` fitted on the
    other folds' ``train_rows`` (a list of ``[n, d]`` arrays parallel to ``y``)."""
    from sklearn.model_selection import GroupKFold

    proba = {c: None for c in feats}
    for tr, te in GroupKFold(6).split(y, y, groups):
        fold = make().fit_features(np.concatenate([F[tr] for F in train_rows]), np.tile(y[tr], len(train_rows)))
        for c, F in feats.items():
            p = fold.proba_from_features(F[te])
            if proba[c] is None:
                proba[c] = np.zeros((len(y), p.shape[1]))
            proba[c][te] = p
    return proba


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora(__file__)

    from ser_synth.recognition import ProsodicRecognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.recognition.prosodic import COPY_OPTIONS

    side, unseen = judge_speech()
    labels = sorted(CORE4)
    y, groups = np.array([r.emotion for r in side]), np.array([r.speaker for r in side])
    y_unseen, s_unseen = [r.emotion for r in unseen], [r.speaker for r in unseen]
    base = ProsodicRecognizer(verbose=1)
    # decoded once for every variant: the untrimmed side (the copies' source), trimmed speech and its
    # vocoder-channel rendering (none of them depends on the options)
    raw_side = base.waveforms(side, trim=False)
    speech = {"side": base.waveforms(raw_side), "unseen": base.waveforms(unseen)}
    vocoded = {k: base.waveforms(base.vocoded(w)) for k, w in speech.items()}
    copy_rows = {}  # the copies' statistics, shared by variants whose copies and level agree

    result = {"side": "EMO-DB (10 speakers) + RAVDESS 17, 18", "n_side": len(side),
              "unseen": "RAVDESS 01-16", "n_unseen": len(unseen), "speaker_disjoint": True,
              "criterion": "mean of the side CV UAR recorded and vocoded", "variants": {}}
    for name, options in VARIANTS.items():
        helper = ProsodicRecognizer(**options)
        feats = {k: {"recorded": helper.statistics(speech[k]), "vocoded": helper.statistics(vocoded[k])} for k in speech}
        options_set = tuple(o for o in COPY_OPTIONS if getattr(helper, o))
        key = (options_set, helper.noise_snr_db, helper.normalize_level)
        if key not in copy_rows:
            copy_rows[key] = [helper.statistics(helper.training_copies(o, raw_side, speech["side"])) for o in options_set]
        train_rows = [feats["side"]["recorded"]] + ([feats["side"]["vocoded"]] if helper.vocoder_augment else []) + copy_rows[key]
        runs = {}
        for C in (GRID if not helper.hidden_units else (helper.C,)):
            make = functools.partial(ProsodicRecognizer, **{**options, "C": C})
            proba = side_cv(feats["side"], train_rows, y, groups, make)
            cv = {c: evaluation_report(list(y), proba[c], labels, list(groups))["uar"] for c in CONDITIONS}
            judge = make().fit_features(np.concatenate(train_rows), np.tile(y, len(train_rows)))
            unseen_uar = {c: evaluation_report(y_unseen, judge.proba_from_features(feats["unseen"][c]),
                                               judge.classes_.tolist(), s_unseen)["uar"] for c in CONDITIONS}
            runs[str(C)] = {"cv_uar": cv, "criterion": float(np.mean(list(cv.values()))), "ravdess_01_16_uar": unseen_uar}
            print(f"{name} C={C}: side CV recorded {cv['recorded']:.3f} vocoded {cv['vocoded']:.3f}; "
                  f"RAVDESS 01-16 recorded {unseen_uar['recorded']:.3f} vocoded {unseen_uar['vocoded']:.3f}", flush=True)
        best = max(runs, key=lambda c: runs[c]["criterion"])
        result["variants"][name] = {"options": options, "C": float(best), **runs[best], "by_C": runs}
    choice = max(result["variants"], key=lambda v: result["variants"][v]["criterion"])
    result["choice"] = choice
    print(f"choice: {choice}", flush=True)
    _common.write(result | {"environment": _common.environment()}, args.json)


if __name__ == "__main__":
    main()
