"""Do the judges hear the synthesizer's emotions once its spectral envelope moves as the actors' does?

    python bench/timbre_probe.py [--model synthesizer] [--setting MODE,STRENGTH ...] [--n 24] [--json F]

``synth_feature_gap.py`` left the judges' gap on happy and sad in MFCC statistics (timbre), and
``f0_contour_probe.py`` showed the F0 is not it. This probe edits each utterance's predicted
spectral envelope before the vocoder (the linear head's log magnitude, which the harmonics of the
predicted F0 are laid over, and the log-mel the critic reads) by an offset per emotion, times the
utterance's intensity and ``STRENGTH``; neutral is not edited. Offsets are shapes over frequency
(their mean over bins is removed, so the level does not move), measured on speech frames (within
30 dB of the utterance's loudest frame) and smoothed over 5 bins (156 Hz at 16 kHz):

- ``actors``: the RAVDESS actors' mean log spectrum of the emotion minus that of their neutral,
  per actor 01-16 (never heard by the judges), then averaged over actors;
- ``match``: that minus the same difference in the synthesizer's own speech (its waveforms at
  intensity 1, on other new sentences than the critique's: grammar seed 7), so that after the edit
  its emotions differ from its neutral as the actors' do;
- ``none``: no offset (with GV 1, no edit: reproduces ``ser-synth critique --n N``).

An optional third field ``GV`` scales every utterance's spectral movement: each bin's deviation
over time from its mean over the utterance (the global-variance post-filter of statistical
parametric synthesis; a model trained by regression under-predicts that variance, GV ratio 0.8).

Then the critique runs as ``ser-synth critique --n N`` runs it (``_edited_critique.py``). A probe
of what the judges respond to, not a tuned setting: nothing here trains or ships. The JSON gives
the offsets (dB per bin, per emotion) and per setting the critic's and judges' accuracy and
confusion.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from _edited_critique import edited_critique, judges, summary
from recipes import CORE4, unheard_actors

CALIBRATION_SEED = 7  # not the critique's 2024
SPEECH_DB = 30.0
SMOOTH_BINS = 5


def mean_log_spectra(waves, config) -> tuple[np.ndarray, np.ndarray]:
    """Per utterance: mean natural-log linear magnitude ``[n, n_bins]`` and mean log-mel power
    ``[n, n_mels]`` (front-end units) over its speech frames."""
    import tensorflow as tf

    from ser_synth.audio.frontend import LINEAR_FLOOR, LinearSpectrogram, LogMelSpectrogram

    lin_layer, mel_layer = LinearSpectrogram(config.to_dict()), LogMelSpectrogram(config.to_dict())
    lin, mel = [], []
    for y in waves:
        x = tf.constant(np.asarray(y, np.float32)[None])
        mag = lin_layer(x).numpy()[0]
        logmag = np.log(np.maximum(mag, LINEAR_FLOOR))
        energy = 10 * np.log10(np.maximum((mag ** 2).sum(1), 1e-12))
        speech = energy >= energy.max() - SPEECH_DB
        lin.append(logmag[speech].mean(0))
        mel.append(mel_layer(x).numpy()[0][speech].mean(0))
    return np.array(lin), np.array(mel)


def shape(d: np.ndarray, smooth: int = 1) -> np.ndarray:
    """An offset over the last axis with its mean removed (level unchanged), moving-averaged."""
    if smooth > 1:
        kernel = np.ones(smooth) / smooth
        d = np.apply_along_axis(lambda v: np.convolve(np.pad(v, smooth // 2, mode="edge"), kernel, mode="valid"), -1, d)
    return d - d.mean(-1, keepdims=True)


def emotion_offsets(spectra: np.ndarray, emotions: np.ndarray, groups: np.ndarray, smooth: int) -> dict:
    """emotion -> mean over groups (speakers) of that group's emotion mean minus its neutral mean."""
    out = {}
    for e in CORE4[1:]:
        diffs = [spectra[(groups == g) & (emotions == e)].mean(0) - spectra[(groups == g) & (emotions == "neutral")].mean(0)
                 for g in np.unique(groups) if ((groups == g) & (emotions == e)).any() and ((groups == g) & (emotions == "neutral")).any()]
        out[e] = shape(np.mean(diffs, 0), smooth)
    return out


class TimbreEdit:
    """Wraps an acoustic model: ``linear`` and ``mel_post`` raised by ``intensity * offset[emotion]``
    (natural-log units; rows of the model's emotion table, zero where no offset), after each bin's
    deviation over time from its mean over the utterance's frames is scaled by ``gv`` (every
    emotion; the global-variance post-filter of statistical parametric synthesis)."""

    def __init__(self, model, lin_table: np.ndarray, mel_table: np.ndarray, gv: float = 1.0):
        self.model, self.lin, self.mel, self.gv = model, lin_table.astype(np.float32), mel_table.astype(np.float32), float(gv)

    def __call__(self, inputs, training=False):
        import tensorflow as tf

        out = self.model(inputs, training=training)
        k = tf.clip_by_value(tf.cast(inputs["intensity"], tf.float32), 0.0, 1.0)[:, None, None]
        e = tf.cast(inputs["emotion"], tf.int32)
        mask = tf.sequence_mask(out["frame_lengths"], tf.shape(out["linear"])[1], dtype=tf.float32)[:, :, None]

        def spread(x):
            mu = tf.reduce_sum(x * mask, 1, keepdims=True) / tf.maximum(tf.reduce_sum(mask, 1, keepdims=True), 1.0)
            return x + mask * (self.gv - 1.0) * (x - mu)

        edited = {"linear": spread(out["linear"]) + k * tf.gather(self.lin, e)[:, None, :]}
        if "mel_post" in out:
            edited["mel_post"] = spread(out["mel_post"]) + k * tf.gather(self.mel, e)[:, None, :]
        return {**out, **edited}


def tables(syn, offsets_lin: dict, offsets_mel: dict, strength: float) -> tuple[np.ndarray, np.ndarray]:
    emos = syn.acoustic_config.emotions
    lin, mel = np.zeros((len(emos), syn.audio_config.n_bins)), np.zeros((len(emos), syn.audio_config.n_mels))
    for e, d in offsets_lin.items():
        lin[emos.index(e)], mel[emos.index(e)] = strength * d, strength * offsets_mel[e]
    return lin, mel


def synth_offsets(syn, n: int) -> tuple[dict, dict]:
    """The synthesizer's own emotion-minus-neutral offsets (its waveforms, intensity 1, seed 7 sentences)."""
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.data.synthetic import SPEAKERS
    voices = [s for s in syn.speakers_ if s in SPEAKERS]
    items = [(t, e, 0.0 if e == "neutral" else 1.0, voices[i % len(voices)])
             for e in CORE4 for i, t in enumerate(generate_sentences(n, seed=CALIBRATION_SEED))]
    waves = syn.synthesize_batch([x[0] for x in items], emotions=[x[1] for x in items],
                                 intensities=[x[2] for x in items], speakers=[x[3] for x in items])
    lin, mel = mean_log_spectra(waves, syn.audio_config)
    emotions, groups = np.array([x[1] for x in items]), np.array([x[3] for x in items])
    return emotion_offsets(lin, emotions, groups, SMOOTH_BINS), emotion_offsets(mel, emotions, groups, 1)


def db(d: np.ndarray) -> list:
    return np.round(20 / np.log(10) * d, 2).tolist()  # ln magnitude -> dB


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="synthesizer", help="saved synthesizer folder or shipped name")
    ap.add_argument("--setting", action="append", help="MODE,STRENGTH[,GV] with MODE none|actors|match (repeatable; "
                                                       "default none,1 actors,1 match,1 match,2)")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--json")
    args = ap.parse_args()
    settings = [(s.split(",")[0], float(s.split(",")[1]), float((s.split(",") + ["1"])[2]))
                for s in (args.setting or ["none,1", "actors,1", "match,1", "match,2"])]
    bad = [m for m, *_ in settings if m not in ("none", "actors", "match")]
    if bad:
        raise SystemExit(f"unknown mode(s) {bad}: expected none, actors or match")
    _common.require_corpora("timbre_probe")

    from ser_synth.recognition import load_recognizer
    from ser_synth.synthesis import EmotionalSynthesizer

    syn = EmotionalSynthesizer.load_any(args.model)
    real = unheard_actors()
    lin, mel = mean_log_spectra(load_recognizer("judge4v").waveforms(real), syn.audio_config)
    emotions, groups = np.array([r.emotion for r in real]), np.array([r.speaker for r in real])
    actors = (emotion_offsets(lin, emotions, groups, SMOOTH_BINS), emotion_offsets(mel, emotions, groups, 1))
    own = synth_offsets(syn, args.n) if any(m == "match" for m, *_ in settings) else None
    offsets = {"actors": actors}
    if own:
        offsets["own"] = own
        offsets["match"] = tuple({e: actors[i][e] - own[i][e] for e in CORE4[1:]} for i in range(2))
    offsets["none"] = tuple({e: 0 * actors[i][e] for e in CORE4[1:]} for i in range(2))
    result = {"model": args.model, "n_per_emotion": args.n, "speech_db": SPEECH_DB, "smooth_bins": SMOOTH_BINS,
              "calibration_seed": CALIBRATION_SEED, "actors": "ravdess 01-16", "n_actor_utterances": len(real),
              "offsets_db": {k: {e: db(v[0][e]) for e in CORE4[1:]} for k, v in offsets.items() if k != "none"},
              "offset_rms_db": {k: {e: float(np.sqrt(np.mean(np.square(db(v[0][e]))))) for e in CORE4[1:]}
                                for k, v in offsets.items() if k != "none"},
              "settings": []}
    print("offset RMS (dB): " + "; ".join(f"{k} " + ", ".join(f"{e} {r:.1f}" for e, r in v.items())
                                          for k, v in result["offset_rms_db"].items()), flush=True)
    critic, judge_models = judges()
    for mode, strength, gv in settings:
        edit = lambda model, syn: TimbreEdit(model, *tables(syn, *offsets[mode], strength), gv=gv)  # noqa: E731
        row, _ = edited_critique(args.model, edit, args.n, critic, judge_models)
        result["settings"].append({"mode": mode, "strength": strength, "gv": gv, **row})
        print(f"{mode} x{strength} gv {gv}: {summary(row)}", flush=True)
    result["environment"] = _common.environment()
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
