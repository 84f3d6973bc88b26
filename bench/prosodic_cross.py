"""Does the prosodic classifier carry from RAVDESS to EMO-DB, and does per-speaker feature
standardisation help it? (core4 emotions; speaker- and corpus-disjoint.)

    python bench/prosodic_cross.py [--json out/bench/prosodic_cross.json]

``raw``: a :class:`ProsodicRecognizer` fitted on RAVDESS actors 01-18, tested on all of EMO-DB.
``speaker_z``: the same after standardising every speaker's features over that speaker's own
utterances, in training and test alike (transductive: a test speaker's unlabeled utterances
are used; an exploration, not a package feature). Both read the recording's own level
(``normalize_level=False``, the member of the time).
``member``: the fused models' current prosodic member (``recipes.PROSODIC_MEMBER``: each clip
brought to one RMS level, trained also on noisy, narrow-channel and reverberant copies), fitted
and tested the same way; and
each of its two options alone (``normalize_level_only``, ``noise_augment_only``).
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import EMODB, PROSODIC_MEMBER, RAVDESS, RECIPES


def speaker_standardised(F: np.ndarray, speakers: list[str]) -> np.ndarray:
    """``F`` ``[n, d]`` with each speaker's rows scaled to zero mean and unit variance."""
    F, spk = F.copy(), np.asarray(speakers)
    for s in set(speakers):
        m = spk == s
        F[m] = (F[m] - F[m].mean(0)) / (F[m].std(0) + 1e-6)
    return F


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()

    from ser_synth.data import read_corpora
    from ser_synth.recognition import ProsodicRecognizer
    from ser_synth.recognition.metrics import evaluation_report

    emotions = RECIPES["core4"]["emotions"]
    train, test = read_corpora([RAVDESS], emotions=emotions), read_corpora([EMODB], emotions=emotions)
    extractor = ProsodicRecognizer(normalize_level=False, verbose=1)
    f_train, f_test = extractor.features(train), extractor.features(test)
    s_train, s_test = [r.speaker for r in train], [r.speaker for r in test]
    y_train, y_test = [r.emotion for r in train], [r.emotion for r in test]
    result = {"train": "RAVDESS actors 01-18 (core4 emotions)", "test": "EMO-DB, all 10 speakers (core4 emotions)",
              "n": len(test), "speaker_disjoint": True}
    for name, a, b in [("raw", f_train, f_test),
                       ("speaker_z", speaker_standardised(f_train, s_train), speaker_standardised(f_test, s_test))]:
        model = ProsodicRecognizer().fit_features(a, y_train)
        rep = evaluation_report(y_test, model.proba_from_features(b), model.classes_.tolist(), s_test)
        result[name] = {k: rep[k] for k in ("uar", "wa", "confusion", "labels")}
        print(f"{name}: UAR {rep['uar']:.3f}", flush=True)
    for name, options in (("member", PROSODIC_MEMBER), ("normalize_level_only", {"normalize_level": True}),
                          ("noise_augment_only", {"normalize_level": False, "noise_augment": True})):
        model = ProsodicRecognizer(**options, verbose=1).fit(train)
        rep = evaluation_report(y_test, model.predict_proba(test), model.classes_.tolist(), s_test)
        result[name] = {"options": options, **{k: rep[k] for k in ("uar", "wa", "confusion", "labels")}}
        print(f"{name}: UAR {rep['uar']:.3f}", flush=True)
    result["environment"] = _common.environment()
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
