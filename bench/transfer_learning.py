"""Transfer learning: EMO-DB (core4) UAR on held-out speakers against the number of EMO-DB
training utterances, from scratch and from a RAVDESS-trained backbone with three freeze
strategies (frozen backbone, full fine-tune, gradual unfreeze).

    python bench/transfer_learning.py --json out/bench/transfer.json [--sizes 40,80,160,0] [--source DIR]

The source model defaults to the RAVDESS-only core4 model that ``recognizer_accuracy.py --parts cross``
saves (trained if absent). Size 0 means all available training utterances.
"""

from __future__ import annotations

import argparse
import _common
import numpy as np
from recipes import EMODB, RAVDESS, RECIPES, make_recognizer

TEST_SPEAKERS = ["emodb/03", "emodb/08", "emodb/11", "emodb/14"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--sizes", default="40,80,160,0")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--source", default=str(_common.ROOT / "out" / "bench" / "ravdess_only_core4"))
    args = ap.parse_args()

    from pathlib import Path

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer

    recipe = RECIPES["core4"]
    if Path(args.source).is_dir():
        source = EmotionRecognizer.load(args.source)
    else:
        source = make_recognizer("core4")
        source.fit(read_corpora([RAVDESS], emotions=recipe["emotions"]))
        source.save(args.source)
    split = holdout_split(read_corpora([EMODB], emotions=recipe["emotions"]), TEST_SPEAKERS)
    pool, test = list(split.train), list(split.test)
    classes = sorted({r.emotion for r in pool})
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pool))
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        n = len(pool) if size == 0 else min(size, len(pool))
        subset = [pool[i] for i in order[:n]]
        if len({r.emotion for r in subset}) < len(classes):
            continue
        for variant, freeze, init in (("scratch", "none", None), ("frozen_backbone", "backbone", source),
                                      ("full_fine_tune", "none", source), ("gradual_unfreeze", "gradual", source)):
            rec = make_recognizer("core4", epochs=args.epochs, patience=args.epochs, freeze=freeze)
            rec.fit(subset, classes=classes, init_from=init)
            rep = rec.evaluate(test)
            rows.append({"n_train": n, "variant": variant, "uar": rep["uar"], "wa": rep["wa"]})
            print(f"n={n:4d} {variant:<17} UAR {rep['uar']:.3f}", flush=True)
    _plot(rows, _common.ROOT / "out" / "bench" / "transfer_curve.png")
    _common.write({"rows": rows, "test_speakers": TEST_SPEAKERS, "speaker_disjoint": True,
                   "source": "RAVDESS actors 01-18 (core4)", "environment": _common.environment()}, args.json)


def _plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for variant in dict.fromkeys(r["variant"] for r in rows):
        pts = [(r["n_train"], r["uar"]) for r in rows if r["variant"] == variant]
        ax.plot(*zip(*pts), marker="o", label=variant)
    ax.set_xlabel("EMO-DB training utterances")
    ax.set_ylabel("UAR on 4 held-out EMO-DB speakers")
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
