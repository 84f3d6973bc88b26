"""What the independent judge hears in synthesized emotions, next to what it hears in real actors.

    python bench/synth_feature_gap.py [--model synthesizer] [--model DIR|rule-based ...] [--n 24]
                                      [--voices espeak|actors] [--judge judge4v] [--json F]

Each synthesizer speaks the critique's new sentences (``ser-synth critique``: grammar seed
2024, ``--n`` per emotion, neutral/happy/sad/angry; the other emotions at intensity 1, the
strongest, so a gap is not the intensity's) in its espeak-ng voices or in the RAVDESS actors'
voices. Real speech is RAVDESS actors 01-16 (speakers the judge never heard; every utterance of
the four emotions), as recorded and through the synthesizer's vocoder channel
(``source_filter_resynthesis``: what a synthesizer that predicted envelope, F0 and voicing
perfectly could produce).

For every source and emotion the JSON gives the judge's mean probabilities (``heard_as``) and
readable statistics of its features (``stats``: share of frames where YIN finds voicing, median
F0 of the voiced utterances in Hz, F0 spread in semitones, level spread in dB, spectral tilt in
dB per octave, zero-crossing rate, spectral flatness, pause share, onsets per second). For each
synthesizer and emotion it also gives the share of frames its pitch head calls voiced
(``pitch_head_voiced_share``: what the model meant, against ``stats.voiced_share``: what the judge
finds in the waveform), and ``logit_gap``: the judge's log-odds of the intended
emotion against the emotion it most often hears instead, real (vocoded) minus synthesized, and
the features that make most of that gap (``top_features``: the judge's weight difference times
the mean standardised feature difference). That names what a synthesizer must change for the
judge to hear the emotion, in the judge's own terms; it does not train anything.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import CORE4, unheard_actors

SENTENCE_SEED = 2024  # ser_synth.critic.critique.CRITIQUE_SEED
TOP = 6


def readable(F: np.ndarray) -> dict:
    """Readable means of judge features ``[n, FEATURE_DIM]`` of one group of utterances."""
    from ser_synth.recognition.prosodic import FEATURE_NAMES

    col = {name: F[:, i] for i, name in enumerate(FEATURE_NAMES)}
    voiced = col["voiced_share"] > 0.05  # utterances where YIN found some F0 (the statistic is 0 otherwise)
    return {"voiced_share": float(col["voiced_share"].mean()),
            "f0_median_hz": float(np.median(2 ** col["log_f0_mean"][voiced])) if voiced.any() else None,
            "f0_spread_semitones": float(12 * col["log_f0_std"][voiced].mean()) if voiced.any() else None,
            "utterances_with_f0": float(voiced.mean()),
            "level_spread_db": float(col["level_std"].mean()), "tilt_db_per_octave": float(col["tilt"].mean()),
            "zcr": float(col["zcr_mean"].mean()), "flatness": float(col["flatness_mean"].mean()),
            "pause_share": float(col["pause_share"].mean()), "onsets_per_s": float(col["onset_rate"].mean())}


def predicted_voicing(syn, items) -> np.ndarray | None:
    """Share of frames the pitch head of ``syn`` calls voiced (>= 0.5) per item ``(text,
    emotion, intensity, speaker)``, over the pieces ``synthesize_batch`` speaks; None without one."""
    import tensorflow as tf

    from ser_synth.synthesis.text import TextEncoder, normalize_text, pad_ids, split_text

    if not getattr(getattr(syn, "acoustic_config", None), "f0_channels", 0):
        return None
    enc, shares = TextEncoder(syn.acoustic_config.symbols), []
    for text, emotion, k, speaker in items:
        ids = [enc.encode(c) for c in split_text(normalize_text(text))]
        out = syn.model_({"tokens": tf.constant(pad_ids(ids)), "emotion": tf.fill([len(ids)], syn.emotion_index(emotion)),
                          "intensity": tf.fill([len(ids)], float(k)), "speaker": tf.fill([len(ids)], syn.speakers_.index(speaker))},
                         training=False)
        v, n = out["voicing"].numpy(), out["frame_lengths"].numpy()
        shares.append(np.concatenate([v[i, :n[i]] for i in range(len(ids))]).__ge__(0.5).mean())
    return np.array(shares)


def heard_as(judge, F: np.ndarray) -> dict:
    return dict(zip(judge.classes_.tolist(), np.round(judge.proba_from_features(F).mean(0), 3).tolist()))


def logit_gap(judge, F_real: np.ndarray, F_syn: np.ndarray, emotion: str) -> dict:
    """The judge's linear log-odds of ``emotion`` against the class it most hears instead in
    ``F_syn``, real minus synthesized, split over features (logistic-regression judges only)."""
    from ser_synth.recognition.prosodic import FEATURE_NAMES

    classes = judge.classes_.tolist()
    proba = judge.proba_from_features(F_syn).mean(0)
    rival = max((c for c in classes if c != emotion), key=lambda c: proba[classes.index(c)])
    z = lambda F: ((F - judge.mean_) / judge.scale_).mean(0)  # noqa: E731
    w = judge.coef_[classes.index(emotion)] - judge.coef_[classes.index(rival)]
    real, syn = z(F_real), z(F_syn)
    part = w * (real - syn)
    order = np.argsort(-np.abs(part))[:TOP]
    return {"against": rival, "gap": float(part.sum()),
            "top_features": [{"feature": FEATURE_NAMES[i], "real_z": round(float(real[i]), 2), "synth_z": round(float(syn[i]), 2),
                              "contribution": round(float(part[i]), 2)} for i in order]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="a synthesizer folder, a shipped name or rule-based[:profiles] "
                                                     "(repeatable; default: the shipped synthesizer)")
    ap.add_argument("--n", type=int, default=24, help="sentences per emotion")
    ap.add_argument("--voices", choices=["espeak", "actors"], default="espeak")
    ap.add_argument("--judge", default="judge4v")
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("synth_feature_gap")

    from ser_synth.cli import _load_synthesizer
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.data.synthetic import SPEAKERS
    from ser_synth.recognition import load_recognizer

    judge = load_recognizer(args.judge)
    if judge.hidden_units:
        raise SystemExit(f"synth_feature_gap splits a linear judge's log-odds; {args.judge} has a hidden layer")
    real = unheard_actors()
    y_real = np.array([r.emotion for r in real])
    waves = judge.waveforms(real)
    F = {"recorded": judge.statistics(waves), "vocoded": judge.features(judge.vocoded(waves))}
    out = {"judge": args.judge, "sentence_seed": SENTENCE_SEED, "n_per_emotion": args.n, "voices": args.voices,
           "real": {"speakers": "ravdess 01-16", "n": len(real)},
           **{f"real_{c}": {e: {"heard_as": heard_as(judge, F[c][y_real == e]), "stats": readable(F[c][y_real == e])}
                            for e in CORE4} for c in F},
           "models": {}}
    texts = generate_sentences(args.n, seed=SENTENCE_SEED)
    for name in args.model or ["synthesizer"]:
        syn = _load_synthesizer(name, "--model")
        voices = [s for s in syn.speakers_ if (s in SPEAKERS) == (args.voices == "espeak")] if hasattr(syn, "speakers_") \
            else sorted(SPEAKERS)
        if not voices:
            raise SystemExit(f"{name} has no {args.voices} voices")
        items = [(t, e, 0.0 if e == "neutral" else 1.0, voices[i % len(voices)]) for e in CORE4 for i, t in enumerate(texts)]
        Fs = judge.features(syn.synthesize_batch([x[0] for x in items], emotions=[x[1] for x in items],
                                                 intensities=[x[2] for x in items], speakers=[x[3] for x in items]))
        ys = np.array([x[1] for x in items])
        head = predicted_voicing(syn, items)
        out["models"][name] = {e: {"heard_as": heard_as(judge, Fs[ys == e]), "stats": readable(Fs[ys == e]),
                                   **({"pitch_head_voiced_share": float(head[ys == e].mean())} if head is not None else {}),
                                   "logit_gap": logit_gap(judge, F["vocoded"][y_real == e], Fs[ys == e], e)} for e in CORE4}
        for e in CORE4:
            m, real_e = out["models"][name][e], out["real_vocoded"][e]["stats"]
            head = f" (pitch head {m['pitch_head_voiced_share']:.2f})" if "pitch_head_voiced_share" in m else ""
            print(f"{name} {e}: heard as {e} {m['heard_as'][e]:.2f}; voiced {m['stats']['voiced_share']:.2f}{head} "
                  f"(real vocoded {real_e['voiced_share']:.2f}), tilt {m['stats']['tilt_db_per_octave']:+.1f} "
                  f"({real_e['tilt_db_per_octave']:+.1f}) dB/oct; gap vs {m['logit_gap']['against']} {m['logit_gap']['gap']:+.1f}: "
                  + ", ".join(f"{t['feature']} {t['contribution']:+.1f}" for t in m["logit_gap"]["top_features"][:3]), flush=True)
    out["environment"] = _common.environment()
    _common.write(out, args.json, quiet=True)


if __name__ == "__main__":
    main()
