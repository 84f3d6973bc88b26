"""TFLite recognizer: size, latency and accuracy delta on held-out speakers.

    python bench/tflite.py --json out/bench/tflite.json [--model core4] [--seconds 3]

Every clip is centre-cropped / tiled to the fixed TFLite input length (``--seconds``), and the
Keras model is scored on the same fixed-length clips, so the delta is the conversion's alone.
Held-out speakers are the model recipe's (``bench/recipes.py``): never seen in training.
``int8`` (full-integer, front-end float) is calibrated on 100 utterances of the training
speakers. Latency: median of one ``invoke`` (batch 1, 2 threads) after warm-up; Keras through a
``tf.function`` with the same fixed shape.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common
import numpy as np
from recipes import RECIPES


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--model", default="core4", choices=sorted(RECIPES))
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()

    import tensorflow as tf

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.serving.tflite import TFLiteRecognizer, export_tflite, fit_length

    r = RECIPES[args.model]
    rec = EmotionRecognizer.pretrained(args.model)
    split = holdout_split(read_corpora(r["data"], emotions=r["emotions"]), r["holdout"])
    test = [x for x in split.test if x.emotion in set(rec.classes_)]
    # int8 calibration: 100 training utterances spread over the training speakers (never the test's)
    calibration = list(split.train)[::max(1, len(split.train) // 100)][:100]
    waves = rec._waveforms(test)
    n = int(args.seconds * rec.audio_config.sample_rate)
    fixed = [fit_length(w, n) for w in waves]
    labels, classes = [x.emotion for x in test], rec.classes_.tolist()
    keras_fn = tf.function(lambda x: rec.model_(x, training=False)["emotion"], input_signature=[tf.TensorSpec([1, n], tf.float32)])
    keras_p = np.concatenate([keras_fn(f[None]).numpy() for f in fixed])
    x1 = tf.constant(fixed[0][None])
    keras_ms = 1000 * float(np.median(_common.timeit(lambda: keras_fn(x1).numpy(), 50)))
    result = {"model": args.model, "seconds": args.seconds, "n": len(test), "held_out_speakers": r["holdout"],
              "keras_float": {"size_mb": sum(p.stat().st_size for p in Path(rec_path(args.model)).glob("model.keras")) / 2 ** 20,
                              "uar": evaluation_report(labels, keras_p, classes)["uar"], "latency_ms": keras_ms}}
    with tempfile.TemporaryDirectory() as tmp:
        for q in ("none", "dynamic", "int8"):
            path = export_tflite(rec, Path(tmp) / f"{q}.tflite", seconds=args.seconds, quantization=q,
                                 calibration=calibration if q == "int8" else None)
            lite = TFLiteRecognizer(path, classes)
            p = lite.predict_proba(fixed)
            lite.predict_proba(fixed[:3])
            ms = 1000 * float(np.median(_common.timeit(lambda: lite.predict_proba(fixed[:1]), 50)))
            uar = evaluation_report(labels, p, classes)["uar"]
            result[f"tflite_{q}"] = {"size_mb": path.stat().st_size / 2 ** 20, "uar": uar, "latency_ms": ms,
                                     "uar_delta_vs_keras": uar - result["keras_float"]["uar"],
                                     "max_prob_diff_vs_keras": float(np.abs(p - keras_p).max()),
                                     "same_decision_share": float(np.mean(p.argmax(1) == keras_p.argmax(1)))}
            print(q, result[f"tflite_{q}"], flush=True)
    result["int8_calibration"] = f"{len(calibration)} utterances of the training speakers"
    result["environment"] = _common.environment()
    _common.write(result, args.json)


def rec_path(name):
    from ser_synth.pretrained import pretrained_path

    return pretrained_path(name)


if __name__ == "__main__":
    main()
