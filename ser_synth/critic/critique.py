"""Synthesize a balanced set of new sentences and let a critic (and an independent judge) listen."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence


from ser_synth.exceptions import ConfigError, DataError

#: Grammar seed of the critique sentences; no training corpus uses it (the embedded corpus
#: uses 0, the rule-based benches 500 and 1000, the quality bench 777).
CRITIQUE_SEED = 2024
INTENSITIES = (0.25, 0.5, 0.75, 1.0)


def critique(synthesizer, critic, judge=None, *, more_judges: Mapping[str, object] | None = None,
             emotions: Sequence[str] | None = None, n: int = 48, intensities: Sequence[float] = INTENSITIES,
             speakers: Sequence[str] | None = None, seed: int = CRITIQUE_SEED, out_dir: str | Path | None = None) -> dict:
    """Synthesize ``n`` utterances per emotion and score them.

    Every emotion the synthesizer and the critic share is spoken over ``n`` new sentences,
    cycling through ``intensities`` (neutral at intensity 0) and ``speakers`` (default: the
    synthesizer's espeak-ng voices, whom no recognizer heard). The critic reads the predicted
    log-mel directly; the judge (an :class:`EmotionCritic` built differently) hears the waveform,
    and so does each of ``more_judges`` (name -> :class:`EmotionCritic`), on the same utterances.
    All choose among the critiqued emotions only (probabilities renormalised over them).

    Returns
    -------
    dict
        ``critic_accuracy``, ``critic_uar``, ``judge_accuracy`` (with a judge), ``n``,
        ``confusion`` (critic), ``judge_confusion``, ``labels``, ``prob_by_intensity``,
        ``monotone``, ``emotions``, ``speakers``, ``sentence_seed``; with ``more_judges``,
        ``more_judges``: name -> ``accuracy``, ``uar``, ``confusion``, ``labels``,
        ``prob_by_intensity``, ``monotone``.
    """
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.data.synthetic import SPEAKERS

    if not isinstance(n, int) or n <= 0:
        raise ConfigError(f"critique needs n > 0 utterances per emotion, got {n!r}")
    shared = [e for e in synthesizer.emotions_ if e in set(critic.classes_.tolist())]
    judges = ([judge] if judge is not None else []) + list((more_judges or {}).values())
    for j in judges:
        shared = [e for e in shared if e in set(j.classes_.tolist())]
    if emotions is not None:
        bad = sorted(set(emotions) - set(shared))
        if bad:
            raise DataError(f"emotion(s) {bad} cannot be critiqued: the synthesizer, critic and judge share only {shared}")
        shared = [e for e in shared if e in set(emotions)]
    if not shared:
        raise DataError(f"the synthesizer ({synthesizer.emotions_}) and critic ({critic.classes_.tolist()}) share no emotion")
    for who in [critic] + judges:
        if who.audio_config.sample_rate != synthesizer.audio_config.sample_rate:
            raise ConfigError(f"the synthesizer speaks at {synthesizer.audio_config.sample_rate} Hz but a recognizer listens at "
                              f"{who.audio_config.sample_rate} Hz; use models with one sample rate")
    if speakers is None:
        speakers = [s for s in synthesizer.speakers_ if s in SPEAKERS] or list(synthesizer.speakers_)
    bad = [s for s in speakers if s not in synthesizer.speakers_]
    if bad or not speakers:
        raise DataError(f"speakers {bad or '(none given)'} are not among the synthesizer's voices {synthesizer.speakers_}")
    texts = generate_sentences(n, seed=seed)
    items = []  # (text, emotion, intensity, speaker)
    for e in shared:
        for i, t in enumerate(texts):
            k = 0.0 if e == "neutral" else float(intensities[i % len(intensities)])
            items.append((t, e, k, speakers[len(items) % len(speakers)]))
    waves, mels = synthesizer.synthesize_batch([x[0] for x in items], emotions=[x[1] for x in items],
                                               intensities=[x[2] for x in items], speakers=[x[3] for x in items], return_mel=True)
    intended, levels = [x[1] for x in items], [x[2] for x in items]
    # the critic reads the predicted log-mel when both share one front-end, else the waveform
    heard_by_critic = mels if critic.reads_log_mel and synthesizer.audio_config == critic.audio_config else waves
    out_dir = Path(out_dir) if out_dir is not None else None
    rep = critic.report(heard_by_critic, intended, classes=shared, intensities=levels, out_dir=out_dir, prefix="critic_")
    result = {"n": len(items), "emotions": shared, "critic_input": "log_mel" if heard_by_critic is mels else "waveform", "speakers": sorted(set(x[3] for x in items)), "sentence_seed": seed,
              "critic_accuracy": rep["accuracy"], "critic_uar": rep["uar"], "confusion": rep["confusion"], "labels": rep["labels"],
              "prob_by_intensity": rep["prob_by_intensity"], "monotone": rep["monotone"]}
    if judge is not None:
        jrep = judge.report(waves, intended, classes=shared, intensities=levels, out_dir=out_dir, prefix="judge_")
        result.update(judge_accuracy=jrep["accuracy"], judge_uar=jrep["uar"], judge_confusion=jrep["confusion"],
                      judge_labels=jrep["labels"], judge_prob_by_intensity=jrep["prob_by_intensity"], judge_monotone=jrep["monotone"])
    if more_judges:
        result["more_judges"] = {}
        for name, j in more_judges.items():
            rep = j.report(waves, intended, classes=shared, intensities=levels, out_dir=out_dir, prefix=f"judge_{name}_")
            result["more_judges"][name] = {k: rep[k] for k in ("accuracy", "uar", "confusion", "labels", "prob_by_intensity", "monotone")}
    if out_dir is not None:
        _audio_page(out_dir, items, waves, synthesizer.audio_config.sample_rate, result)
    return result


def _audio_page(out_dir: Path, items, waves, rate: int, result: dict) -> None:
    """An HTML page with one player per emotion and intensity (first sentence of each) + the plots."""
    from ser_synth.audio.io import save_audio
    from ser_synth.report import HtmlReport

    rows, seen = [], set()
    for (t, e, k, s), y in zip(items, waves):
        if (e, k) in seen:
            continue
        seen.add((e, k))
        path = save_audio(out_dir / "audio" / f"{e}_{k:.2f}.wav", y, rate)
        rows.append([e, k, s, t, path])
    page = HtmlReport("Critique of synthesized emotional speech")
    page.text(f"{result['n']} utterances of new sentences (grammar seed {result['sentence_seed']}); critic accuracy "
              f"{result['critic_accuracy']:.3f}" + (f", independent judge accuracy {result['judge_accuracy']:.3f}" if "judge_accuracy" in result else "")
              + "".join(f", judge {j} {r['accuracy']:.3f}" for j, r in result.get("more_judges", {}).items()))
    page.table(["emotion", "intensity", "speaker", "text", "audio"], rows)
    for name in ["critic_confusion.png", "critic_prob_by_intensity.png", "judge_confusion.png", "judge_prob_by_intensity.png"] \
            + [f"judge_{j}_{kind}.png" for j in result.get("more_judges", {}) for kind in ("confusion", "prob_by_intensity")]:
        if (out_dir / name).is_file():
            page.image(out_dir / name, name[:-4].replace("_", " "))
    page.write(out_dir / "index.html")
