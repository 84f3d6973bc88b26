"""The shipped fused recognizers exported as SavedModels: same decisions as in Python, and speed.

    python bench/fused_export.py [--json out/bench/fused_export.json] [--repeats 50]

For ``ravdess8_fused`` and ``core4_fused``: export (``ser_synth.serving.export_model``), load
with ``tf.saved_model.load`` and score every utterance of the recipe's held-out speakers through
the ``recognize_wav`` signature (each file decoded and resampled to 16 kHz as the package does,
as 16-bit WAV bytes), against the Python facade on the same WAV files (``FusionRecognizer.predict_proba``, librosa features). Reports both
UARs, the share of equal decisions and the largest probability difference. Speed: one 3 s
clip of bundled CC0 speech, batch 1, through the ``serving_default`` signature after warm-up,
against the facade on the same array (CRNN ``tf.function`` + librosa statistics).
Speaker-disjoint.
"""

from __future__ import annotations

import argparse
import tempfile

import _common
import numpy as np
from recipes import RECIPES


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    _common.require_corpora("fused_export")

    import librosa
    import soundfile as sf
    import tensorflow as tf

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.data.loading import load_waveforms
    from ser_synth.recognition import load_recognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.serving import export_model

    clip = librosa.load(sorted((_common.ROOT / "data" / "emodb_cc0").glob("*.flac"))[0], sr=16000)[0]
    clip = np.resize(clip, 3 * 16000).astype(np.float32)  # the bundled clip repeated to 3 s
    result = {"environment": _common.environment(), "speaker_disjoint": True}
    for name in ("ravdess8", "core4"):
        recipe = RECIPES[name]
        fused = load_recognizer(f"{name}_fused")
        classes = fused.classes_.tolist()
        test = list(holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"]).test)
        with tempfile.TemporaryDirectory() as tmp:
            loaded = tf.saved_model.load(str(export_model(f"{name}_fused", f"{tmp}/{name}_fused", version=1)))
            by_wav = loaded.signatures["recognize_wav"]
            # every file decoded and resampled to 16 kHz as the package does (EMO-DB is 22.05 kHz),
            # written as 16-bit WAV: the bytes go to the signature, the file to the facade
            waves = load_waveforms([r.path for r in test], fused.audio_config, trim_db=None, verbose=0)
            wavs = []
            for i, y in enumerate(waves):
                sf.write(f"{tmp}/{i}.wav", y, 16000, subtype="PCM_16")
                wavs.append(f"{tmp}/{i}.wav")
            exported = np.array([by_wav(wav=tf.constant(open(w, "rb").read()))["probabilities"].numpy()[0] for w in wavs])
            python = fused.predict_proba(wavs)
            y_true, spk = [r.emotion for r in test], [r.speaker for r in test]
            serve = loaded.signatures["serving_default"]
            x = tf.constant(clip[None])
            for _ in range(5):
                serve(waveform=x)
            t_export = _common.timeit(lambda: serve(waveform=x)["probabilities"].numpy(), args.repeats)
            fused.predict_proba([clip])
            t_python = _common.timeit(lambda: fused.predict_proba([clip]), max(5, args.repeats // 5))
        res = {"held_out_speakers": sorted(set(spk)), "n": len(test),
               "uar_exported": evaluation_report(y_true, exported, classes, spk)["uar"],
               "uar_python": evaluation_report(y_true, python, classes, spk)["uar"],
               "same_decisions": float(np.mean(exported.argmax(1) == python.argmax(1))),
               "max_abs_probability_difference": float(np.abs(exported - python).max()),
               "latency_3s_ms_exported_serving_default": float(np.median(t_export)) * 1000,
               "latency_3s_ms_python_facade": float(np.median(t_python)) * 1000}
        print(f"{name}_fused: exported UAR {res['uar_exported']:.3f} vs Python {res['uar_python']:.3f}, "
              f"{res['same_decisions']:.1%} same decisions, max |dp| {res['max_abs_probability_difference']:.1e}; "
              f"3 s clip {res['latency_3s_ms_exported_serving_default']:.1f} ms exported vs {res['latency_3s_ms_python_facade']:.1f} ms in Python", flush=True)
        result[f"{name}_fused"] = res
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
