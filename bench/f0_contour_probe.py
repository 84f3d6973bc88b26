"""Do the judges hear the synthesizer's emotions once its F0 is higher and livelier?

    python bench/f0_contour_probe.py [--model synthesizer] [--setting RANGE,SHIFT ...] [--n 24] [--json F]

The synthesizer's pitch head is trained by regression, so its contours are flatter than the
actors' (``bench/synth_feature_gap.py``: happy 1.2-1.5 semitones of F0 spread against 5.4 in
RAVDESS actors 01-16), and its espeak-ng voices speak lower. Each ``--setting`` edits every
utterance's predicted F0 before the vocoder (the source-filter rendering lays the harmonics of
that F0 over the unchanged envelope): log F0 is scaled by ``RANGE`` around the utterance's voiced
mean and raised by ``SHIFT`` semitones. Then the critique is run as ``ser-synth critique --n N``
runs it (same new sentences, voices, intensities; critic ``ravdess8`` on the log-mel, which the
edit does not touch; judges ``judge4`` and ``judge4v`` on the waveform). A probe of what the
judges respond to, not a tuned setting: nothing here trains or ships.

The JSON gives, per setting, the critic's and judges' accuracy and confusion and, per emotion,
the median F0 (Hz) and F0 spread (semitones, standard deviation of log F0 over voiced frames)
that ``ser_synth.audio.pitch.pitch_track`` finds in the waveforms, so the edit is seen to land.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from _edited_critique import edited_critique, judges, summary


class F0Edit:
    """Wraps an acoustic model: its ``f0`` output scaled by ``scale`` around each item's voiced
    mean in log domain and shifted by ``shift`` semitones; every other output unchanged."""

    def __init__(self, model, scale: float, shift: float):
        self.model, self.scale, self.shift = model, float(scale), float(shift)

    def __call__(self, inputs, training=False):
        import tensorflow as tf

        out = self.model(inputs, training=training)
        lf = tf.math.log(tf.maximum(out["f0"], 1.0))
        w = tf.cast(out["voicing"] >= 0.5, lf.dtype) * tf.sequence_mask(out["frame_lengths"], tf.shape(lf)[1], dtype=lf.dtype)
        mu = tf.reduce_sum(lf * w, 1, keepdims=True) / tf.maximum(tf.reduce_sum(w, 1, keepdims=True), 1.0)
        return {**out, "f0": tf.exp(mu + self.scale * (lf - mu) + self.shift * np.log(2.0) / 12)}


def f0_stats(waves, emotions, config) -> dict:
    """Per emotion: median F0 (Hz) and spread (semitones) over the voiced frames of every utterance."""
    from ser_synth.audio.pitch import pitch_track

    out = {}
    for e in sorted(set(emotions)):
        medians, spreads = [], []
        for y in (w for w, x in zip(waves, emotions) if x == e):
            f0, voiced = pitch_track(y, config)
            f = f0[voiced & (f0 > 0)]
            if f.size >= 5:
                medians.append(float(np.median(f)))
                spreads.append(float(12 * np.std(np.log2(f))))
        out[e] = {"f0_median_hz": float(np.median(medians)) if medians else None,
                  "f0_spread_semitones": float(np.mean(spreads)) if spreads else None, "utterances_with_f0": len(medians)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="synthesizer", help="saved synthesizer folder or shipped name")
    ap.add_argument("--setting", action="append", help="RANGE,SHIFT (repeatable; default 1,0 2,0 2,5 3,0)")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--json")
    args = ap.parse_args()
    settings = [tuple(float(v) for v in s.split(",")) for s in (args.setting or ["1,0", "2,0", "2,5", "3,0"])]

    critic, judge_models = judges()
    result = {"model": args.model, "n_per_emotion": args.n, "settings": []}
    for scale, shift in settings:
        row, heard = edited_critique(args.model, lambda model, syn: F0Edit(model, scale, shift), args.n, critic, judge_models)
        row = {"range": scale, "shift_semitones": shift, **row,
               "f0": f0_stats(heard["waves"], heard["emotions"], heard["syn"].audio_config)}
        result["settings"].append(row)
        spread = ", ".join(f"{e} {v['f0_spread_semitones']:.1f}" for e, v in row["f0"].items() if v["f0_spread_semitones"] is not None)
        print(f"range {scale} shift {shift:+}: {summary(row)}; F0 spread (st) {spread}", flush=True)
    result["environment"] = _common.environment()
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
