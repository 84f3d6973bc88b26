"""Is a synthesizer's rendered voice periodic at the F0 its pitch head predicts?

    python bench/period_confusion_probe.py [--model synthesizer ...] [--n 12] [--json F]

The vocoder lays the harmonic comb of the pitch head's F0 over the linear head's magnitude. If
the linear head carries a spectral ripple that repeats faster than those harmonics, a pitch
tracker hears the ripple's period instead (``bench/f0_contour_probe.py`` found sad voices at
477 Hz after critic fine-tuning on the vocoder's magnitude). Per model and emotion, over the
critique's new sentences (``CRITIQUE_SEED``, the critique's voices, intensity 1): the
pitch head's median F0 over its voiced frames; ``ser_synth.audio.pitch.period_confusion`` of
the rendered magnitude at that F0 (mean, and the share of voiced frames where it is positive:
more periodic at a shorter period); and the median F0 that ``pitch_track`` finds in the
Griffin-Lim waveforms. A diagnostic: nothing here trains or ships.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np

EMOTIONS = ("neutral", "happy", "sad", "angry")


def probe(model: str, n: int) -> dict:
    import tensorflow as tf

    from ser_synth.audio.pitch import period_confusion, pitch_track
    from ser_synth.critic.critique import CRITIQUE_SEED
    from ser_synth.data.synthetic import SPEAKERS
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.synthesis import EmotionalSynthesizer
    from ser_synth.synthesis.acoustic import vocoder_magnitude
    from ser_synth.synthesis.text import TextEncoder, normalize_text, pad_ids

    syn = EmotionalSynthesizer.load_any(model)
    cfg, enc = syn.audio_config, TextEncoder(syn.acoustic_config.symbols)
    texts = generate_sentences(n, seed=CRITIQUE_SEED)
    voices = [s for s in syn.speakers_ if s in SPEAKERS] or list(syn.speakers_)
    speakers = [voices[i % len(voices)] for i in range(n)]
    tokens = pad_ids([enc.encode(normalize_text(t)) for t in texts])
    rows = {}
    for e in EMOTIONS:
        out = syn.model_({"tokens": tf.constant(tokens), "emotion": tf.fill([n], syn.emotion_index(e)), "intensity": tf.ones([n]),
                          "speaker": tf.constant([syn.speakers_.index(s) for s in speakers])}, training=False)
        confusion = period_confusion(tf.square(vocoder_magnitude(out, cfg)), out["f0"], config=cfg).numpy()
        voiced = (out["voicing"].numpy() >= 0.5) & tf.sequence_mask(out["frame_lengths"], confusion.shape[1]).numpy()
        tracked = []
        for y in syn.synthesize_batch(texts, emotions=e, speakers=speakers):
            f0, v = pitch_track(y, cfg)
            if (v & (f0 > 0)).sum() >= 5:
                tracked.append(float(np.median(f0[v & (f0 > 0)])))
        rows[e] = {"head_f0_median_hz": float(np.median(out["f0"].numpy()[voiced])),
                   "period_confusion_mean": float(confusion[voiced].mean()),
                   "period_confusion_positive_share": float((confusion[voiced] > 0).mean()),
                   "tracked_f0_median_hz": float(np.median(tracked)) if tracked else None, "utterances_tracked": len(tracked)}
        print(f"{model} {e}: head F0 {rows[e]['head_f0_median_hz']:.0f} Hz, confusion {rows[e]['period_confusion_mean']:+.3f} "
              f"({rows[e]['period_confusion_positive_share']:.0%} > 0), tracked F0 {rows[e]['tracked_f0_median_hz'] or float('nan'):.0f} Hz",
              flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="saved synthesizer folder or shipped name (repeatable; default synthesizer)")
    ap.add_argument("--n", type=int, default=12, help="sentences per emotion")
    ap.add_argument("--json")
    args = ap.parse_args()
    models = args.model or ["synthesizer"]
    _common.write({"n_per_emotion": args.n, "intensity": 1.0, "models": {m: probe(m, args.n) for m in models},
                   "environment": _common.environment()}, args.json, quiet=True)


if __name__ == "__main__":
    main()
