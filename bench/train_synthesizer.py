"""Train the shipped synthesizer and its GAN ablation, in stages that can run in parallel.

    python bench/train_synthesizer.py base   --out out/synth          # reconstruction warm-up
    python bench/train_synthesizer.py lstm   --out out/synth          # + reconstruction only
    python bench/train_synthesizer.py gan    --out out/synth          # + conditional GAN
    python bench/train_synthesizer.py critic --out out/synth --from gan   # + critic-in-the-loop (ravdess8)
    python bench/train_synthesizer.py pitch  --out out/synth --from lstm  # + a pitch head (F0, voicing)
    python bench/train_synthesizer.py ship   --out out/synth --from gan

Continuing the shipped synthesizer (``cp -r ser_synth/pretrained/synthesizer out/synth/pitch``):

    python bench/train_synthesizer.py pitch  --from pitch --profiles measured --name ft_measured  # corpus with measured profiles
    python bench/train_synthesizer.py pitch  --from pitch --name ft_calibrated                   # its control
    python bench/train_synthesizer.py pitch  --from pitch --profiles calibrated_prosody --name ft_prosody_only  # no tilt/tremolo/breath
    python bench/train_synthesizer.py pitch  --from pitch --phrases 40 --name ft_phrases         # + 40 short phrases
    python bench/train_synthesizer.py critic --from pitch --name critic_plain                    # critic-in-the-loop
    python bench/train_synthesizer.py critic --from pitch --critic-augment 1 --name critic_channel  # critic through a random channel
    python bench/train_synthesizer.py critic --from ft_prosody_only --profiles calibrated_prosody --name critic_prosody_only
    python bench/train_synthesizer.py critic --from pitch --critic-input vocoder --periodicity-weight 2 --name critic_vocoder_periodic

Data: the embedded espeak-ng corpus (text coverage) plus RAVDESS actors 01-16 (real emotional
speech, the actors as speakers; 17 and 18 stay unseen, as in the recognizers' recipes). The
``base`` stage trains on reconstruction (and duration / alignment) losses; ``lstm`` and ``gan``
continue the same base for the same number of steps, without and with the discriminator, so
the ablation differs only in the adversarial losses. ``critic`` continues a finished stage with
the frozen ``ravdess8`` recognizer's cross-entropy toward the intended emotion added (and the
same GAN setting as that stage); ``judge4``, which never heard ravdess8's or the synthesizer's
speakers, checks the result (``ser-synth critique``). ``pitch`` gives a finished stage that was
trained without one a pitch head (F0 + voicing, whose harmonics are laid over the linear
magnitude before Griffin-Lim) and fine-tunes everything with the pitch losses added
(``--no-pitch-head --name pitch_control``: the same fine-tuning without the head, the control);
a ``base`` trained now has the head from the start.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import _common
from recipes import HELD_OUT_ACTORS as HELD_OUT
from recipes import RAVDESS

from ser_synth.data.synthetic import PROFILE_SETS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = {"n_sentences": 100, "seed": 0}
BASE = {"steps": 2000, "batch_size": 16, "learning_rate": 1e-3, "gan_weight": 0.0, "seed": 0}
BRANCH = {"steps": 800, "batch_size": 16, "learning_rate": 3e-4, "seed": 1}
GAN = {"gan_weight": 1.0, "gan_warmup_steps": 0}
CRITIC = {"steps": 400, "critic_weight": 0.5, "critic_ramp_steps": 100}
CRITIC_MODEL = "ravdess8"
PITCH = {"steps": 600, "batch_size": 16, "learning_rate": 5e-4, "seed": 3}


def training_records(with_real: bool = True, profiles: str = "calibrated", phrases: int = 0,
                     embedded_emotions: list[str] | None = None):
    from ser_synth.data import read_corpora
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    records = list(synthetic_corpus(SyntheticCorpusConfig(**CORPUS, n_phrases=phrases, profiles=profiles), verbose=1))
    if embedded_emotions is not None:
        records = [r for r in records if r.emotion in embedded_emotions]
    if with_real and _common.SHARED_DATA.is_dir():
        records += [r for r in read_corpora(RAVDESS) if r.speaker not in HELD_OUT]
    return records


def ship(out: Path, source: str, quality: str | None, critique: str | None) -> None:
    """Copy a trained stage into the package with ``metrics.json`` and ``MODEL_CARD.md``."""
    from ser_synth.recognition.metrics import write_json
    from ser_synth.synthesis import EmotionalSynthesizer
    from ser_synth.utils import atomic_write_text

    src = out / source
    syn = EmotionalSynthesizer.load(src)
    q = json.loads(Path(quality).read_text())["models"][str(src)] if quality else None
    c = json.loads(Path(critique).read_text()) if critique else None
    dest = ROOT / "ser_synth" / "pretrained" / "synthesizer"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    write_json({"source": str(src), "quality": q, "critique": c}, dest / "metrics.json")
    tc = syn.train_config
    lines = [
        "# `synthesizer` — emotional text-to-speech (LSTM acoustic model + Griffin-Lim)", "",
        f"{syn.model_.count_params():,} parameters; characters in, {syn.audio_config.sample_rate} Hz waveform out; "
        f"{len(syn.speakers_)} speakers ({', '.join(s for s in syn.speakers_ if s.startswith('espeak/'))} and RAVDESS actors "
        f"01-16 as ravdess/NN); emotions {', '.join(syn.emotions_)}; intensity 0-1.", "",
        "## Training",
        f"- Data: the embedded espeak-ng corpus ({CORPUS['n_sentences']} grammar sentences, seed {CORPUS['seed']}, calibrated "
        "profiles) and RAVDESS actors 01-16 (real acted speech; 17 and 18 never seen).",
        f"- Stages (`bench/train_synthesizer.py`): reconstruction warm-up {BASE['steps']} steps, then {BRANCH['steps']} steps "
        + (f"with the conditional discriminator (gan_weight {GAN['gan_weight']})" if source not in ("lstm", "pitch") else
           "more of reconstruction only (the GAN branch of the same base scored worse: see the ablation in docs/RESULTS.md)")
        + (f", then {tc.steps} steps with a pitch head added (F0 + voicing from YIN targets; its harmonics are laid over "
           "the linear magnitude before Griffin-Lim)" if source == "pitch" else "")
        + (f", then {tc.steps} steps with the frozen `{CRITIC_MODEL}` critic (critic_weight {tc.critic_weight})" if tc.critic_weight else "")
        + f"; batch {tc.batch_size}, 2 CPU cores.",
        "- Reproduce: `python bench/train_synthesizer.py base`, then "
        + {"critic": "`... gan`, then `... critic`", "pitch": "`... lstm`, then `... pitch --from lstm`"}.get(source, f"`... {source}`")
        + f", then `... ship --from {source} --quality Q.json --critique C.json`.", "",
    ]
    if q:
        lines += ["## Measured on new sentences (grammar seed 777), espeak-ng voices, 4 core emotions",
                  f"- MCD {q['mcd_db']:.2f} dB, F0 RMSE {q['f0_rmse_hz']:.1f} Hz, GV ratio {q['gv_ratio']:.2f}, "
                  f"Griffin-Lim spectral convergence {q['griffin_lim_sc']:.3f} (through the mel bottleneck: {q['griffin_lim_sc_through_mel']:.3f}); "
                  f"n = {q['n']} (`python bench/synthesis_quality.py --model ...`).",
                  "- Heard as intended (4 classes): " + ", ".join(f"`{k}` {v['accuracy']:.2f}" for k, v in q["heard_as_intended"].items())
                  + (("; in RAVDESS actor voices: " + ", ".join(f"`{k}` {v['accuracy']:.2f}" for k, v in q["heard_as_intended_actor_voices"].items()))
                     if "heard_as_intended_actor_voices" in q else "") + ".", ""]
    if c:
        lines += ["## Critique (`ser-synth critique`)",
                  f"- critic `{c['critic']}` accuracy {c['critic_accuracy']:.3f}" + (f", independent judge `{c['judge']}` {c['judge_accuracy']:.3f}" if c.get("judge") else "")
                  + f" over {', '.join(c['emotions'])}, n = {c['n']}.", ""]
    lines += ["## Licence",
              "Trained on RAVDESS (CC BY-NC-SA 4.0): **non-commercial use only**, share alike, attribute Livingstone & Russo (2018).", "",
              "## Limits",
              "Robotic Griffin-Lim voice quality; emotion is partly audible at best (see the figures); English only; the espeak-ng "
              "voices speak any text, the RAVDESS voices only ever heard two sentences. Not for impersonation."]
    atomic_write_text(dest / "MODEL_CARD.md", "\n".join(lines) + "\n")
    print(f"shipped {src} -> {dest}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["base", "lstm", "gan", "critic", "pitch", "ship"])
    ap.add_argument("--out", default=str(ROOT / "out" / "synth"))
    ap.add_argument("--from", dest="source", default="gan", help="critic / pitch / ship: the stage to continue / to copy into the package")
    ap.add_argument("--quality", help="ship: synthesis_quality.py JSON with this model, for the model card")
    ap.add_argument("--critique", help="ship: critique JSON (ser-synth critique --json) of this model, for the model card")
    ap.add_argument("--embedded-only", action="store_true", help="leave RAVDESS out (the embedded-corpus-only model)")
    ap.add_argument("--profiles", choices=sorted(PROFILE_SETS), default="calibrated",
                    help="prosody profiles of the embedded corpus")
    ap.add_argument("--phrases", type=int, default=0,
                    help="short texts of 1-4 words added to the embedded corpus (SyntheticCorpusConfig.n_phrases)")
    ap.add_argument("--embedded-emotions", type=lambda v: v.split(","),
                    help="keep only these emotions of the embedded corpus (e.g. neutral: every other emotion is "
                         "then learned from the RAVDESS actors alone)")
    ap.add_argument("--name", help="output folder name under --out (default: the stage)")
    ap.add_argument("--critic-augment", type=float, default=0.0,
                    help="critic: SynthTrainConfig.critic_augment (the critic hears the log-mel through a random channel)")
    ap.add_argument("--critic-input", choices=["mel", "vocoder"], default="mel",
                    help="critic: SynthTrainConfig.critic_input (vocoder: the critic hears the magnitude the waveform is rendered from)")
    ap.add_argument("--critic-weight", type=float, default=CRITIC["critic_weight"],
                    help="critic: SynthTrainConfig.critic_weight (default %(default)s)")
    ap.add_argument("--periodicity-weight", type=float, default=0.0,
                    help="critic: SynthTrainConfig.periodicity_weight (keeps the rendered magnitude periodic at the pitch head's F0)")
    ap.add_argument("--no-pitch-head", action="store_true",
                    help="pitch: the control, the same fine-tuning without adding a pitch head")
    args = ap.parse_args()

    from ser_synth.synthesis import EmotionalSynthesizer
    from ser_synth.recognition.metrics import write_json

    out = Path(args.out)
    if args.stage == "ship":
        ship(out, args.source, args.quality, args.critique)
        return
    records = training_records(with_real=not args.embedded_only, profiles=args.profiles, phrases=args.phrases,
                               embedded_emotions=args.embedded_emotions)
    name = args.name or args.stage
    t = time.time()
    if args.stage == "base":
        syn = EmotionalSynthesizer(train_config=BASE, verbose=2)
        syn.fit(records, out_dir=out / name)
    elif args.stage == "critic":
        from ser_synth.critic import EmotionCritic

        syn = EmotionalSynthesizer.load(out / args.source, verbose=2)
        gan = {k: getattr(syn.train_config, k) for k in GAN}
        syn.fine_tune(records, train_config={**BRANCH, **gan, **CRITIC, "critic_weight": args.critic_weight, "critic_augment": args.critic_augment,
                                                          "critic_input": args.critic_input,
                                                          "periodicity_weight": args.periodicity_weight, "seed": 2},
                      critic=EmotionCritic(CRITIC_MODEL),
                      out_dir=out / name)
    elif args.stage == "pitch":
        syn = EmotionalSynthesizer.load(out / args.source, verbose=2)
        if not syn.acoustic_config.f0_channels and not args.no_pitch_head:
            syn.add_pitch_head()
        syn.fine_tune(records, train_config=PITCH, out_dir=out / name)
    else:
        syn = EmotionalSynthesizer.load(out / "base", verbose=2)
        syn.fine_tune(records, train_config={**BRANCH, **(GAN if args.stage == "gan" else {})}, out_dir=out / name)
    seconds = time.time() - t
    write_json({"stage": args.stage, "source": args.source if args.stage in ("critic", "pitch") else None, "seconds": seconds,
                "n_train": syn.n_train_, "speakers": syn.speakers_, "corpus": {**CORPUS, "n_phrases": args.phrases, "profiles": args.profiles, "emotions": args.embedded_emotions}, "held_out_speakers": sorted(HELD_OUT), "embedded_only": args.embedded_only,
                "environment": _common.environment()}, out / f"{name}_train.json")
    print(json.dumps({"stage": args.stage, "minutes": round(seconds / 60, 1), "n_train": syn.n_train_}))


if __name__ == "__main__":
    main()
