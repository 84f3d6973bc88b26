"""Recognition demo (what `make demo` runs).

1. Reads the bundled CC0 EMO-DB samples (data/emodb_cc0: 10 speakers, 4 emotions).
2. Trains a small CRNN on 8 speakers and evaluates it on 2 held-out speakers (speaker-disjoint),
   writing metrics JSON and plots.
3. Predicts the held-out speakers' clips with the shipped pretrained ``core4`` model (which
   never saw these two speakers) and evaluates it the same way.

    python examples/recognition_demo.py --out out/demo [--quick]

``--quick`` skips step 2 (pretrained model only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELD_OUT = ["emodb/03", "emodb/08"]  # also held out of the shipped core4 model's training


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out/demo")
    ap.add_argument("--data", default=f"emodb:{ROOT / 'data' / 'emodb_cc0'}")
    ap.add_argument("--quick", action="store_true", help="pretrained model only, no training")
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args(argv)

    from ser_synth.data import holdout_split, read_corpus
    from ser_synth.emotions import CORE4
    from ser_synth.recognition import EmotionRecognizer, ModelConfig, TrainConfig
    from ser_synth.recognition.metrics import format_table, plot_report, write_json
    from ser_synth.utils import set_seed

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    records = read_corpus(args.data, emotions=CORE4)
    split = holdout_split(records, HELD_OUT)
    print(f"[demo] {len(records)} bundled utterances; training speakers {len(split.train_speakers)}, "
          f"held-out speakers {', '.join(split.test_speakers)} ({len(split.test)} clips)")
    summary = {"data": args.data, "held_out_speakers": split.test_speakers, "speaker_disjoint": True}

    if not args.quick:
        set_seed(0)
        print(f"[demo] training a small CRNN for up to {args.epochs} epochs on the bundled data ...")
        rec = EmotionRecognizer(
            model_config=ModelConfig(conv_filters=(16, 32, 32), rnn_units=48),
            train_config=TrainConfig(epochs=args.epochs, batch_size=16, crop_seconds=1.5, patience=10, validation_fraction=0.15),
            verbose=2,
        ).fit(list(split.train))
        rec.save(out / "model")
        rep = rec.evaluate(list(split.test))
        write_json(rep, out / "trained_metrics.json")
        plot_report(rep, out / "plots", history=rec.history_, prefix="trained_")
        print("[demo] small model trained on 8 bundled speakers, tested on the 2 held-out speakers:")
        print(format_table(rep))
        summary["trained"] = {k: rep[k] for k in ("uar", "wa", "macro_f1", "n")}

    print("[demo] shipped pretrained core4 model on the same held-out speakers:")
    pre = EmotionRecognizer.pretrained("core4")
    rep = pre.evaluate(list(split.test))
    write_json(rep, out / "pretrained_core4_metrics.json")
    plot_report(rep, out / "plots", prefix="pretrained_core4_")
    print(format_table(rep))
    summary["pretrained_core4"] = {k: rep[k] for k in ("uar", "wa", "macro_f1", "n")}
    rows = []
    for r, label, p in zip(split.test[:8], pre.predict(list(split.test[:8])), pre.predict_proba(list(split.test[:8])).max(axis=1)):
        rows.append({"file": Path(r.path).name, "true": r.emotion, "predicted": str(label), "probability": float(p)})
        print(f"  {Path(r.path).name}: true {r.emotion:<8} predicted {label:<8} p={p:.2f}")
    summary["examples"] = rows
    summary["seconds"] = time.time() - t0
    write_json(summary, out / "summary.json")
    print(f"[demo] done in {summary['seconds']:.0f} s; results in {out}/ (summary.json, *_metrics.json, plots/*.png)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
