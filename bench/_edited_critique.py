"""The critique of a synthesizer whose acoustic-model outputs are edited before the vocoder.

Shared by the probes (``f0_contour_probe.py``, ``timbre_probe.py``): each wraps ``syn.model_``
in an edit and runs the critique exactly as ``ser-synth critique --n N`` runs it (same new
sentences, voices and intensities; critic ``ravdess8`` on the predicted log-mel, judges
``judge4`` and ``judge4v`` on the waveform).
"""

from __future__ import annotations


def judges():
    """(critic, {judge name: judge}) of the shipped critique."""
    from ser_synth.critic import EmotionCritic

    return EmotionCritic("ravdess8"), {j: EmotionCritic(j) for j in ("judge4", "judge4v")}


def edited_critique(model: str, edit, n: int, critic, judge_models: dict) -> tuple[dict, dict]:
    """Critique of synthesizer ``model`` (folder or shipped name) with ``syn.model_`` replaced by
    ``edit(syn.model_, syn)``. Returns (row of accuracies and confusions, {"waves", "emotions",
    "syn"}: what was spoken, for statistics of the edited speech)."""
    from ser_synth.critic.critique import critique
    from ser_synth.synthesis import EmotionalSynthesizer

    syn = EmotionalSynthesizer.load_any(model)
    syn.model_ = edit(syn.model_, syn)
    synthesize, heard = syn.synthesize_batch, {"syn": syn}

    def keep(texts, *, emotions, **kw):
        waves, mels = synthesize(texts, emotions=emotions, **kw)
        heard.update(waves=waves, emotions=emotions)
        return waves, mels

    syn.synthesize_batch = keep
    rep = critique(syn, critic, judge_models["judge4"], more_judges={"judge4v": judge_models["judge4v"]}, n=n)
    row = {"critic_accuracy": rep["critic_accuracy"],
           "judge4": {"accuracy": rep["judge_accuracy"], "confusion": rep["judge_confusion"]},
           "judge4v": {k: rep["more_judges"]["judge4v"][k] for k in ("accuracy", "confusion")}, "labels": rep["labels"]}
    return row, heard


def summary(row: dict) -> str:
    """One progress line: the critic's and judges' accuracy of a row from ``edited_critique``."""
    return (f"critic {row['critic_accuracy']:.3f}, judge4 {row['judge4']['accuracy']:.3f}, "
            f"judge4v {row['judge4v']['accuracy']:.3f}")
