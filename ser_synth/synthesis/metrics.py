"""Objective quality of synthesized speech against a reference recording of the same text.

- MCD (dB): 13 mel cepstra (c1..c13: DCT-II of the log mel *amplitude*, scaled as a real
  cepstrum), frames aligned by DTW, ``10 / ln 10 * sqrt(2 * sum(dc^2))`` averaged over the
  path. Lower is better; a log-amplitude ripple of 1 neper at one quefrency is 6.1 dB.
- F0 RMSE (Hz): pYIN F0 of both waveforms on the same DTW path, over frames voiced in both.
- GV ratio: per-band variance over time of the generated log-mel divided by the reference's,
  averaged over bands (over-smoothed output gives << 1).
"""

from __future__ import annotations

import numpy as np

from ser_synth.audio.config import AudioConfig

_DB = 10.0 / np.log(10.0)


def mel_cepstra(log_mel: np.ndarray, n: int = 13) -> np.ndarray:
    """``[frames, n_mels]`` natural-log mel power -> cepstra c1..cn ``[frames, n]``.

    ``c_k = (2 / N) * sum_n x_n cos(pi k (n + 1/2) / N)`` of the log amplitude ``x = log_mel / 2``
    (a cosine ripple of amplitude ``a`` gives ``c_k = a``)."""
    from scipy.fft import dct

    amp = 0.5 * np.asarray(log_mel, np.float64)
    return dct(amp, type=2, axis=-1)[:, 1:n + 1] / amp.shape[-1]


def dtw_path(ref_ceps: np.ndarray, gen_ceps: np.ndarray) -> np.ndarray:
    """DTW path ``[steps, 2]`` (ref index, gen index) on Euclidean cepstral distance."""
    import librosa

    _, wp = librosa.sequence.dtw(X=ref_ceps.T, Y=gen_ceps.T, metric="euclidean")
    return wp[::-1]


def mcd(ref_log_mel: np.ndarray, gen_log_mel: np.ndarray, n: int = 13) -> float:
    """Mel cepstral distortion in dB between two log-mel sequences (DTW-aligned)."""
    a, b = mel_cepstra(ref_log_mel, n), mel_cepstra(gen_log_mel, n)
    path = dtw_path(a, b)
    diff = a[path[:, 0]] - b[path[:, 1]]
    return float(np.mean(_DB * np.sqrt(2.0 * np.sum(diff ** 2, axis=1))))


def f0_track(wave: np.ndarray, config: AudioConfig, fmin: float = 60.0, fmax: float = 500.0) -> np.ndarray:
    """pYIN F0 in Hz per front-end frame (NaN where unvoiced)."""
    import librosa

    f0, voiced, _ = librosa.pyin(np.asarray(wave, np.float32), fmin=fmin, fmax=fmax, sr=config.sample_rate,
                                 frame_length=max(1024, config.n_fft * 2), hop_length=config.hop_length, center=True)
    return np.where(voiced, f0, np.nan)


def f0_rmse(ref_wave, gen_wave, ref_log_mel, gen_log_mel, config: AudioConfig, *, tracks=None) -> float:
    """F0 RMSE in Hz over frames voiced in both, on the cepstral DTW path (NaN if none).

    ``tracks``: the two :func:`f0_track` results when already computed."""
    path = dtw_path(mel_cepstra(ref_log_mel), mel_cepstra(gen_log_mel))
    fa, fb = tracks if tracks is not None else (f0_track(ref_wave, config), f0_track(gen_wave, config))
    i = np.minimum(path[:, 0], len(fa) - 1)
    j = np.minimum(path[:, 1], len(fb) - 1)
    a, b = fa[i], fb[j]
    ok = ~np.isnan(a) & ~np.isnan(b)
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else float("nan")


def gv_ratio(ref_log_mels, gen_log_mels) -> float:
    """Mean over bands of (variance over time of generated / of reference), frames pooled per set."""
    ref = np.concatenate([np.asarray(m) for m in ref_log_mels])
    gen = np.concatenate([np.asarray(m) for m in gen_log_mels])
    return float(np.mean(np.var(gen, axis=0) / np.maximum(np.var(ref, axis=0), 1e-8)))


def reference_quality(synthesizer, texts, *, emotions, speakers=None, intensity: float = 1.0, profiles: str = "calibrated",
                      references: dict | None = None, return_audio: bool = False):
    """MCD, F0 RMSE and GV ratio of a synthesizer against the rule-based (espeak-ng) rendering
    of the same sentence, voice and emotion (what the embedded corpus trains it to imitate).

    Parameters
    ----------
    synthesizer : EmotionalSynthesizer
        Fitted; must know at least one espeak-ng voice (``espeak/...``).
    texts : sequence of str
        New sentences; each is spoken in every one of ``emotions`` the synthesizer knows.
    emotions : sequence of str
    speakers : sequence of str, optional
        Voices to cycle through (default: the synthesizer's espeak-ng voices).
    intensity : float
    profiles : str
        The embedded corpus's prosody profiles the references are spoken with (the ones the
        synthesizer was trained on; a name in ``PROFILE_SETS``).
    references : dict, optional
        A cache ``(text, speaker, emotion) -> (waveform, log_mel, f0_track)`` shared across
        calls with the same ``profiles`` (pYIN on the references is most of a call's time).
    return_audio : bool
        Also return the items, waveforms and log-mels.

    Returns
    -------
    dict
        ``n``, ``mcd_db`` (of the model's own log-mel, ``mel_post``), ``mcd_db_waveform`` (of the
        front-end log-mel of the rendered waveform: what a listener or recognizer hears, which
        the linear and pitch heads make, not ``mel_post``), ``f0_rmse_hz``, ``gv_ratio``,
        ``voiced_fraction`` (pYIN's share of
        voiced frames in the generated speech) and ``reference_voiced_fraction``,
        ``synthesis_seconds``, ``duration_ratio`` (median over utterances of generated / reference
        speaking time, leading and trailing silence trimmed at 30 dB) and ``duration_ratio_min``
        (and, with
        ``return_audio``, ``(result, items, waves, mels)``; items are (text, speaker, emotion)).
    """
    import time

    import tensorflow as tf

    from ser_synth.audio.frontend import LogMelSpectrogram
    from ser_synth.audio.io import trim_silence
    from ser_synth.data.synthetic import SPEAKERS, render_emotional
    from ser_synth.exceptions import DataError

    cfg = synthesizer.audio_config
    voices = list(speakers) if speakers is not None else [s for s in synthesizer.speakers_ if s in SPEAKERS]
    if not voices or any(s not in SPEAKERS for s in voices):
        raise DataError(f"reference_quality needs espeak-ng voices ({list(SPEAKERS)}); got {voices or synthesizer.speakers_}")
    refs = references if references is not None else {}
    frontend = LogMelSpectrogram(cfg)

    def log_mel(y):  # what the recognizers read from a waveform
        return frontend(tf.constant(y[None]))[0].numpy()

    items = [(t, voices[i % len(voices)], e) for i, t in enumerate(texts) for e in emotions if e in synthesizer.emotions_]
    for key in items:
        if key not in refs:
            y, _ = render_emotional(key[0], emotion=key[2], intensity=intensity, speaker=key[1], profiles=profiles,
                                    sample_rate=cfg.sample_rate)
            refs[key] = (y, log_mel(y), f0_track(y, cfg))
    t0 = time.perf_counter()
    waves, mels = synthesizer.synthesize_batch([t for t, _, _ in items], emotions=[e for _, _, e in items],
                                               intensities=intensity, speakers=[s for _, s, _ in items], return_mel=True)
    seconds = time.perf_counter() - t0
    tracks = [(refs[k][2], f0_track(y, cfg)) for k, y in zip(items, waves)]
    result = {"n": len(items), "synthesis_seconds": seconds,
              "mcd_db": float(np.mean([mcd(refs[k][1], m) for k, m in zip(items, mels)])),
              "mcd_db_waveform": float(np.mean([mcd(refs[k][1], log_mel(y)) for k, y in zip(items, waves)])),
              "f0_rmse_hz": float(np.nanmean([f0_rmse(refs[k][0], y, refs[k][1], m, cfg, tracks=tr)
                                              for k, y, m, tr in zip(items, waves, mels, tracks)])),
              "gv_ratio": gv_ratio([refs[k][1] for k in items], mels),
              "voiced_fraction": float(np.mean([np.isfinite(b).mean() for _, b in tracks])),
              "reference_voiced_fraction": float(np.mean([np.isfinite(a).mean() for a, _ in tracks]))}
    # speaking time without the leading and trailing silence, which the two renderers pad differently
    ratios = [len(trim_silence(y)) / len(trim_silence(refs[k][0])) for k, y in zip(items, waves)]
    result.update(duration_ratio=float(np.median(ratios)), duration_ratio_min=float(np.min(ratios)))
    return (result, items, waves, mels) if return_audio else result
