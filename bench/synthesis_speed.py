"""Synthesis speed: text -> waveform real-time factor on this machine, with 32 Griffin-Lim
iterations, after warm-up, through the synthesizer's tf.function (``synthesize_batch``: text
normalisation and encoding in Python, then acoustic model + vocoder in one graph).

    python bench/synthesis_speed.py --json out/bench/synthesis_speed.json [--model synthesizer]

``rtf`` is the median over sentences of (seconds to synthesise one sentence, batch 1) /
(seconds of audio produced); ``rtf_batch8`` is the same for 8 sentences per call. Also reported:
the split between the acoustic model and Griffin-Lim.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--model", default="synthesizer", help="pretrained name or saved synthesizer folder")
    ap.add_argument("--sentences", type=int, default=16)
    ap.add_argument("--iters", type=int, default=32, help="Griffin-Lim iterations")
    args = ap.parse_args()

    import tensorflow as tf

    from ser_synth.audio.griffin_lim import griffin_lim
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.synthesis import EmotionalSynthesizer

    syn = EmotionalSynthesizer.load_any(args.model)
    syn.griffin_lim_iters = args.iters
    cfg, rate = syn.audio_config, syn.audio_config.sample_rate
    texts = generate_sentences(args.sentences, seed=4242)
    emotions = [syn.emotions_[i % len(syn.emotions_)] for i in range(len(texts))]
    for t in texts[:3]:  # warm-up: trace the graph for a few lengths
        syn.synthesize(t, emotion="neutral")
    rtfs, seconds, audio = [], [], []
    for t, e in zip(texts, emotions):
        (dt,) = _common.timeit(lambda: audio.append(syn.synthesize(t, emotion=e)), 1)
        seconds.append(dt)
        rtfs.append(dt / (len(audio[-1]) / rate))
    batch_rtf = []
    for i in range(0, len(texts) - 7, 8):
        out = []
        (dt,) = _common.timeit(lambda: out.extend(syn.synthesize_batch(texts[i:i + 8], emotions=emotions[i:i + 8])), 1)
        batch_rtf.append(dt / (sum(len(w) for w in out) / rate))

    # where the time goes, on one typical sentence: acoustic model alone vs Griffin-Lim alone
    from ser_synth.synthesis.text import TextEncoder

    tokens = tf.constant(TextEncoder(syn.acoustic_config.symbols).encode(texts[0])[None])
    cond = {"tokens": tokens, "emotion": tf.zeros([1], tf.int32), "intensity": tf.ones([1]), "speaker": tf.zeros([1], tf.int32)}
    am = tf.function(lambda: syn.model_(cond, training=False)["linear"])
    mag = tf.exp(am())
    gl = tf.function(lambda m: griffin_lim(m, config=cfg, n_iter=tf.constant(args.iters)))
    gl(mag)
    am_t = float(np.median(_common.timeit(lambda: am().numpy(), 10)))
    gl_t = float(np.median(_common.timeit(lambda: gl(mag).numpy(), 10)))
    result = {
        "model": str(args.model), "griffin_lim_iters": args.iters, "n_sentences": len(texts),
        "rtf": float(np.median(rtfs)), "rtf_p90": float(np.percentile(rtfs, 90)),
        "rtf_batch8": float(np.median(batch_rtf)) if batch_rtf else None,
        "mean_audio_seconds": float(np.mean([len(a) / rate for a in audio])), "mean_latency_s": float(np.mean(seconds)),
        "acoustic_model_s": am_t, "griffin_lim_s": gl_t, "split_audio_seconds": float(mag.shape[1] * cfg.hop_length / rate),
        "target_rtf": 0.1, "goal_rtf": 0.05, "environment": _common.environment(),
    }
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
