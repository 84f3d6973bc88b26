"""Recognizer speed: real-time factor of one 3 s clip (batch 1) through a tf.function with a fixed
signature, after warm-up; and front-end (log-mel) throughput against librosa on the same batch.

    python bench/recognizer_speed.py --json out/bench/recognizer_speed.json [--model core4]
"""

from __future__ import annotations

import argparse
import _common
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json")
    ap.add_argument("--model", default="ravdess8", help="pretrained name or model folder")
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()

    import librosa
    import tensorflow as tf

    from ser_synth.audio.frontend import LogMelSpectrogram
    from ser_synth.recognition import EmotionRecognizer

    rec = EmotionRecognizer.load_any(args.model)
    cfg = rec.audio_config
    rng = np.random.default_rng(0)
    clip = (0.1 * rng.standard_normal(3 * cfg.sample_rate)).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([1, None], tf.float32)])
    def infer(x):
        return rec.model_(x, training=False)["emotion"]

    x = tf.constant(clip[None])
    for _ in range(10):
        infer(x).numpy()
    times = _common.timeit(lambda: infer(x).numpy(), args.repeats)
    med = float(np.median(times))

    batch = (0.1 * rng.standard_normal((16, 3 * cfg.sample_rate))).astype(np.float32)
    layer = LogMelSpectrogram(cfg)
    fe = tf.function(lambda b: layer(b), input_signature=[tf.TensorSpec([None, None], tf.float32)])
    xb = tf.constant(batch)
    for _ in range(3):
        fe(xb).numpy()
    tf_times = _common.timeit(lambda: fe(xb).numpy(), 20)

    def librosa_batch():
        for y in batch:
            np.log(np.maximum(librosa.feature.melspectrogram(
                y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                window=cfg.window, center=True, pad_mode="constant", n_mels=cfg.n_mels, htk=True, norm=None), cfg.log_floor))

    librosa_batch()
    lr_times = _common.timeit(librosa_batch, 5)
    audio_seconds = batch.shape[0] * 3.0
    result = {
        "model": args.model, "params": int(rec.model_.count_params()),
        "rtf_batch1_3s": med / 3.0, "latency_batch1_3s_ms_median": med * 1000, "latency_batch1_3s_ms_p90": float(np.percentile(times, 90)) * 1000,
        "frontend_tf_audio_seconds_per_second": audio_seconds / float(np.median(tf_times)),
        "frontend_librosa_audio_seconds_per_second": audio_seconds / float(np.median(lr_times)),
        "frontend_speedup_vs_librosa": float(np.median(lr_times) / np.median(tf_times)),
        "frontend_batch": list(batch.shape), "target_rtf": 0.005, "goal_rtf": 0.003,
        "environment": _common.environment(),
    }
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
