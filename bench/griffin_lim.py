"""Griffin-Lim vocoder: ser_synth's tf.signal fast Griffin-Lim against ``librosa.griffinlim``.

Same real-speech magnitudes for both (the bundled CC0 EMO-DB clips, cropped/padded to 2 s,
one batch), same STFT (verified equal to librosa's), same spectral convergence (SC) measure.

    python bench/griffin_lim.py --json out/bench/griffin_lim.json [--clips 8] [--repeats 3]

Keys: ``sc_tf_32`` / ``sc_librosa_32`` (mean SC after 32 iterations), ``seconds_tf_32`` /
``seconds_librosa_32`` (whole batch), ``iters_tf_to_librosa_sc`` (fewest TF iterations whose
SC <= librosa's at 32), ``speedup_at_equal_sc`` (librosa 32-iteration time / TF time at that
count), ``speedup_at_equal_iters``, and the mel-bottleneck SC (magnitude rebuilt from a mel
spectrogram by pseudo-inverse, then 32 iterations).
"""

from __future__ import annotations

import argparse

import _common
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import librosa
    import tensorflow as tf

    from ser_synth.audio import AudioConfig, load_audio
    from ser_synth.audio.frontend import mel_filterbank, stft
    from ser_synth.audio.griffin_lim import griffin_lim, mel_to_linear, spectral_convergence

    cfg = AudioConfig()
    files = sorted((_common.ROOT / "data" / "emodb_cc0").glob("*.flac"))[:: max(1, 80 // args.clips)][: args.clips]
    n = int(args.seconds * cfg.sample_rate)
    waves = np.stack([np.pad(w[:n], (0, max(0, n - len(w)))) for w in (load_audio(f, config=cfg) for f in files)])
    spec = stft(tf.constant(waves), cfg)
    mag = tf.abs(spec)
    mag_np = np.ascontiguousarray(np.transpose(mag.numpy(), (0, 2, 1)))  # librosa: [batch, bins, frames]
    lib_kw = dict(hop_length=cfg.hop_length, win_length=cfg.win_length, n_fft=cfg.n_fft, window=cfg.window,
                  center=cfg.center, pad_mode="constant", length=(mag.shape[1] - 1) * cfg.hop_length)
    stft_gap = float(np.max(np.abs(np.abs(librosa.stft(waves, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                                                       window=cfg.window, center=True, pad_mode="constant")) - mag_np)))

    def sc(y):
        return float(np.mean(spectral_convergence(mag, y, config=cfg)))

    def lib_run():
        return librosa.griffinlim(mag_np, n_iter=32, random_state=0, **lib_kw)

    lib_run()  # warm-up (FFT plan caches)
    lib_times = _common.timeit(lib_run, args.repeats)
    sc_lib = sc(lib_run())

    def tf_run(k):
        return griffin_lim(mag, config=cfg, n_iter=tf.constant(k), seed=0).numpy()

    tf_run(1)  # traces once; the iteration count is a tensor, so no retracing below
    curve = {}
    for k in list(range(1, 33)) + [48, 64]:
        curve[k] = sc(tf_run(k))
    tf_times = {k: float(np.median(_common.timeit(lambda: tf_run(k), args.repeats))) for k in (32,)}
    reach = next((k for k in sorted(curve) if curve[k] <= sc_lib), None)
    if reach is not None:
        tf_times[reach] = float(np.median(_common.timeit(lambda: tf_run(reach), args.repeats)))
    t_lib = float(np.median(lib_times))

    mel = tf.tensordot(tf.square(mag), tf.constant(mel_filterbank(cfg)), axes=1)
    mag_from_mel = mel_to_linear(mel, config=cfg)
    sc_mel = float(np.mean(spectral_convergence(mag, griffin_lim(mag_from_mel, config=cfg, n_iter=32), config=cfg)))

    res = {
        "clips": [f.name for f in files], "clip_seconds": args.seconds, "batch": len(files), "audio_config": cfg.to_dict(),
        "stft_max_abs_diff_vs_librosa": stft_gap,
        "sc_tf_32": curve[32], "sc_librosa_32": sc_lib,
        "seconds_tf_32": tf_times[32], "seconds_librosa_32": t_lib,
        "speedup_at_equal_iters": t_lib / tf_times[32],
        "iters_tf_to_librosa_sc": reach,
        "seconds_tf_to_librosa_sc": tf_times.get(reach),
        "speedup_at_equal_sc": None if reach is None else t_lib / tf_times[reach],
        "sc_tf_curve": {str(k): v for k, v in curve.items()},
        "sc_tf_32_from_mel_pinv": sc_mel, "n_mels": cfg.n_mels,
        "momentum": 0.99, "init": "random phase (seeded) in both",
        "environment": _common.environment(),
    }
    _common.write(res, args.json)


if __name__ == "__main__":
    main()
