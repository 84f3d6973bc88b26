"""Quality and audible emotion of trained synthesizers on sentences no training corpus has.

    python bench/synthesis_quality.py --model out/syn_lstm --model out/syn_gan [--n 24] [--profiles calibrated] --json out/bench/synthesis_quality.json

For each model, sentences from a grammar seed no corpus used (777) are synthesised in each of
the 4 core emotions (intensity 1) by the model's espeak-ng voices, and compared with the
embedded-corpus rendering of the same sentence, voice and emotion (the reference the model was
trained to imitate, spoken with ``--profiles``, the corpus's prosody profiles): MCD, F0 RMSE, GV ratio (``ser_synth.synthesis.metrics``) and the Griffin-Lim
spectral convergence against the magnitude it inverts (the linear head's, with the predicted
F0's harmonics for a model with a pitch head: what synthesis uses) and, against the linear
head's magnitude, through the mel bottleneck (mel pseudo-inverse, the path the
linear head replaces). The shipped ``core4`` and ``ravdess8`` recognizers (trained on real
speech only) then say which emotion they hear: accuracy and confusion, for each model and for
the rule-based references themselves. ``duration_ratio`` is generated / reference speaking
time; ``short_texts`` repeats it (and MCD) on one- and two-word texts (``SHORT_TEXTS``).
Models that also learned real actors' voices are heard a second time speaking the same new sentences in those voices (``heard_as_intended_actor_voices``).
"""

from __future__ import annotations

import argparse

import _common
import numpy as np

from ser_synth.data.synthetic import PROFILE_SETS

CORE4 = ["neutral", "happy", "sad", "angry"]
# one- and two-word texts whose words no corpus phrase or sentence uses, and "Hi" (in the
# phrases) as users type it, without a full stop
SHORT_TEXTS = ["Hey.", "Sure.", "Fine.", "Great!", "Never.", "Maybe.", "Enough!", "Hurry up!", "Goodbye.", "Cheers.",
               "Help!", "Listen.", "Hi"]


def _heard(recs, waves, labels) -> dict:
    from ser_synth.recognition.metrics import evaluation_report

    out = {}
    for name, rec in recs.items():
        classes = rec.classes_.tolist()
        proba = rec.predict_proba(waves)[:, [classes.index(c) for c in CORE4]]
        rep = evaluation_report(labels, proba / proba.sum(1, keepdims=True), CORE4, ["synthetic"] * len(labels))
        out[name] = {"accuracy": rep["wa"], "uar": rep["uar"], "confusion": rep["confusion"], "labels": CORE4}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="saved EmotionalSynthesizer folder (repeatable)")
    ap.add_argument("--n", type=int, default=24, help="sentences")
    ap.add_argument("--profiles", default="calibrated", choices=sorted(PROFILE_SETS),
                    help="prosody profiles of the references: those of the corpus the models were trained on")
    ap.add_argument("--json")
    args = ap.parse_args()

    import tensorflow as tf

    from ser_synth.audio.griffin_lim import griffin_lim, mel_to_linear, spectral_convergence
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.data.synthetic import SPEAKERS
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.synthesis import EmotionalSynthesizer
    from ser_synth.synthesis.acoustic import vocoder_magnitude
    from ser_synth.synthesis.metrics import reference_quality

    recs = {name: EmotionRecognizer.pretrained(name) for name in ("core4", "ravdess8")}
    texts = generate_sentences(args.n, seed=777)
    result = {"sentence_seed": 777, "n_sentences": args.n, "emotions": CORE4, "reference_profiles": args.profiles, "models": {}}
    refs: dict = {}
    for path in args.model:
        syn = EmotionalSynthesizer.load(path)
        cfg = syn.audio_config
        quality, items, waves, mels = reference_quality(syn, texts, emotions=CORE4, profiles=args.profiles, references=refs,
                                                        return_audio=True)
        sc, sc_mel = [], []
        for (t, spk, e), y in zip(items, waves):
            out = syn.model_({"tokens": tf.constant(_tokens(syn, t)), "emotion": tf.constant([syn.emotion_index(e)]),
                              "intensity": tf.constant([1.0]), "speaker": tf.constant([syn.speakers_.index(spk)])})
            # Griffin-Lim against the magnitude it is asked to invert (with harmonics, for a model
            # with a pitch head); the output peak limiter is left out, as it only rescales
            target = vocoder_magnitude(out, cfg)
            rebuilt = griffin_lim(target, config=cfg, n_iter=syn.griffin_lim_iters)
            sc.append(float(spectral_convergence(target, rebuilt, config=cfg)[0]))
            mag = tf.exp(out["linear"])
            via_mel = griffin_lim(mel_to_linear(tf.exp(out["mel_post"]), config=cfg), config=cfg, n_iter=syn.griffin_lim_iters)
            sc_mel.append(float(spectral_convergence(mag, via_mel, config=cfg)[0]))
        labels = [e for _, _, e in items]
        result["models"][path] = {
            "gan_weight": syn.train_config.gan_weight, "steps": syn.train_config.steps, **quality,
            "griffin_lim_sc": float(np.mean(sc)), "griffin_lim_sc_through_mel": float(np.mean(sc_mel)),
            "heard_as_intended": _heard(recs, waves, labels),
        }
        short = reference_quality(syn, SHORT_TEXTS, emotions=CORE4, profiles=args.profiles, references=refs)
        result["models"][path]["short_texts"] = {k: short[k] for k in ("n", "duration_ratio", "duration_ratio_min", "mcd_db")}
        actors = [s for s in syn.speakers_ if s not in SPEAKERS]
        if actors:
            a_items = [(t, actors[i % len(actors)], e) for i, (t, _, e) in enumerate(items)]
            a_waves = syn.synthesize_batch([t for t, _, _ in a_items], emotions=[e for _, _, e in a_items], intensities=1.0,
                                           speakers=[s for _, s, _ in a_items])
            result["models"][path]["heard_as_intended_actor_voices"] = _heard(recs, a_waves, labels)
            result["models"][path]["actor_voices"] = actors
        print(path, {k: v for k, v in result["models"][path].items() if k != "heard_as_intended"}, flush=True)
    ref_items = [k for k in refs if k[0] in texts]
    result["rule_based_references"] = {"n": len(ref_items), "heard_as_intended": _heard(recs, [refs[k][0] for k in ref_items], [k[2] for k in ref_items])}
    result["environment"] = _common.environment()
    _common.write(result, args.json)


def _tokens(syn, text):
    from ser_synth.synthesis.text import TextEncoder

    return TextEncoder(syn.acoustic_config.symbols).encode(text)[None]


if __name__ == "__main__":
    main()
