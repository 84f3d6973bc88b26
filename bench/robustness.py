"""How the shipped recognizers hold up when the audio is not a clean studio recording.

    python bench/robustness.py [--json out/bench/robustness.json] [--plots out/bench/robustness]

Each recipe's held-out speakers (``ravdess8``: RAVDESS 17, 18, n = 120; ``core4``: RAVDESS 17,
18 + EMO-DB 03, 08, n = 137) are scored by the shipped CRNN, the prosodic member of the shipped
fusion and the fusion itself (``<recipe>_fused``, the two combined as
:class:`~ser_synth.recognition.FusionRecognizer` combines them), under seeded corruptions of the
untrimmed 16 kHz recording, handed to the facades as arrays (which trim them as they trim any
input):

- white noise and babble at 20 / 10 / 5 / 0 dB SNR (speech power over the clip trimmed at
  30 dB; babble: five EMO-DB talkers of speakers 09-16 at equal level, never a test speaker);
  at 20 and 10 dB also ``_speech_only``: the same noise over the clean-trimmed speech alone, so
  the facades' silence trim has no noise-only lead-in or tail to find;
- level: -30 dB, and clipping (peak driven to 4x full scale, then clipped to +-1);
- telephone: 8 kHz, 300-3400 Hz band-pass, 8-bit mu-law (G.711), back to 16 kHz;
- codecs: MP3 (constant bit rate) and Ogg Vorbis at libsndfile's compression level 0.9 of 0-1
  (soundfile; the JSON gives the mean rate in kbit/s);
- reverberation: a synthetic room response (direct path + exponentially decaying noise, tail
  energy equal to the direct path's) with RT60 0.3 and 0.8 s;
- window: only the centre 0.5 / 1 / 1.5 / 2 s of the trimmed clip (what the REST service's
  streaming recognizer sees of an utterance through its rolling window).

The trim is the package's one rule (:func:`ser_synth.audio.trim.trim_silence_tf`; the JSON's
``trim`` names its constants): 30 dB below the loudest frame, and steady noise-only edges. Up to
the commit that added the edge rule, only the first; ``bench/results/robustness_peak_trim.json``
is that run.

Reports UAR per model and condition (and the drop from clean), as JSON and one PNG. Inference
only: nothing is trained or tuned. Speaker-disjoint.

``--crnn-from DIR`` scores a recipe variant's CRNN instead (``DIR/<recipe>``, as
``bench/train_pretrained.py --out DIR`` writes it), fused with the shipped prosodic member at the
shipped fusion's weights.
"""

from __future__ import annotations

import argparse
import io
import zlib
from pathlib import Path

import _common
import numpy as np
from recipes import EMODB, RECIPES

SR = 16000
SNRS = (20, 10, 5, 0)
SPEECH_ONLY_SNRS = (20, 10)
WINDOWS = (0.5, 1.0, 1.5, 2.0)


def rng_for(condition: str, i: int) -> np.random.Generator:
    """The same noise for utterance ``i`` under ``condition`` in every run and for every model."""
    return np.random.default_rng([zlib.crc32(condition.encode()), i])


def speech_power(trimmed: np.ndarray) -> float:
    return float(np.mean(trimmed.astype(np.float64) ** 2)) + 1e-12


def at_snr(y: np.ndarray, noise: np.ndarray, power: float, snr_db: float) -> np.ndarray:
    noise = noise[: len(y)]
    scale = np.sqrt(power / (10 ** (snr_db / 10)) / (np.mean(noise.astype(np.float64) ** 2) + 1e-12))
    return (y + scale * noise).astype(np.float32)


def babble(talkers: list[np.ndarray], n: int, rng: np.random.Generator, k: int = 5) -> np.ndarray:
    """Sum of ``k`` random talkers at equal RMS, each looped and offset at random to ``n`` samples."""
    out = np.zeros(n)
    for j in rng.choice(len(talkers), size=k, replace=False):
        t = talkers[j] / (np.sqrt(np.mean(talkers[j] ** 2)) + 1e-12)
        out += np.roll(np.resize(t, n), int(rng.integers(n)))
    return out


def telephone(y: np.ndarray) -> np.ndarray:
    from scipy.signal import butter, resample_poly, sosfiltfilt

    from ser_synth.recognition.prosodic import mu_law_round_trip

    y8 = mu_law_round_trip(sosfiltfilt(butter(4, [300, 3400], btype="bandpass", fs=8000, output="sos"), resample_poly(y, 1, 2)))
    return resample_poly(y8, 2, 1)[: len(y)].astype(np.float32)


def codec(y: np.ndarray, fmt: str) -> tuple[np.ndarray, float]:
    """Round trip through ``fmt`` ("MP3": constant bit rate, or "OGG": Vorbis) at compression level
    0.9 of libsndfile's 0-1; also the rate in kbit/s."""
    import soundfile as sf

    buf = io.BytesIO()
    subtype = "MPEG_LAYER_III" if fmt == "MP3" else "VORBIS"
    kw = {"bitrate_mode": "CONSTANT"} if fmt == "MP3" else {}  # Vorbis takes no bit-rate mode
    sf.write(buf, y, SR, format=fmt, subtype=subtype, compression_level=0.9, **kw)
    kbps = 8 * buf.tell() / 1000 / (len(y) / SR)
    buf.seek(0)
    out = sf.read(buf, dtype="float32")[0]
    out = np.pad(out, (0, max(0, len(y) - len(out))))[: len(y)]
    return out, kbps


def reverberate(y: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import fftconvolve

    t = np.arange(int(1.2 * rt60 * SR)) / SR
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    tail[0] = 0.0
    h = tail / np.sqrt(np.sum(tail ** 2))
    h[0] = 1.0  # direct path, as much energy as the tail
    out = fftconvolve(y, h)[: len(y)]
    return (out * np.max(np.abs(y)) / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def centre(y: np.ndarray, seconds: float) -> np.ndarray:
    n = int(seconds * SR)
    if len(y) <= n:
        return y
    start = (len(y) - n) // 2
    return y[start: start + n]


def conditions(raw: list[np.ndarray], trimmed: list[np.ndarray], talkers: list[np.ndarray]) -> dict:
    """Condition name -> (list of waveforms, notes)."""
    powers = [speech_power(t) for t in trimmed]
    out = {"clean": (raw, {})}
    noises = {"white": lambda n, rng: rng.standard_normal(n), "babble": lambda n, rng: babble(talkers, n, rng)}
    for snr in SNRS:
        for kind, noise in noises.items():
            out[f"{kind}_{snr}dB"] = ([at_snr(y, noise(len(y), rng_for(f"{kind}{snr}", i)), p, snr)
                                       for i, (y, p) in enumerate(zip(raw, powers))], {})
    for snr in SPEECH_ONLY_SNRS:
        for kind, noise in noises.items():  # the same noise over the trimmed speech only: no noise-only edges
            out[f"{kind}_{snr}dB_speech_only"] = ([at_snr(t, noise(len(t), rng_for(f"{kind}{snr}", i)), p, snr)
                                                   for i, (t, p) in enumerate(zip(trimmed, powers))], {})
    out["level_-30dB"] = ([y * 10 ** (-30 / 20) for y in raw], {})
    out["clipped_4x"] = ([np.clip(4 * y / (np.max(np.abs(y)) + 1e-12), -1, 1).astype(np.float32) for y in raw], {})
    out["telephone"] = ([telephone(y) for y in raw], {})
    for fmt in ("MP3", "OGG"):
        coded = [codec(y, fmt) for y in raw]
        out[f"{fmt.lower()}_low_rate"] = ([c[0] for c in coded], {"mean_kbps": float(np.mean([c[1] for c in coded]))})
    for rt60 in (0.3, 0.8):
        out[f"reverb_rt60_{rt60}s"] = ([reverberate(y, rt60, rng_for(f"reverb{rt60}", i)) for i, y in enumerate(raw)], {})
    for w in WINDOWS:
        out[f"window_{w}s"] = ([centre(t, w) for t in trimmed], {})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--plots", help="folder for robustness.png")
    ap.add_argument("--recipes", default="ravdess8,core4")
    ap.add_argument("--crnn-from", help="folder of recipe variants (DIR/<recipe>) whose CRNN replaces the shipped one")
    args = ap.parse_args()
    _common.require_corpora("robustness")

    from ser_synth.audio import trim
    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.data.loading import load_waveforms
    from ser_synth.recognition.base import input_waveforms
    from ser_synth.recognition import load_recognizer
    from ser_synth.recognition.fusion import geometric_mean, in_class_order
    from ser_synth.recognition.metrics import evaluation_report

    held_out = {s for name in RECIPES for s in RECIPES[name]["holdout"]}
    babble_recs = [r for r in read_corpora([EMODB]) if r.speaker not in held_out]
    babble_recs = [babble_recs[i] for i in np.random.default_rng(0).choice(len(babble_recs), 40, replace=False)]
    result = {"environment": _common.environment(), "speaker_disjoint": True, "sample_rate": SR,
              "trim": {"top_db": 30.0, **{k.lower(): getattr(trim, k) for k in ("EDGE_FRAMES", "EDGE_RANGE_DB", "EDGE_BELOW_PEAK_DB", "EDGE_MARGIN_DB")}},
              "babble": f"5 of 40 EMO-DB utterances of speakers {sorted({r.speaker for r in babble_recs})} per clip", "recipes": {}}
    for name in args.recipes.split(","):
        recipe = RECIPES[name]
        test = list(holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"]).test)
        fused = load_recognizer(f"{name}_fused")
        crnn, prosodic = fused.members
        crnn_name = str(Path(args.crnn_from) / name) if args.crnn_from else name
        if args.crnn_from:
            crnn = load_recognizer(crnn_name)
        classes = fused.classes_.tolist()
        talkers = load_waveforms([r.path for r in babble_recs], crnn.audio_config, trim_db=30.0, verbose=0)
        raw = load_waveforms([r.path for r in test], crnn.audio_config, trim_db=None, verbose=0)
        trimmed = input_waveforms(raw, crnn.audio_config, trim_db=30.0)  # as the pipeline trims the files, without decoding them again
        y_true, spk = [r.emotion for r in test], [r.speaker for r in test]
        rows = {}
        for cond, (waves, notes) in conditions(raw, trimmed, talkers).items():
            p_c = in_class_order(crnn.predict_proba(waves), crnn.classes_, classes)
            p_p = in_class_order(prosodic.predict_proba(waves), prosodic.classes_, classes)
            probas = {"crnn": p_c, "prosodic": p_p, "fused": geometric_mean([p_c, p_p], fused.weights)}
            rows[cond] = {**notes, **{m: round(evaluation_report(y_true, p, classes, spk)["uar"], 4) for m, p in probas.items()}}
            print(f"{name:9s} {cond:18s} " + "  ".join(f"{m} {rows[cond][m]:.3f}" for m in probas), flush=True)
        for cond in rows:
            rows[cond]["drop_from_clean"] = {m: round(rows["clean"][m] - rows[cond][m], 4) for m in ("crnn", "prosodic", "fused")}
        result["recipes"][name] = {"models": {"crnn": crnn_name, "prosodic": f"{name}_fused member_1",
                                              "fused": f"{crnn_name} + {name}_fused member_1 at {name}_fused's weights"
                                              if args.crnn_from else f"{name}_fused"},
                                   "test_speakers": sorted(set(spk)), "n": len(test), "chance_uar": 1 / len(classes), "uar": rows}
    _common.write(result, args.json)
    if args.plots:
        plot(result, args.plots)


def plot(result: dict, folder: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recipes = result["recipes"]
    fig, axes = plt.subplots(len(recipes), 3, figsize=(15, 4 * len(recipes)), squeeze=False)
    colours = {"crnn": "tab:blue", "prosodic": "tab:orange", "fused": "tab:green"}
    for row, (name, r) in zip(axes, recipes.items()):
        u = r["uar"]
        for m, c in colours.items():
            row[0].plot(SNRS, [u[f"white_{s}dB"][m] for s in SNRS], "-o", color=c, label=f"{m} white")
            row[0].plot(SNRS, [u[f"babble_{s}dB"][m] for s in SNRS], "--s", color=c, label=f"{m} babble")
            row[0].plot(SPEECH_ONLY_SNRS, [u[f"white_{s}dB_speech_only"][m] for s in SPEECH_ONLY_SNRS], "x", ms=9, color=c,
                        label=f"{m} white, speech only")
            row[0].axhline(u["clean"][m], color=c, lw=0.8, ls=":")
            row[2].plot(WINDOWS, [u[f"window_{w}s"][m] for w in WINDOWS], "-o", color=c, label=m)
            row[2].axhline(u["clean"][m], color=c, lw=0.8, ls=":")
        row[0].set(title=f"{name}: noise (dotted: clean)", xlabel="SNR dB", ylabel="UAR")
        row[0].invert_xaxis()
        row[0].legend(fontsize=7)
        other = [c for c in u if not c.startswith(("white", "babble", "window"))]
        x = np.arange(len(other))
        for k, (m, c) in enumerate(colours.items()):
            row[1].bar(x + (k - 1) * 0.27, [u[o][m] for o in other], 0.27, color=c, label=m)
        row[1].set_xticks(x, other, rotation=35, ha="right", fontsize=8)
        row[1].set(title=f"{name}: channel", ylabel="UAR")
        row[1].legend(fontsize=7)
        row[2].set(title=f"{name}: centre window of the clip (dotted: whole clip)", xlabel="seconds", ylabel="UAR")
        row[2].legend(fontsize=7)
        for ax in row:
            ax.axhline(r["chance_uar"], color="grey", lw=0.8)
    fig.tight_layout()
    Path(folder).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(folder) / "robustness.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
