"""Late fusion of the shipped ``ravdess8`` CRNN with a prosodic classifier, on its held-out actors.

    python bench/fusion.py [--json out/bench/fusion.json] [--ship --cv out/bench/cv_fusion.json]

An exploration, not a shipped model: a :class:`ProsodicRecognizer` (utterance statistics +
logistic regression, built unlike the CRNN) is trained on the CRNN's own training actors
(RAVDESS 01-16, 8 emotions), and both are tested on actors 17 and 18, alone and fused. The
fusion rule was fixed before the first run: the mean of the two log-probabilities, equal
weights (``fused_log_mean``, what :class:`~ser_synth.recognition.FusionRecognizer` computes).
The mean of the probabilities (``fused_mean``) was looked at in the same run, so it is a second
look, not a tuned result. Speaker-disjoint; n = 120.

``--ship`` writes the fusion into the package as ``ravdess8_fused``: ``fusion.json`` naming the
shipped ``ravdess8`` and the prosodic member (``member_1/``, trained here), with a model card
that cites these figures and, with ``--cv``, the cross-validation of ``python
bench/recognizer_accuracy.py --parts cv --fusion``.
"""

from __future__ import annotations

import argparse
import json

import _common
import numpy as np
from recipes import RAVDESS, RECIPES

SHIPPED = _common.ROOT / "ser_synth" / "pretrained" / "ravdess8_fused"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--ship", action="store_true", help="write the fusion into the package as ravdess8_fused")
    ap.add_argument("--cv", help="with --ship: recognizer_accuracy.py --fusion JSON whose CV figures the model card cites")
    args = ap.parse_args()

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.recognition.fusion import geometric_mean
    from ser_synth.recognition.prosodic import ProsodicRecognizer

    split = holdout_split(read_corpora([RAVDESS]), RECIPES["ravdess8"]["holdout"])
    train, test = list(split.train), list(split.test)
    crnn = EmotionRecognizer.pretrained("ravdess8")
    classes = crnn.classes_.tolist()
    p_crnn = crnn.predict_proba(test)
    prosodic = ProsodicRecognizer().fit(train)
    p_pros = prosodic.predict_proba(test)[:, [prosodic.classes_.tolist().index(c) for c in classes]]
    fused = {"crnn": p_crnn, "prosodic": p_pros,
             "fused_log_mean": geometric_mean([p_crnn, p_pros]),
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
    if args.ship:
        ship(prosodic, result, json.loads(open(args.cv).read())["cv"] if args.cv else None)


def ship(prosodic, result: dict, cv: dict | None) -> None:
    """``ser_synth/pretrained/ravdess8_fused``: fusion.json (shipped ``ravdess8`` + ``member_1``), card, metrics."""
    from ser_synth.recognition.fusion import write_config
    from ser_synth.recognition.metrics import write_json
    from ser_synth.utils import atomic_directory

    m = result["models"]
    per = lambda name: ", ".join(f"actor {s[-2:]} {v['accuracy']:.2f}" for s, v in m[name]["per_speaker"].items())  # noqa: E731
    lines = [
        "# `ravdess8_fused` — the 8 RAVDESS emotions, CRNN and prosodic classifier fused", "",
        "A `FusionRecognizer`: the geometric mean (equal weights) of the shipped `ravdess8` CRNN's probabilities and a "
        "`ProsodicRecognizer`'s (60 utterance statistics of pitch, loudness, pauses and spectral shape; balanced logistic "
        "regression, C = 0.5). The two read different evidence, so their errors differ. Python only: the prosodic features are "
        "computed with librosa, so this model is not exported as a SavedModel (export `ravdess8` for TF Serving); the critic "
        "stays `ravdess8`, which gradients can flow through.", "",
        "## Training data and split",
        f"- Both members trained on RAVDESS actors {', '.join(s[-2:] for s in result['train_speakers'])} (the `ravdess8` recipe); "
        f"actors {', '.join(s[-2:] for s in result['test_speakers'])} held out of both.", "",
        "## Measured (speaker-disjoint)",
        f"- Held-out actors 17, 18 (n = {result['n']}): UAR {m['fused_log_mean']['uar']:.3f} ({per('fused_log_mean')}); "
        f"`ravdess8` alone {m['crnn']['uar']:.3f} ({per('crnn')}), the prosodic member alone {m['prosodic']['uar']:.3f}. "
        "Reproduce: `python bench/fusion.py`.",
    ]
    summary = None
    if cv:
        folds = cv["folds"]
        stat = lambda key: (np.mean([f[key] for f in folds]), np.std([f[key] for f in folds], ddof=1))  # noqa: E731
        (fu, fs), (cu, cs), (pu, _) = stat("fusion_uar"), stat("uar"), stat("prosodic_uar")
        summary = {"folds": cv.get("partial", "all folds"), "fusion_uar_mean": fu, "fusion_uar_sd": fs, "crnn_uar_mean": cu,
                   "crnn_uar_sd": cs, "prosodic_uar_mean": pu, "per_fold": [{k: f[k] for k in ("test_speakers", "uar", "prosodic_uar", "fusion_uar")} for f in folds]}
        actors = "; ".join(" ".join(s[-2:] for s in f["test_speakers"]) for f in folds)
        per_fold = " / ".join(f"{f['fusion_uar']:.3f}" for f in folds)
        lines.append(f"- The same recipe in leave-actors-out CV on actors 01-18 (one CRNN per fold; {cv.get('partial', 'all folds')}, "
                     f"test actors {actors}): UAR {fu:.3f} ± {fs:.3f} (per fold {per_fold}), against {cu:.3f} ± {cs:.3f} for the CRNN alone and "
                     f"{pu:.3f} for the prosodic classifier alone. "
                     "Reproduce: `python bench/recognizer_accuracy.py --parts cv --members 1 --fusion`.")
    lines += ["", "## Licence",
              "Trained on RAVDESS (CC BY-NC-SA 4.0): **non-commercial use only**, share alike, attribute Livingstone & Russo (2018)."]
    with atomic_directory(SHIPPED) as tmp:
        prosodic.save(tmp / "member_1")
        write_config(tmp, ["ravdess8", "member_1"], [0.5, 0.5])
        (tmp / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")
        write_json({"held_out": {k: {"uar": v["uar"], "wa": v["wa"]} for k, v in m.items()}, "test_speakers": result["test_speakers"],
                    "cv": summary},
                   tmp / "metrics.json")
    print(f"shipped {SHIPPED}")


if __name__ == "__main__":
    main()
