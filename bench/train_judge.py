"""Train the shipped independent judge ``judge4`` and write its model card from measured figures.

    python bench/train_judge.py [--out ser_synth/pretrained/judge4] [--json out/bench/judge4.json]

The judge is a :class:`ProsodicRecognizer` (utterance statistics + logistic regression) on
neutral/happy/sad/angry, trained on speakers that neither the ``ravdess8`` critic nor the
shipped synthesizer ever heard: all of EMO-DB and RAVDESS actors 17 and 18. Reported:
speaker-grouped 6-fold CV on that side (regularisation chosen by it), and cross-corpus on
RAVDESS actors 01-16 (speakers the judge never heard; not used for any choice).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common
import numpy as np
from recipes import EMODB, RAVDESS

ROOT = Path(__file__).resolve().parents[1]
CORE4 = ["neutral", "happy", "sad", "angry"]
JUDGE_SPEAKERS = {"ravdess/17", "ravdess/18"}  # plus all of EMO-DB
GRID = (0.05, 0.1, 0.5, 2.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "ser_synth" / "pretrained" / "judge4"))
    ap.add_argument("--json")
    args = ap.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from ser_synth.data import read_corpora
    from ser_synth.recognition import ProsodicRecognizer
    from ser_synth.recognition.metrics import evaluation_report, write_json
    from ser_synth.utils import atomic_write_text

    records = read_corpora([RAVDESS, EMODB], emotions=CORE4)
    side = [r for r in records if r.corpus == "emodb" or r.speaker in JUDGE_SPEAKERS]
    unseen = [r for r in records if r.corpus == "ravdess" and r.speaker not in JUDGE_SPEAKERS]
    feats = ProsodicRecognizer(verbose=1).features(side)
    y, groups = np.array([r.emotion for r in side]), np.array([r.speaker for r in side])
    cv = {}
    for C in GRID:
        proba = np.zeros((len(y), 4))
        for tr, te in GroupKFold(6).split(feats, y, groups):
            mean, scale = feats[tr].mean(0), np.maximum(feats[tr].std(0), 1e-6)
            clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((feats[tr] - mean) / scale, y[tr])
            proba[te] = clf.predict_proba((feats[te] - mean) / scale)
        cv[C] = evaluation_report(list(y), proba, sorted(CORE4), list(groups))
        print(f"C={C}: speaker-grouped CV UAR {cv[C]['uar']:.3f}", flush=True)
    best = max(GRID, key=lambda c: cv[c]["uar"])
    judge = ProsodicRecognizer(C=best).fit(side)
    cross = judge.evaluate(unseen)
    dest = judge.save(args.out)
    result = {"C": best, "cv_uar_by_C": {str(c): cv[c]["uar"] for c in GRID}, "cv": cv[best], "n_train": len(side),
              "train_speakers": judge.train_speakers_, "cross_corpus_ravdess_01_16": cross, "environment": _common.environment()}
    write_json(result, dest / "metrics.json")
    atomic_write_text(dest / "MODEL_CARD.md", "\n".join([
        "# `judge4` — independent judge of neutral, happy, sad, angry", "",
        f"A `ProsodicRecognizer`: {judge.mean_.shape[0]} utterance-level prosodic and spectral statistics (pitch, loudness, "
        "pauses, spectral shape, MFCC statistics, onset rate) and a balanced logistic regression "
        f"(C = {best}, chosen by speaker-grouped CV). No neural network and no weights shared with the critics.", "",
        "## Training data",
        f"- All of EMO-DB (10 speakers, German) and RAVDESS actors 17 and 18: {len(side)} utterances. The `ravdess8` critic "
        "and the shipped synthesizer never heard any of these speakers.", "",
        "## Measured",
        f"- Speaker-grouped 6-fold CV on its own training side: UAR {cv[best]['uar']:.3f}, WA {cv[best]['wa']:.3f} (n = {cv[best]['n']}).",
        f"- Cross-corpus, RAVDESS actors 01-16 (speakers it never heard): UAR {cross['uar']:.3f}, WA {cross['wa']:.3f} (n = {cross['n']}).",
        "", "Reproduce: `python bench/train_judge.py`.", "",
        "## Limits",
        "A weak judge (chance is 0.25): its verdicts on synthesized speech carry a wide error bar, and it hears "
        "English through mostly German training speech. Use it to catch a synthesizer that only fools the CRNN critic, "
        "not as a measure of human perception.", "",
        "## Licence",
        "EMO-DB is CC0; RAVDESS actors 17 and 18 are CC BY-NC-SA 4.0, so these weights are for non-commercial use only.",
    ]) + "\n")
    _common.write({k: v for k, v in result.items() if k not in ("cv", "cross_corpus_ravdess_01_16")}
                  | {"cv_uar": cv[best]["uar"], "cross_corpus_uar": cross["uar"]}, args.json)


if __name__ == "__main__":
    main()
