"""CRNN ensembles in cross-validation from saved probabilities, without training again.

    python bench/ensemble_cv.py --proba P0 P1 [P2 ...] [--json F]

Each ``P`` is an ``.npz`` from ``bench/recognizer_accuracy.py --parts cv --members 1 --save-proba P``
(one run: a seed, or another model config, of the same 6 folds of RAVDESS 01-18); a run split
across runs with ``--only-folds`` is given as ``P1+P2`` (its parts' folds must not overlap). Every
combination of the runs is scored as the mean of their probabilities, per fold, on the folds
that all of them hold (a run stopped early, or split with ``--only-folds``, limits the
comparison to its folds, and the JSON says which). Speaker-disjoint: the folds are the CV's.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import _common
import numpy as np
from recipes import RECIPES


def load_runs(files: list[str]) -> tuple[list, list[dict]]:
    """(class order, per file ``{file name: (fold, [classes] mean over that run's members)}``)."""
    runs, classes = [], None
    for spec in files:
        run = {}
        for part in spec.split("+"):
            s = np.load(part)
            classes = s["classes"].tolist() if classes is None else classes
            if s["classes"].tolist() != classes:
                raise SystemExit(f"{part}: its class order differs from the other files'")
            if overlap := {int(f) for f in s["fold"]} & {f for f, _ in run.values()}:
                raise SystemExit(f"{spec}: its parts overlap in folds {sorted(overlap)}")
            run.update({n: (int(f), p.mean(0)) for n, f, p in zip(s["path"].tolist(), s["fold"], s["proba"])})
        runs.append(run)
    return classes, runs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proba", required=True, nargs="+", help=".npz files from bench/recognizer_accuracy.py --save-proba "
                                                                 "(P1+P2: one run's parts)")
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("bench/ensemble_cv.py")

    from ser_synth.data import read_corpora
    from ser_synth.recognition.metrics import evaluation_report

    classes, runs = load_runs(args.proba)
    names = sorted(set.intersection(*(set(r) for r in runs)))
    for r in runs:
        if any(r[n][0] != runs[0][n][0] for n in names):
            raise SystemExit(f"{args.proba}: an utterance is in different folds in different files")
    recipe = RECIPES["ravdess8"]
    by_name = {Path(r.path).name: r for r in read_corpora(recipe["data"], emotions=recipe["emotions"])}
    folds = sorted({runs[0][n][0] for n in names})
    fold_names = {f: [n for n in names if runs[0][n][0] == f] for f in folds}
    fold_truth = {f: ([by_name[n].emotion for n in fold_names[f]], [by_name[n].speaker for n in fold_names[f]]) for f in folds}
    result = {"speaker_disjoint": True, "protocol": "6-fold leave-3-actors-out CV on RAVDESS 01-18, 8 classes, UAR",
              "runs": args.proba, "folds": folds, "rule": "mean of the runs' probabilities", "combinations": []}
    for k in range(1, len(runs) + 1):
        for combo in itertools.combinations(range(len(runs)), k):
            per_fold = [evaluation_report(fold_truth[f][0], np.mean([[runs[i][n][1] for n in fold_names[f]] for i in combo], axis=0),
                                          classes, fold_truth[f][1])["uar"] for f in folds]
            result["combinations"].append({"runs": [args.proba[i] for i in combo], "uar_folds": per_fold,
                                           "uar_mean": float(np.mean(per_fold))})
            print(f"{' + '.join('+'.join(Path(part).stem for part in args.proba[i].split('+')) for i in combo)}: UAR {np.mean(per_fold):.3f} "
                  f"(folds {folds}: {' / '.join(f'{u:.3f}' for u in per_fold)})", flush=True)
    _common.write(result | {"environment": _common.environment()}, args.json, quiet=True)


if __name__ == "__main__":
    main()
