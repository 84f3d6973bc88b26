"""Train the shipped pretrained recognizers and write their model cards from measured figures.

    python bench/train_pretrained.py ravdess8 core4 [--out ser_synth/pretrained]
    python bench/train_pretrained.py ravdess8 --train '{"validation_fraction": 0}' --out DIR  # a recipe variant
    python bench/train_pretrained.py ravdess8 --model '{"pooling": "meanmax"}' --out DIR   # another

Each model trains on its recipe's data minus the held-out speakers (validation speakers for
early stopping are drawn from the training side), is evaluated on the held-out speakers, and
is saved with ``metrics.json`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import _common
from recipes import RECIPES, make_recognizer, room_copies

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "ser_synth" / "pretrained"


def train_recipe(name: str, seed: int = 0, train_overrides: dict | None = None, model_overrides: dict | None = None):
    from ser_synth.data import holdout_split, read_corpora

    r = RECIPES[name]
    records = read_corpora(r["data"], emotions=r["emotions"])
    split = holdout_split(records, r["holdout"])
    rec = make_recognizer(name, seed=seed, verbose=2, model_overrides=model_overrides, **(train_overrides or {}))
    t = time.time()
    rec.fit(list(split.train), classes=sorted({x.emotion for x in records}))
    return rec, split, time.time() - t


POOLING = {"attention": "attention pooling", "meanmax": "mean + max pooling"}


def _card(name, r, rep, per_corpus, rec, seconds, train_overrides: dict | None = None, model_overrides: dict | None = None) -> str:
    corpora = ", ".join(s.split(":")[0] for s in r["data"])
    n_members = len(rec.member_histories_)
    # a variant's overrides, as both benches take them
    variant = "".join(f" --{flag} '{json.dumps(o)}'" for flag, o in (("model", model_overrides), ("train", train_overrides)) if o)
    kind = "CRNN emotion recognizer" if n_members == 1 else f"mean of {n_members} CRNN emotion recognizers (seeds {rec.train_config.seed}..{rec.train_config.seed + n_members - 1})"
    lines = [
        f"# `{name}` — {r['description']}", "",
        f"{kind[0].upper() + kind[1:]} ({rec.model_.count_params():,} parameters; {POOLING[rec.model_config.pooling]} over time), "
        "input: mono float32 waveform at "
        f"{rec.audio_config.sample_rate} Hz; log-mel front-end inside the model.", "",
        "## Training data and split",
        f"- Corpora: {corpora} (from `../shared/data`: RAVDESS actors 01-18 at 16 kHz; EMO-DB where listed).",
        f"- Classes: {', '.join(rec.classes_)}.",
        f"- Held-out test speakers (never seen in training or validation): {', '.join(r['holdout'])}.",
        ("- Validation speakers for early stopping (taken from the training side): "
         + "; ".join(", ".join(v) for v in rec.member_validation_speakers_) + (" (one set per member)." if n_members > 1 else ".")
         if any(rec.member_validation_speakers_) else
         "- No validation speakers (`validation_fraction=0`): every training speaker trains for all epochs; the last epoch is kept."),
        *([f"- Also {rooms}, for reverberant speech (`bench/robustness.py`)."] if (rooms := room_copies(rec.train_config.augment)) else []),
        f"- Training speakers: {len(rec.train_speakers_)}; training time {seconds / 60:.1f} min on {_common.environment()['cpu_count']} CPU cores.",
        "", "## Measured, speaker-disjoint (held-out speakers)",
        f"- UAR {rep['uar']:.3f}, WA {rep['wa']:.3f}, macro-F1 {rep['macro_f1']:.3f}, n = {rep['n']}.",
    ]
    for corpus, sub in per_corpus.items():
        lines.append(f"- {corpus} held-out speakers only: UAR {sub['uar']:.3f}, WA {sub['wa']:.3f}, n = {sub['n']}.")
    lines += [
        "- Per-speaker accuracy: " + ", ".join(f"{s} {v['accuracy']:.2f}" for s, v in rep["per_speaker"].items()) + ".",
        "", f"Reproduce: `python bench/train_pretrained.py {name}{variant}{' --out DIR' if variant else ''}` "
        "(figures also in `metrics.json` beside this card);",
        f"cross-validated figures of the same recipe: `python bench/recognizer_accuracy.py{' --parts cv' + variant if variant else ''}`.",
        "With only a few held-out speakers these figures have a wide error bar (several points of UAR).",
        "", "## Licence",
        "RAVDESS is CC BY-NC-SA 4.0, so these weights are a derivative for **non-commercial use only**, shared alike, "
        "with attribution: Livingstone & Russo (2018), The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS), PLoS ONE."
        + (" EMO-DB (Burkhardt et al. 2005) is used under its CC0 release." if "emodb" in corpora else ""),
        "", "## Limits",
        "Acted speech only; clean studio recordings; English (and German for core4). Expect lower accuracy on spontaneous, "
        "noisy or other-language speech. Not for decisions about people.",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="+", choices=sorted(RECIPES))
    ap.add_argument("--out", default=str(SHIPPED))
    ap.add_argument("--train", type=json.loads, default=None, help="JSON object of TrainConfig fields overriding the recipe's "
                                                                      "(a variant: needs an --out other than the shipped folder)")
    ap.add_argument("--model", type=json.loads, default=None, help="JSON object of ModelConfig fields overriding the recipe's "
                                                                      "(a variant, as --train)")
    args = ap.parse_args()
    variant = bool(args.train or args.model)
    if variant and Path(args.out).resolve() == SHIPPED.resolve():
        ap.error("--train/--model train a variant of the recipe: give an --out other than the shipped models' folder")

    from ser_synth.recognition.evaluate import per_corpus_reports
    from ser_synth.recognition.metrics import plot_report, write_json
    from ser_synth.utils import atomic_write_text

    for name in args.names:
        rec, split, seconds = train_recipe(name, train_overrides=args.train, model_overrides=args.model)
        rep = rec.evaluate(list(split.test))
        per_corpus = per_corpus_reports(rec, list(split.test))
        dest = Path(args.out) / name
        rec.save(dest)
        metrics = {"held_out": rep, "held_out_per_corpus": per_corpus, "train_seconds": seconds,
                   "held_out_speakers": split.test_speakers, "train_overrides": args.train or {}, "model_overrides": args.model or {},
                   "environment": _common.environment()}
        write_json(metrics, dest / "metrics.json")
        atomic_write_text(dest / "MODEL_CARD.md", _card(name, RECIPES[name], rep, per_corpus, rec, seconds, args.train, args.model))
        # a variant keeps its plots beside it, not over the shipped model's in out/pretrained
        plot_report(rep, dest / "plots" if variant else ROOT / "out" / "pretrained" / name, history=rec.history_)
        print(json.dumps({name: {k: rep[k] for k in ("uar", "wa", "macro_f1", "n")}}))


if __name__ == "__main__":
    main()
