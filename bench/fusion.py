"""Late fusion of the shipped ``ravdess8`` CRNN with a prosodic classifier, on its held-out actors.

    python bench/fusion.py [--json out/bench/fusion.json]

An exploration, not a shipped model: a :class:`ProsodicRecognizer` (utterance statistics +
logistic regression, built unlike the CRNN) is trained on the CRNN's own training actors
(RAVDESS 01-16, 8 emotions), and both are tested on actors 17 and 18, alone and fused. The
fusion rule was fixed before the first run: the mean of the two log-probabilities, equal
weights (``fused_log_mean``). The mean of the probabilities (``fused_mean``) was looked at in
the same run, so it is a second look, not a tuned result. Speaker-disjoint; n = 120.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import RAVDESS, RECIPES


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.recognition.prosodic import ProsodicRecognizer

    split = holdout_split(read_corpora([RAVDESS]), RECIPES["ravdess8"]["holdout"])
    train, test = list(split.train), list(split.test)
    crnn = EmotionRecognizer.pretrained("ravdess8")
    classes = crnn.classes_.tolist()
    p_crnn = crnn.predict_proba(test)
    prosodic = ProsodicRecognizer().fit(train)
    p_pros = prosodic.predict_proba(test)[:, [prosodic.classes_.tolist().index(c) for c in classes]]
    fused = {"crnn": p_crnn, "prosodic": p_pros,
             "fused_log_mean": np.exp(0.5 * np.log(p_crnn + 1e-9) + 0.5 * np.log(p_pros + 1e-9)),
             "fused_mean": 0.5 * (p_crnn + p_pros)}
    labels, speakers = [r.emotion for r in test], [r.speaker for r in test]
    result = {"train_speakers": split.train_speakers, "test_speakers": split.test_speakers, "n": len(test), "labels": classes,
              "speaker_disjoint": True, "models": {}}
    for name, p in fused.items():
        rep = evaluation_report(labels, p / p.sum(1, keepdims=True), classes, speakers)
        result["models"][name] = {k: rep[k] for k in ("uar", "wa", "macro_f1", "per_speaker", "confusion")}
        print(f"{name:15s} UAR {rep['uar']:.3f}  " + "  ".join(f"{s} {v['accuracy']:.2f}" for s, v in rep["per_speaker"].items()))
    result["environment"] = _common.environment()
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
