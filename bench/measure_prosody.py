"""Prosody profiles measured from real actors, for the embedded corpus (``profiles="measured"``).

    python bench/measure_prosody.py [--json out/bench/measured_prosody.json]

The calibrated profiles were tuned to make one recognizer (``core4``) hear the intended emotion:
caricatures that fool it and no other recognizer, which the synthesizer then imitates in every
espeak-ng voice. These profiles are set by what real actors do instead, with no recognizer
involved:

1. Real speech: for each RAVDESS training actor (01-16; 17 and 18 stay unseen, as everywhere)
   and each emotion at strong intensity, the change from that actor's neutral speech of the
   same two sentences in five statistics: median F0 (semitones), log F0 spread (10-90th
   percentile range of voiced F0 in semitones), log speech duration, active-speech level (dB) and spectral tilt above
   500 Hz (dB/octave). Averaged over actors (medians, so one odd actor does not set a knob).
2. The rule renderer: how each espeak-ng knob moves the same statistic (``pitch`` offset,
   ``pitch_range``, ``rate``, ``tilt_db``), fitted on 6 corpus sentences x 4 voices, single
   knob sweeps around neutral.
3. Each knob is set so the rendering moves its statistic as the actors' speech moves it
   (``volume`` directly from the level change, capped at 1.4, where espeak-ng's loudest
   samples reach full scale: louder would only clip; no tremolo, breath or word gaps).

Writes the measured changes, the knob responses and the resulting profiles (as pasted into
``MEASURED_PROFILES`` in ``ser_synth/data/synthetic.py``).
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import HELD_OUT_ACTORS as HELD_OUT
from recipes import RAVDESS

EMOTIONS = ("happy", "sad", "angry", "fearful", "surprised")
VOICES = ("espeak/m1", "espeak/f1", "espeak/m3", "espeak/f3")
SWEEPS = {"pitch": (-20.0, -10.0, 0.0, 10.0, 20.0, 30.0), "pitch_range": (0.3, 0.6, 1.0, 1.5, 2.0),
          "rate": (0.7, 0.85, 1.0, 1.2, 1.4), "tilt_db": (-9.0, -4.5, 0.0, 4.5, 9.0)}
STATS = ("f0_st", "log_f0_spread", "log_duration", "level_db", "tilt_db_per_octave")


def prosody_stats(y: np.ndarray, config) -> dict:
    """The five statistics of one trimmed waveform (see the module docstring)."""
    from ser_synth.audio.frontend import LinearSpectrogram
    from ser_synth.audio.pitch import pitch_track

    f0, voiced = pitch_track(y, config)
    st = 12 * np.log2(f0[voiced] / 100.0) if voiced.sum() >= 5 else np.zeros(5)
    power = LinearSpectrogram(config, power=2.0)(y[None].astype(np.float32))[0].numpy()
    frame_db = 10 * np.log10(power.mean(1) + 1e-12)
    active = frame_db > frame_db.max() - 30
    freqs = np.arange(config.n_bins) * config.sample_rate / config.n_fft
    band = (freqs >= 500) & (freqs <= min(7000, config.sample_rate / 2 - 100))
    ltas = 10 * np.log10(power[active][:, band].mean(0) + 1e-12)
    return {"f0_st": float(np.median(st)), "log_f0_spread": float(np.log(max(np.percentile(st, 90) - np.percentile(st, 10), 0.5))),
            "log_duration": float(np.log(len(y) / config.sample_rate)), "level_db": float(frame_db[active].mean()),
            "tilt_db_per_octave": float(np.polyfit(np.log2(freqs[band]), ltas, 1)[0])}


def actor_changes(config) -> dict:
    """Median over training actors of (emotion at strong intensity - neutral), per statistic."""
    from ser_synth.data import read_corpora
    from ser_synth.data.loading import load_waveforms

    recs = [r for r in read_corpora([RAVDESS], emotions=("neutral",) + EMOTIONS) if r.speaker not in HELD_OUT
            and (r.emotion == "neutral" or r.intensity == "strong")]
    waves = load_waveforms([r.path for r in recs], config, trim_db=30.0, verbose=1)
    table: dict = {}
    for r, y in zip(recs, waves):
        table.setdefault((r.speaker, r.emotion), []).append(prosody_stats(y, config))
    mean = {k: {s: float(np.mean([v[s] for v in vals])) for s in STATS} for k, vals in table.items()}
    speakers = sorted({r.speaker for r in recs})
    out = {}
    for e in EMOTIONS:
        deltas = {s: [mean[(spk, e)][s] - mean[(spk, "neutral")][s] for spk in speakers] for s in STATS}
        out[e] = {s: float(np.median(d)) for s, d in deltas.items()} | {"n_actors": len(speakers)}
    return out


def knob_responses(config) -> dict:
    """Slope of each statistic against its knob (per knob unit; log-log for the multipliers)."""
    from ser_synth.audio.io import trim_silence
    from ser_synth.data.sentences import generate_sentences
    from ser_synth.data.synthetic import ProsodyProfile, render_emotional

    texts = generate_sentences(6, seed=0)
    stat_of = {"pitch": "f0_st", "pitch_range": "log_f0_spread", "rate": "log_duration", "tilt_db": "tilt_db_per_octave"}
    out = {}
    for knob, values in SWEEPS.items():
        xs, ys = [], []
        for v in values:
            table = {"neutral": ProsodyProfile(), "happy": ProsodyProfile(**{knob: v})}  # "happy": any emotion name
            for i, t in enumerate(texts):
                spk = VOICES[i % len(VOICES)]
                base = prosody_stats(trim_silence(render_emotional(t, emotion="neutral", speaker=spk, profiles=table,
                                                                   sample_rate=config.sample_rate)[0]), config)
                y = render_emotional(t, emotion="happy", speaker=spk, profiles=table, sample_rate=config.sample_rate)[0]
                probe = prosody_stats(trim_silence(y), config)
                xs.append(np.log(v) if knob in ("pitch_range", "rate") else v)
                ys.append(probe[stat_of[knob]] - base[stat_of[knob]])
        slope = float(np.polyfit(xs, ys, 1)[0])
        out[knob] = {"statistic": stat_of[knob], "slope": slope, "log_log": knob in ("pitch_range", "rate")}
        print(f"{knob}: {stat_of[knob]} slope {slope:.3f}", flush=True)
    return out


def profiles_from(changes: dict, knobs: dict, *, limits=None) -> dict:
    """Knob settings that reproduce each emotion's measured changes (clipped to ``limits``)."""
    limits = limits or {"pitch": (-30.0, 45.0), "pitch_range": (0.2, 3.0), "rate": (0.5, 2.0), "volume": (0.3, 1.4),
                        "tilt_db": (-12.0, 12.0)}
    out = {}
    for e, c in changes.items():
        p = {"pitch": c["f0_st"] / knobs["pitch"]["slope"],
             "pitch_range": float(np.exp(c["log_f0_spread"] / knobs["pitch_range"]["slope"])),
             "rate": float(np.exp(c["log_duration"] / knobs["rate"]["slope"])),
             "volume": float(10 ** (c["level_db"] / 20)),
             "tilt_db": c["tilt_db_per_octave"] / knobs["tilt_db"]["slope"]}
        out[e] = {k: round(float(np.clip(v, *limits[k])), 2) for k, v in p.items()}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("measure_prosody")
    from ser_synth.audio import AudioConfig

    config = AudioConfig()
    changes = actor_changes(config)
    for e, c in changes.items():
        print(e, {k: round(v, 2) for k, v in c.items()}, flush=True)
    knobs = knob_responses(config)
    profiles = profiles_from(changes, knobs)
    for e, p in profiles.items():
        print(f'    "{e}": ProsodyProfile({", ".join(f"{k}={v}" for k, v in p.items())}),', flush=True)
    _common.write({"actors": "RAVDESS 01-16 (training actors), strong intensity vs neutral", "changes": changes,
                   "knob_responses": knobs, "profiles": profiles, "environment": _common.environment()}, args.json)


if __name__ == "__main__":
    main()
