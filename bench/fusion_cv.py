"""Fused recognizers in cross-validation, against CRNNs trained once: which prosodic member?

    python bench/fusion_cv.py --proba bench/results/cv_fusion_current_proba.npz [more parts or members of the same CV] [--json F]

``bench/recognizer_accuracy.py --parts cv --members 1 --fusion --save-proba P`` trains one CRNN
per fold of the 6-fold leave-3-actors-out CV on RAVDESS 01-18 and keeps every test utterance's
CRNN probabilities in ``P`` (a CV split across runs with ``--only-folds`` gives one file per run;
pass them all). A run of other seeds of the same folds (``--first-seed 1``) adds CRNN members:
pass both files, and each fold's CRNN is the mean of its members, as the recipe's ensemble. This script fits prosodic members on each fold's training actors
(statistics and training copies of ``recipes.PROSODIC_MEMBER``, drawn once for every utterance,
as in that bench) and scores each alone and fused with that fold's CRNN by the shipped rule
(mean of log-probabilities, equal weights), so members are compared against the same CRNNs
without training them again. Members (fixed before the first run; ``logistic`` was named
``shipped`` then):

- ``logistic``: logistic regression at the package default C = 0.5 (the fused models' head up to
  the commit that shipped ``mlp``);
- ``inner_c``: the same with C picked per fold, by a 5-fold speaker-grouped CV inside that
  fold's training actors (member alone, balanced accuracy on the clean utterances of the inner
  held-out actors, each inner fit on speech + copies), over ``C_GRID``. Nested, so its outer
  figure is not tuned on the test actors;
- ``mlp``: one hidden layer of 32 ReLU units (L2 ``alpha`` 1, Adam, 300 epochs, seed 0), classes
  balanced by repeating rows (``ProsodicRecognizer(hidden_units=32)``; the fused models' head
  since ``bench/prosodic_robustness.py`` chose it).

``bench/fusion.py --ship --cv`` reads this JSON for the model card (the head whose options,
``heads``, are the shipped member's).

Speaker-disjoint throughout. The JSON names the CRNN run it reused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common
import numpy as np
from recipes import PROSODIC_MEMBER, RECIPES

C_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
MEMBERS = ("logistic", "inner_c", "mlp")
HEADS = {"logistic": {"C": 0.5, "hidden_units": 0}, "mlp": {"C": 0.5, "hidden_units": 32}}  # inner_c: C per fold


def fit_head(F: np.ndarray, y: np.ndarray, C: float, hidden_units: int = 0):
    """The package's member head on standardised features: balanced logistic regression, or
    with ``hidden_units`` a perceptron."""
    from ser_synth.recognition import ProsodicRecognizer

    return ProsodicRecognizer(C=C, hidden_units=hidden_units).fit_features(F, y)


def inner_c(F: np.ndarray, y: np.ndarray, speakers: np.ndarray, copies: list[np.ndarray]) -> tuple[float, list[float]]:
    """C from ``C_GRID`` with the best mean balanced accuracy over a 5-fold speaker-grouped CV of
    clean rows ``F`` (``copies``: the training copies' rows, parallel to ``F``, join each inner
    training side). Returns (C, the mean score of each C)."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold

    scores = []
    for c in C_GRID:
        s = []
        for a, b in GroupKFold(5).split(F, y, speakers):
            m = fit_head(np.concatenate([F[a]] + [k[a] for k in copies]), np.tile(y[a], 1 + len(copies)), c)
            s.append(balanced_accuracy_score(y[b], m.classes_[m.proba_from_features(F[b]).argmax(1)]))
        scores.append(float(np.mean(s)))
    return C_GRID[int(np.argmax(scores))], scores


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proba", required=True, nargs="+", help=".npz file(s) from bench/recognizer_accuracy.py --save-proba")
    ap.add_argument("--key", default="proba", help="which saved probabilities: proba, or proba_tta (a run with --tta: "
                                                   "the mean over the speed-perturbed copies)")
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("bench/fusion_cv.py")

    from ser_synth.data import grouped_kfold, read_corpora
    from ser_synth.recognition import ProsodicRecognizer
    from ser_synth.recognition.fusion import geometric_mean, in_class_order
    from ser_synth.recognition.metrics import evaluation_report

    saved = [np.load(f) for f in args.proba]
    classes = saved[0]["classes"].tolist()
    if any(s["classes"].tolist() != classes for s in saved):
        raise SystemExit(f"{args.proba}: the files' class orders differ")
    if any(args.key not in s.files for s in saved):
        raise SystemExit(f"{args.proba}: not every file holds {args.key!r}")
    # file name -> (fold, the mean of that fold's CRNN members' probabilities); a name in several
    # files gets their members together (runs that trained other seeds of the same folds)
    members: dict[str, tuple[int, list]] = {}
    for s in saved:
        for name, fold, p in zip(s["path"].tolist(), s["fold"], s[args.key]):
            held = members.setdefault(name, (int(fold), []))
            if held[0] != int(fold):
                raise SystemExit(f"{args.proba}: {name} is in fold {held[0]} in one file and {int(fold)} in another")
            held[1].extend(p)
    sizes = {len(m) for _, m in members.values()}
    if len(sizes) != 1:
        raise SystemExit(f"{args.proba}: utterances have different numbers of CRNN members {sorted(sizes)}")
    crnn = {name: (fold, np.mean(m, axis=0)) for name, (fold, m) in members.items()}
    recipe = RECIPES["ravdess8"]
    records = read_corpora(recipe["data"], emotions=recipe["emotions"])
    member = ProsodicRecognizer(**PROSODIC_MEMBER, verbose=1)
    speech, copies = member.speech_and_copies(records)
    F = member.statistics(speech)
    K = [member.statistics(c) for c in copies]
    index = {r.path: i for i, r in enumerate(records)}
    y_all = np.array([r.emotion for r in records])
    spk_all = np.array([r.speaker for r in records])

    folds, seen = [], set()
    for i, split in enumerate(grouped_kfold(records, 6, seed=0)):
        test = list(split.test)
        held = {crnn[Path(r.path).name][0] if Path(r.path).name in crnn else None for r in test}
        if held == {None}:  # a partial CRNN run (--only-folds, or stopped): score the folds it has
            continue
        if held != {i + 1}:
            raise SystemExit(f"{args.proba} does not hold fold {i + 1}'s CRNN probabilities for its test actors {split.test_speakers}")
        tr = np.array([index[r.path] for r in split.train])
        te = np.array([index[r.path] for r in test])
        seen.update(te.tolist())
        y, spk = y_all[te].tolist(), spk_all[te].tolist()
        p_crnn = np.stack([crnn[Path(r.path).name][1] for r in test])
        fold = {"test_speakers": split.test_speakers, "n": len(test),
                "crnn_uar": evaluation_report(y, p_crnn, classes, spk)["uar"]}
        train_rows = np.concatenate([F[tr]] + [k[tr] for k in K])
        train_y = np.tile(y_all[tr], 1 + len(K))
        c, c_scores = inner_c(F[tr], y_all[tr], spk_all[tr], [k[tr] for k in K])
        fold["inner_c"] = {"C": c, "inner_scores": c_scores}
        heads = {"inner_c": fit_head(train_rows, train_y, c), **{n: fit_head(train_rows, train_y, **o) for n, o in HEADS.items()}}
        for name in MEMBERS:
            head = heads[name]
            p = in_class_order(head.proba_from_features(F[te]), head.classes_, classes)
            fold.setdefault(name, {}).update(
                prosodic_uar=evaluation_report(y, p, classes, spk)["uar"],
                fused_uar=evaluation_report(y, geometric_mean([p_crnn, p]), classes, spk)["uar"])
        print(f"fold {i + 1}/6 {split.test_speakers}: CRNN {fold['crnn_uar']:.3f}; "
              + "; ".join(f"{n} {fold[n]['prosodic_uar']:.3f} / fused {fold[n]['fused_uar']:.3f}" for n in MEMBERS)
              + f" (inner C {c})", flush=True)
        folds.append(fold)
    if len(seen) != len(crnn):
        raise SystemExit(f"{args.proba} hold {len(crnn)} utterances; the folds scored {len(seen)}")

    def stats(values):
        return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)), "folds": [float(v) for v in values]}

    result = {"speaker_disjoint": True, **({"partial": f"{len(folds)} of 6 folds"} if len(folds) < 6 else {}),
              "protocol": "6-fold leave-3-actors-out CV on RAVDESS 01-18, 8 classes, UAR",
              "crnn_run": args.proba, "crnn_key": args.key, "crnn_members": sizes.pop(), "member_options": PROSODIC_MEMBER, "heads": HEADS, "c_grid": list(C_GRID),
              "fusion_rule": "mean of log-probabilities, equal weights", "crnn": stats([f["crnn_uar"] for f in folds]),
              "members": {n: {"alone": stats([f[n]["prosodic_uar"] for f in folds]),
                              "fused": stats([f[n]["fused_uar"] for f in folds])} for n in MEMBERS},
              "folds": folds, "environment": _common.environment()}
    _common.write(result, args.json, quiet=True)
    print(f"CRNN {result['crnn']['mean']:.3f} ± {result['crnn']['sd']:.3f}")
    for n, m in result["members"].items():
        print(f"{n}: alone {m['alone']['mean']:.3f} ± {m['alone']['sd']:.3f}, fused {m['fused']['mean']:.3f} ± {m['fused']['sd']:.3f}")


if __name__ == "__main__":
    main()
