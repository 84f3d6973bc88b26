"""How the silence trim's noise-only-edge rule was chosen (``ser_synth.audio.trim``).

    python bench/trim_rule.py [--json out/bench/trim_rule.json]

200 clips drawn (seed 1) from the ``core4`` recipe's training speakers (RAVDESS 01-16, EMO-DB
but 03 and 08; never a held-out speaker), 16 kHz. Each setting of the edge rule (frames
examined per edge, their largest spread, how far under the peak they must lie, the margin over
them) trims:

- the clean recordings: the share trimmed exactly as by the peak rule alone (``clean_same``);
- the same with white noise at 20 / 10 / 5 dB SNR over the whole recording: seconds of noise
  kept (``extra_s``) and of speech lost (``lost_s``) per clip, against the clean recording's trim;
- the centre 0.5 / 1 / 2 s of the clean-trimmed speech (no silence at all): seconds lost.

The rule picks, among the settings that trim at least 99% of the clean clips as before, the one
with the least noise kept plus speech lost, summed over all noisy and centre conditions. The
package's constants are that setting (``package_is_the_choice``). Trains nothing; no held-out
speaker is read.
"""

from __future__ import annotations

import argparse
import itertools

import _common
import numpy as np
from recipes import RECIPES
from robustness import at_snr, centre, rng_for, speech_power

SR = 16000
GRID = {"EDGE_FRAMES": (6, 10), "EDGE_RANGE_DB": (2.0, 3.0), "EDGE_BELOW_PEAK_DB": (12.0, 15.0), "EDGE_MARGIN_DB": (4.0, 6.0, 8.0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("trim_rule")

    import tensorflow as tf

    from ser_synth.audio import trim
    from ser_synth.audio.config import AudioConfig
    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.data.loading import load_waveforms

    recipe = RECIPES["core4"]
    train = list(holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"]).train)
    train = [train[i] for i in np.random.default_rng(1).choice(len(train), 200, replace=False)]
    raw = load_waveforms([r.path for r in train], AudioConfig(sample_rate=SR), trim_db=None, verbose=0)

    def bounds(y, edge_noise=True):
        """(start, end) in samples of the kept part."""
        out = trim.trim_silence_tf(tf.constant(y), 30.0, edge_noise=edge_noise).numpy()
        starts = np.flatnonzero(y[: len(y) - len(out) + 1] == out[0])
        for k in range(1, len(out)):  # narrow the candidates sample by sample (digital silence repeats)
            if len(starts) == 1:
                break
            starts = starts[y[starts + k] == out[k]]
        return int(starts[0]), int(starts[0]) + len(out)

    ref = [bounds(y, edge_noise=False) for y in raw]
    trimmed = [y[s:e] for y, (s, e) in zip(raw, ref)]
    powers = [speech_power(t) for t in trimmed]
    conditions = {f"white_{snr}dB": [at_snr(y, rng_for(f"white{snr}", i).standard_normal(len(y)), p, snr)
                                     for i, (y, p) in enumerate(zip(raw, powers))] for snr in (20, 10, 5)}
    conditions.update({f"centre_{w}s": [centre(t, w) for t in trimmed] for w in (0.5, 1.0, 2.0)})
    package = {k: getattr(trim, k) for k in GRID}

    def score(label: str, edge_noise: bool = True) -> dict:
        row = {"clean_same": float(np.mean([bounds(y, edge_noise) == r for y, r in zip(raw, ref)]))}
        for cond, waves in conditions.items():
            kept = [bounds(y, edge_noise) for y in waves]
            want = ref if cond.startswith("white") else [(0, len(y)) for y in waves]
            row[cond] = {"extra_s": round(float(np.mean([max(0, ws - s) + max(0, e - we) for (s, e), (ws, we) in zip(kept, want)])) / SR, 4),
                         "lost_s": round(float(np.mean([max(0, s - ws) + max(0, we - e) for (s, e), (ws, we) in zip(kept, want)])) / SR, 4)}
        row["total_s"] = round(sum(row[c]["extra_s"] + row[c]["lost_s"] for c in conditions), 4)
        print(label, f"clean_same {row['clean_same']:.3f}", " ".join(
            f"{c} +{row[c]['extra_s']:.2f}/-{row[c]['lost_s']:.2f}" for c in conditions), flush=True)
        return row

    peak_only = score("peak rule only", edge_noise=False)
    rows = []
    try:
        for values in itertools.product(*GRID.values()):
            setting = dict(zip(GRID, values))
            for k, v in setting.items():
                setattr(trim, k, v)
            rows.append({"setting": {k.lower(): v for k, v in setting.items()}, **score(str(setting))})
    finally:
        for k, v in package.items():
            setattr(trim, k, v)
    allowed = [r for r in rows if r["clean_same"] >= 0.99]
    choice = min(allowed, key=lambda r: r["total_s"])["setting"]
    _common.write({"environment": _common.environment(), "speaker_disjoint": "training speakers of core4 only; no test speaker",
                   "n_clips": len(raw), "mean_clean_trimmed_s": round(float(np.mean([e - s for s, e in ref])) / SR, 4), "peak_rule_only": peak_only, "grid": rows, "choice": choice,
                   "package": {k.lower(): v for k, v in package.items()},
                   "package_is_the_choice": choice == {k.lower(): v for k, v in package.items()}}, args.json)


if __name__ == "__main__":
    main()
