"""Does a stronger emotion embedding make the synthesizer's emotion heard? (an exploration)

    python bench/emotion_scale.py [--json out/bench/emotion_scale.json] [--scales 1,1.5,2,3,4]

The synthesizer conditions on a soft label between neutral and the target emotion,
``(1 - k) e[neutral] + k e[emotion]`` at intensity ``k`` (``EmotionMixer``). Regression
models under-express what they learned, so a common remedy is to extrapolate past the data
(as classifier-free guidance does): here every emotion's embedding row is moved to
``e[neutral] + s (e[emotion] - e[neutral])``, the same as speaking at intensity ``s k``. The
shipped weights are not changed on disk. Each scale ``s`` is critiqued as ``ser-synth critique
--n 24`` critiques (the ``ravdess8`` critic on the log-mel, the independent judges ``judge4``
and ``judge4v`` on the waveform; 24 new sentences x neutral/happy/sad/angry, intensities
0.25-1, espeak-ng voices); ``s = 1`` is the shipped model. Keys: ``scales`` -> per scale
``critic_accuracy``, ``judge4`` and ``judge4v`` (``accuracy``, ``confusion``, rows intended,
columns heard, in that judge's ``labels`` order), ``recognized_by_emotion`` (share heard as intended by each
judge). No listener chose anything here, and nothing is shipped from it.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np

EMOTIONS = ["neutral", "happy", "sad", "angry"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--scales", default="1,1.5,2,3,4")
    ap.add_argument("--n", type=int, default=24, help="sentences per emotion")
    args = ap.parse_args()

    from ser_synth.critic import EmotionCritic
    from ser_synth.critic.critique import critique
    from ser_synth.synthesis import EmotionalSynthesizer

    critic, judges = EmotionCritic("ravdess8"), {name: EmotionCritic(name) for name in ("judge4", "judge4v")}
    syn = EmotionalSynthesizer.pretrained()
    table = syn.model_.emotion_mixer.table
    shipped = table.numpy().copy()
    neutral = shipped[syn.model_.emotion_mixer.neutral_index]
    result = {"environment": _common.environment(), "n_per_emotion": args.n, "scales": {}, "speaker_disjoint": True,
              "note": "synthesized speech of new sentences in voices no recognizer heard; the judges never heard the synthesizer's speakers"}
    for s in [float(x) for x in args.scales.split(",")]:
        table.assign(neutral + s * (shipped - neutral))
        r = critique(syn, critic, more_judges=judges, emotions=EMOTIONS, n=args.n)
        row = {"critic_accuracy": r["critic_accuracy"]}
        for name, j in r["more_judges"].items():
            c = np.asarray(j["confusion"])
            row[name] = {"accuracy": j["accuracy"], "confusion": j["confusion"], "labels": j["labels"],
                         "recognized_by_emotion": dict(zip(j["labels"], (np.diag(c) / c.sum(1)).round(3).tolist()))}
        result["scales"][f"{s:g}"] = row
        print(f"scale {s:g}: critic {row['critic_accuracy']:.3f}  " + "  ".join(
            f"{name} {row[name]['accuracy']:.3f} {row[name]['recognized_by_emotion']}" for name in judges), flush=True)
    table.assign(shipped)
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
