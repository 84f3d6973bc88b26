"""How much of real speech's emotion does the independent judge still hear after Griffin-Lim?

    python bench/judge_vocoder.py --json out/bench/judge_vocoder.json [--iters 32] [--limit N]

The shipped synthesizer predicts a linear magnitude and renders it with Griffin-Lim. This
bench gives the ceiling that rendering leaves to judge fidelity: ``judge4`` on real speech it
never heard (RAVDESS actors 01-16, neutral/happy/sad/angry, speaker-disjoint from the judge),
once as recorded and once after a Griffin-Lim round trip of the *exact* STFT magnitude
(``--iters`` iterations, the synthesizer's default 32, random initial phase), so only the
phase reconstruction differs; and once more through the synthesizer's source-filter rendering
with ideal inputs (``source_filter``): each frame's magnitude is cut to its smooth envelope
(cepstral liftering below one period of ``FMAX`` = 500 Hz), the utterance's own YIN F0 and
voicing (``pitch_track``) lay their harmonics over it (``harmonic_magnitude``) and Griffin-Lim
starts from a pulse train's phases (``excitation_spectrum``), exactly as a synthesizer with a
pitch head renders a perfectly predicted envelope and F0. Keys: ``original``, ``griffin_lim``,
``source_filter`` (UAR, WA, confusion), ``same_decision_share`` (original vs Griffin-Lim) and
``source_filter_same_decision_share``.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import unheard_actors


def round_trip(waves, config, iters: int, batch: int = 16):
    """Griffin-Lim rebuild of each waveform from its own STFT magnitude (same length)."""
    import tensorflow as tf

    from ser_synth.audio.frontend import LinearSpectrogram
    from ser_synth.audio.griffin_lim import griffin_lim

    spec = LinearSpectrogram(config)
    out = []
    for i in range(0, len(waves), batch):
        chunk = waves[i:i + batch]
        n = max(len(w) for w in chunk)
        x = tf.constant(np.stack([np.pad(w, (0, n - len(w))) for w in chunk]).astype(np.float32))
        y = griffin_lim(spec(x), config=config, n_iter=iters, num_samples=n).numpy()
        out += [y[j, :len(w)] for j, w in enumerate(chunk)]
        print(f"griffin-lim {min(i + batch, len(waves))}/{len(waves)}", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--iters", type=int, default=32)
    ap.add_argument("--limit", type=int, default=None, help="only the first N utterances (a quick look)")
    args = ap.parse_args()
    _common.require_corpora("judge_vocoder")

    from ser_synth.data.loading import load_waveforms
    from ser_synth.recognition import load_recognizer
    from ser_synth.recognition.metrics import evaluation_report

    judge = load_recognizer("judge4")
    records = unheard_actors()[:args.limit]
    config = judge.audio_config
    waves = load_waveforms([r.path for r in records], config, trim_db=judge.trim_db, verbose=0)
    y, spk = [r.emotion for r in records], [r.speaker for r in records]
    classes = judge.classes_.tolist()
    p_orig = judge.predict_proba(waves)
    p_gl = judge.predict_proba(round_trip(waves, config, args.iters))
    p_sf = judge.predict_proba(judge.vocoded(waves))
    result = {"judge": "judge4", "test": f"RAVDESS actors 01-16, {len(records)} utterances (speakers the judge never heard)",
              "griffin_lim_iters": args.iters, "speaker_disjoint": True}
    for key, p in (("original", p_orig), ("griffin_lim", p_gl), ("source_filter", p_sf)):
        rep = evaluation_report(y, p, classes, spk)
        result[key] = {k: rep[k] for k in ("uar", "wa", "n", "labels", "confusion")}
        print(f"{key}: judge UAR {rep['uar']:.3f}", flush=True)
    result["same_decision_share"] = float(np.mean(p_orig.argmax(1) == p_gl.argmax(1)))
    result["source_filter_same_decision_share"] = float(np.mean(p_orig.argmax(1) == p_sf.argmax(1)))
    result["environment"] = _common.environment()
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
