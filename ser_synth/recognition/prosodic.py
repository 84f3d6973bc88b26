"""``ProsodicRecognizer``: utterance-level prosodic and spectral statistics + logistic regression
(or a one-hidden-layer perceptron).

Built unlike the CRNN on purpose (hand-made features of pitch, loudness, timing and spectral
shape; a shallow classifier), so it can serve as an independent judge of synthesized speech:
it shares no weights, features or training speakers with the critic it checks.
"""

from __future__ import annotations

import json
import numbers
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.data.augment import ROOM_DAMPING_HZ, ROOM_DRR_DB, ROOM_RT60_S
from ser_synth.data.records import Utterance
from ser_synth.exceptions import ConfigError, DataError, NotFittedError
from ser_synth.recognition.base import ClassifierMixin, as_inputs, input_waveforms

FORMAT_VERSION = 1
_CONFIG_FILE = "prosodic.json"
# the fitted arrays (each saved as JSON under its name; the attribute adds "_"), in forward-pass order
WEIGHTS = ("mean", "scale", "hidden_coef", "hidden_intercept", "coef", "intercept")
MLP_EPOCHS = 300
N_MFCC = 13


def analysis_frames(y: np.ndarray, sample_rate: int) -> tuple:
    """The frames every utterance statistic reads (hop 10 ms, window 1024 samples).

    Returns ``(y, hop, n_fft, S, rms_db, loud, zcr, f0, voiced)``: the waveform padded to one
    window, the power spectrogram ``S`` ``[1 + n_fft // 2, frames]``, per-frame level in dB
    below the utterance's loudest frame, the loud mask (above -30 dB), zero-crossing rate, YIN
    F0 in Hz (60-500) and the voiced mask (loud and ZCR < 0.15), each ``[frames]``.
    """
    import librosa

    hop, n_fft = sample_rate // 100, 1024
    y = np.asarray(y, np.float32)
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)) ** 2
    rms_db = 10 * np.log10(np.maximum(S.mean(0), 1e-12))
    rms_db = rms_db - rms_db.max()
    loud = rms_db > -30
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop)[0][:S.shape[1]]
    f0 = librosa.yin(y, fmin=60, fmax=500, sr=sample_rate, frame_length=n_fft, hop_length=hop)[:S.shape[1]]
    voiced = loud[:len(f0)] & (zcr[:len(f0)] < 0.15)
    return y, hop, n_fft, S, rms_db, loud, zcr, f0, voiced


def utterance_features(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """Prosodic and spectral statistics of one waveform ``[samples]`` -> ``[FEATURE_DIM]`` float32.

    Pitch (YIN, 60-500 Hz, on loud low-ZCR frames): log-F0 mean, std, 10/90th percentiles,
    slope (octaves/s) and voiced fraction; loudness (RMS dB relative to the utterance peak):
    mean, std, 10/90th percentiles, and the share of pause frames; spectral: centroid, roll-off,
    flatness and ZCR means and stds, long-term spectral tilt (dB per octave); 13 MFCC means and
    stds and delta-MFCC stds; onset rate per second. Hop 10 ms, window 64 ms.
    """
    import librosa

    y, hop, n_fft, S, rms_db, loud, zcr, f0, voiced = analysis_frames(y, sample_rate)
    lf0 = np.log2(f0[voiced]) if voiced.sum() >= 3 else np.zeros(3)
    t = np.arange(len(f0))[voiced] * hop / sample_rate if voiced.sum() >= 3 else np.arange(3.0)
    slope = float(np.polyfit(t, lf0, 1)[0]) if np.ptp(t) > 0 else 0.0
    pitch = [lf0.mean(), lf0.std(), np.percentile(lf0, 10), np.percentile(lf0, 90), slope, voiced.mean()]
    energy = [rms_db.mean(), rms_db.std(), np.percentile(rms_db, 10), np.percentile(rms_db, 90), (~loud).mean()]
    spec = []
    for f in (librosa.feature.spectral_centroid(S=S, sr=sample_rate)[0] / 1000.0,
              librosa.feature.spectral_rolloff(S=S, sr=sample_rate)[0] / 1000.0,
              librosa.feature.spectral_flatness(S=S)[0], zcr):
        f = f[:S.shape[1]][loud[:len(f)]] if loud.any() else f
        spec += [f.mean(), f.std()]
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)[1:]
    ltas = 10 * np.log10(np.maximum(S[1:, loud].mean(1) if loud.any() else S[1:].mean(1), 1e-12))
    tilt = float(np.polyfit(np.log2(freqs), ltas, 1)[0])
    mel = librosa.feature.melspectrogram(S=S, sr=sample_rate, n_mels=40)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC)
    d = librosa.feature.delta(mfcc, width=min(9, mfcc.shape[1] - (1 - mfcc.shape[1] % 2))) if mfcc.shape[1] >= 3 else np.zeros_like(mfcc)
    onsets = librosa.onset.onset_detect(y=y, sr=sample_rate, hop_length=hop)
    rate = len(onsets) / max(len(y) / sample_rate, 1e-3)
    out = np.concatenate([pitch, energy, spec, [tilt], mfcc.mean(1), mfcc.std(1), d.std(1), [rate]]).astype(np.float32)
    return np.nan_to_num(out)


FEATURE_DIM = 6 + 5 + 8 + 1 + 3 * N_MFCC + 1
#: One name per column of :func:`utterance_features` (log-F0 in octaves, levels in dB, spectral
#: centroid and roll-off in kHz).
FEATURE_NAMES = ("log_f0_mean", "log_f0_std", "log_f0_p10", "log_f0_p90", "log_f0_slope", "voiced_share",
                 "level_mean", "level_std", "level_p10", "level_p90", "pause_share",
                 "centroid_mean", "centroid_std", "rolloff_mean", "rolloff_std", "flatness_mean", "flatness_std",
                 "zcr_mean", "zcr_std", "tilt",
                 *(f"mfcc{i}_mean" for i in range(N_MFCC)), *(f"mfcc{i}_std" for i in range(N_MFCC)),
                 *(f"delta_mfcc{i}_std" for i in range(N_MFCC)), "onset_rate")
REFERENCE_RMS = 0.1  # -20 dBFS: the level every clip is brought to when normalize_level is set


def level_normalized(y: np.ndarray) -> np.ndarray:
    """``y`` ``[samples]`` scaled to RMS ``REFERENCE_RMS`` (float32; digital silence stays silent)."""
    rms = np.sqrt(np.mean(np.square(y, dtype=np.float64)))
    return (np.asarray(y, np.float64) * (REFERENCE_RMS / (rms + 1e-12))).astype(np.float32)


def with_noise(raw: np.ndarray, speech: np.ndarray, rng: np.random.Generator, snr_db: tuple[float, float]) -> np.ndarray:
    """``raw`` ``[samples]`` plus white noise over its whole length (lead-in and tail included) at
    an SNR drawn from ``snr_db`` (dB, low-high) against the power of ``speech`` (its trimmed clip)."""
    snr = rng.uniform(*snr_db)
    power = np.mean(np.square(speech, dtype=np.float64)) + 1e-12
    return (raw + rng.standard_normal(len(raw)) * np.sqrt(power / 10 ** (snr / 10))).astype(np.float32)


def mu_law_round_trip(y: np.ndarray, *, bits: int = 8) -> np.ndarray:
    """``y`` ``[samples]`` quantised to ``bits``-bit mu-law (G.711 at 8) relative to its peak, and
    decoded; float32, or float64 for float64 input."""
    mu, steps = 255.0, 2 ** (bits - 1) - 1
    peak = np.max(np.abs(y)) + 1e-12
    x = np.clip(np.asarray(y, np.float64) / peak, -1, 1)
    code = np.round(np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) * steps) / steps
    return (np.sign(code) * np.expm1(np.abs(code) * np.log1p(mu)) / mu * peak).astype(np.result_type(y, np.float32))


CHANNEL_LOW_HZ, CHANNEL_HIGH_HZ, CHANNEL_MU_LAW_P = (50.0, 400.0), (2800.0, 7000.0), 0.5


def with_channel(raw: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """``raw`` ``[samples]`` through a random narrow channel: a 4th-order Butterworth band-pass with
    edges drawn from ``CHANNEL_LOW_HZ`` and ``CHANNEL_HIGH_HZ`` (Hz; the upper edge kept under
    0.45 x ``sample_rate``), then, with probability ``CHANNEL_MU_LAW_P``, 8-bit mu-law. The family
    covers telephone lines and low-rate codecs, which cut the bands the spectral statistics read."""
    from scipy.signal import butter, sosfiltfilt

    top = 0.45 * sample_rate
    low, high = rng.uniform(*CHANNEL_LOW_HZ), rng.uniform(min(CHANNEL_HIGH_HZ[0], top), min(CHANNEL_HIGH_HZ[1], top))
    out = sosfiltfilt(butter(4, [low, high], btype="bandpass", fs=sample_rate, output="sos"), np.asarray(raw, np.float64))
    return (mu_law_round_trip(out) if rng.random() < CHANNEL_MU_LAW_P else out).astype(np.float32)


def with_reverb(raw: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """``raw`` ``[samples]`` in a random synthetic room, same length and peak: a direct path plus an
    exponentially decaying noise tail with RT60 drawn from ``ROOM_RT60_S`` (s), low-passed at a
    cut-off drawn from ``ROOM_DAMPING_HZ`` (walls absorb the highs; kept under 0.45 x
    ``sample_rate``), at a direct-to-reverberant energy ratio drawn from ``ROOM_DRR_DB`` (dB)."""
    from scipy.signal import butter, fftconvolve, sosfilt

    rt60 = rng.uniform(*ROOM_RT60_S)
    t = np.arange(1, int(1.2 * rt60 * sample_rate)) / sample_rate
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    cutoff = min(rng.uniform(*ROOM_DAMPING_HZ), 0.45 * sample_rate)
    tail = sosfilt(butter(2, cutoff, btype="lowpass", fs=sample_rate, output="sos"), tail)
    tail *= np.sqrt(10 ** (-rng.uniform(*ROOM_DRR_DB) / 10) / np.sum(tail ** 2))  # direct path energy 1
    y = np.asarray(raw, np.float64)
    out = fftconvolve(y, np.concatenate([[1.0], tail]))[: len(y)]
    return (out * np.max(np.abs(y)) / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


CROP_S = (0.5, 2.0)
# the options that each add one seeded copy of every training utterance, in the order the copies come
COPY_OPTIONS = ("noise_augment", "channel_augment", "reverb_augment", "crop_augment")


def with_crop(speech: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A window of ``speech`` ``[samples]`` (a trimmed clip) of a length drawn from ``CROP_S`` (s)
    at a random position; the whole clip when it is shorter. What a rolling window or a clip cut
    from a stream gives the classifier: its statistics see part of the sentence."""
    n, at = int(rng.uniform(*CROP_S) * sample_rate), rng.random()
    if len(speech) <= n:
        return np.asarray(speech, np.float32)
    start = int(at * (len(speech) - n + 1))
    return np.asarray(speech[start: start + n], np.float32)


def _snr_range(value) -> tuple[float, float]:
    """``noise_snr_db`` validated: two finite numbers (dB), low <= high; ``None`` is ``AugmentConfig().snr_db``."""
    from ser_synth.data.augment import AugmentConfig

    if value is None:
        return tuple(AugmentConfig().snr_db)
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"ProsodicRecognizer noise_snr_db must be two numbers (low, high) in dB, got {value!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ConfigError(f"ProsodicRecognizer noise_snr_db must be finite with low <= high, got {value!r}")
    return low, high


class ProsodicRecognizer(ClassifierMixin):
    """Speech emotion from utterance statistics (:func:`utterance_features`) with a balanced,
    L2-regularised multinomial logistic regression (scikit-learn's ``LogisticRegression``), or
    with one hidden layer of ReLU units (``hidden_units``; scikit-learn's ``MLPClassifier``).

    Parameters
    ----------
    audio_config : AudioConfig, optional
        Only its ``sample_rate`` is used (inputs are resampled to it).
    C : float
        Inverse regularisation strength of the logistic regression (``hidden_units=0``).
    hidden_units : int
        0 (default): logistic regression. Otherwise a perceptron with one hidden layer of this
        many ReLU units and a softmax output (L2 penalty ``alpha``, Adam, ``MLP_EPOCHS`` epochs,
        seed 0), classes balanced by repeating the rarer classes' rows. Models saved before
        this option load as logistic regression.
    alpha : float
        The perceptron's L2 penalty (scikit-learn's ``alpha``); unused when ``hidden_units=0``.
    trim_db : float
        Leading/trailing silence below the peak by this much is cut before the features.
    vocoder_augment : bool
        Also train on each training utterance re-rendered through the synthesizer's vocoder
        channel (:func:`~ser_synth.audio.pitch.source_filter_resynthesis`), so the judge learns
        emotion from what a source-filter rendering keeps (prosody, smooth envelope) rather
        than from fine spectral detail it loses. Training data stay real speech.
    normalize_level : bool
        Bring every trimmed clip to one RMS level (:func:`level_normalized`) before the
        statistics, so the recording's gain does not move them (the MFCC means read absolute
        level). Models saved before this option load with it off.
    noise_augment : bool
        Also train on a copy of each training utterance with white noise over the whole
        recording at an SNR drawn from ``noise_snr_db`` (seeded), trimmed as any input is, so
        the classifier learns noisy speech and whatever noisy edge the trim leaves
        (``bench/robustness.py``).
    noise_snr_db : (float, float), optional
        The SNR range (dB, low-high) of those copies; default ``AugmentConfig().snr_db``
        (10-30 dB). The shipped fused models' member uses 0-30 dB: at 10-30 it had never heard
        speech under louder noise and fell to chance at 5 dB (``bench/prosodic_robustness.py``).
        Models saved before this option load with the default.
    channel_augment : bool
        Also train on a copy of each training utterance through a random narrow channel
        (:func:`with_channel`: band-pass, sometimes 8-bit mu-law; seeded), trimmed as any input
        is, so a telephone line or a low-rate codec does not move the spectral statistics out of
        what the classifier knows (``bench/prosodic_robustness.py``).
    reverb_augment : bool
        Also train on a copy of each training utterance in a random synthetic room
        (:func:`with_reverb`; seeded), trimmed as any input is, so a reverberant recording's
        smeared pitch, pauses and spectrum are not new to the classifier
        (``bench/prosodic_robustness.py``).
    crop_augment : bool
        Also train on a window of each trimmed training utterance (:func:`with_crop`: 0.5-2 s at
        a random position; seeded), so a short excerpt, such as the streaming endpoint's
        rolling window, does not move the pause and pitch statistics out of what the
        classifier knows (tried for the fused models' member, not chosen:
        ``bench/prosodic_robustness.py``).
    verbose : int

    Attributes
    ----------
    classes_ : np.ndarray of str
    train_speakers_ : list of str
    mean_, scale_, coef_, intercept_ : np.ndarray
        Feature standardisation and the output layer: ``coef_`` ``[classes, FEATURE_DIM or
        hidden_units]`` (one row for two classes, as scikit-learn keeps it), saved as JSON (no pickles).
    hidden_coef_, hidden_intercept_ : np.ndarray
        The hidden layer, ``[hidden_units, FEATURE_DIM]`` and ``[hidden_units]`` (empty for
        logistic regression).

    Notes
    -----
    Files and arrays are trimmed of silence by one rule (``trim_silence_tf``). The statistics
    read the edges, so with two rules a file and the same audio as an array got different
    decisions (``bench/prosodic_trim.py``).
    """

    def __init__(self, *, audio_config: AudioConfig | None = None, C: float = 0.5, trim_db: float = 30.0,
                 vocoder_augment: bool = False, normalize_level: bool = True, noise_augment: bool = False,
                 channel_augment: bool = False, reverb_augment: bool = False, noise_snr_db: tuple[float, float] | None = None,
                 crop_augment: bool = False, hidden_units: int = 0, alpha: float = 1.0, verbose: int = 0):
        self.audio_config = AudioConfig.from_dict(audio_config)
        if not C > 0:
            raise ConfigError(f"ProsodicRecognizer C must be > 0, got {C!r}")
        if isinstance(hidden_units, bool) or not isinstance(hidden_units, (int, np.integer)) or hidden_units < 0:
            raise ConfigError(f"ProsodicRecognizer hidden_units must be an int >= 0 (0: logistic regression), got {hidden_units!r}")
        if isinstance(alpha, bool) or not (isinstance(alpha, numbers.Real) and np.isfinite(alpha) and alpha >= 0):
            raise ConfigError(f"ProsodicRecognizer alpha must be a finite number >= 0, got {alpha!r}")
        self.hidden_units, self.alpha = int(hidden_units), float(alpha)
        self.C, self.trim_db, self.vocoder_augment, self.verbose = float(C), float(trim_db), bool(vocoder_augment), verbose
        self.normalize_level, self.noise_augment, self.channel_augment = bool(normalize_level), bool(noise_augment), bool(channel_augment)
        self.reverb_augment, self.crop_augment, self.noise_snr_db = bool(reverb_augment), bool(crop_augment), _snr_range(noise_snr_db)

    def waveforms(self, X, *, trim: bool = True) -> list[np.ndarray]:
        """Records, audio paths or waveforms at the config rate -> checked waveforms, trimmed
        unless ``trim`` is False."""
        return input_waveforms(X, self.audio_config, trim_db=self.trim_db if trim else None, verbose=self.verbose)

    def statistics(self, waves: Sequence[np.ndarray]) -> np.ndarray:
        """``[n, FEATURE_DIM]`` of waveforms already trimmed (level-normalised first when ``normalize_level``)."""
        level = level_normalized if self.normalize_level else np.asarray
        return np.stack([utterance_features(level(w), self.audio_config.sample_rate) for w in waves])

    def features(self, X) -> np.ndarray:
        """``[n, FEATURE_DIM]`` for records, audio paths or waveforms at the config rate."""
        return self.statistics(self.waveforms(X))

    def noisy(self, raw: Sequence[np.ndarray], speech: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One seeded noisy copy of each untrimmed waveform in ``raw`` (see ``noise_augment``),
        trimmed as any input; ``speech`` are the same waveforms trimmed (their SNR reference)."""
        rng = np.random.default_rng(0)
        return self.waveforms([with_noise(r, s, rng, self.noise_snr_db) for r, s in zip(raw, speech)])

    def channelled(self, raw: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One seeded copy of each untrimmed waveform in ``raw`` through a random narrow channel
        (see ``channel_augment``), trimmed as any input."""
        return self._seeded_copies(raw, with_channel, seed=1)

    def reverberated(self, raw: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One seeded copy of each untrimmed waveform in ``raw`` in a random synthetic room (see
        ``reverb_augment``), trimmed as any input."""
        return self._seeded_copies(raw, with_reverb, seed=2)

    def cropped(self, speech: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One seeded window of each trimmed waveform in ``speech`` (see ``crop_augment``), trimmed
        again as any input."""
        return self._seeded_copies(speech, with_crop, seed=3)

    def _seeded_copies(self, raw: Sequence[np.ndarray], corrupt, *, seed: int) -> list[np.ndarray]:
        """``corrupt(waveform, rng, sample_rate)`` of each of ``raw`` with one generator seeded
        ``seed`` (each option its own seed, so adding an option leaves the other copies as they were), trimmed."""
        rng, rate = np.random.default_rng(seed), self.audio_config.sample_rate
        return self.waveforms([corrupt(r, rng, rate) for r in raw])

    def training_copies(self, option: str, raw: Sequence[np.ndarray], speech: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The seeded copies that ``option`` (one of ``COPY_OPTIONS``) adds, of untrimmed waveforms
        ``raw`` whose trimmed clips are ``speech``: :meth:`noisy`, :meth:`channelled`,
        :meth:`reverberated` or :meth:`cropped`, whether or not the option is set."""
        makers = {"noise_augment": lambda: self.noisy(raw, speech), "channel_augment": lambda: self.channelled(raw),
                  "reverb_augment": lambda: self.reverberated(raw), "crop_augment": lambda: self.cropped(speech)}
        return makers[option]()

    def speech_and_copies(self, X) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
        """Inputs decoded once -> (their trimmed waveforms, the :meth:`training_copies` of each set
        option in ``COPY_OPTIONS`` order, each a list parallel to the first)."""
        options = [o for o in COPY_OPTIONS if getattr(self, o)]
        if not options:
            return self.waveforms(X), []
        raw = self.waveforms(X, trim=False)
        speech = self.waveforms(raw)
        return speech, [self.training_copies(o, raw, speech) for o in options]

    def vocoded(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each waveform through the synthesizer's vocoder channel (``source_filter_resynthesis``)."""
        import keras

        from ser_synth.audio.pitch import source_filter_resynthesis

        bar = keras.utils.Progbar(len(waves), unit_name="utterance") if self.verbose else None
        out = []
        for i, w in enumerate(waves):
            out.append(source_filter_resynthesis(w, self.audio_config))
            if bar is not None:
                bar.update(i + 1)
        return out

    def fit(self, X: Sequence[Utterance], y: Sequence[str] | None = None) -> "ProsodicRecognizer":
        """Fit on records (labels from them) or on inputs + ``y``. Returns self."""
        X = as_inputs(X)
        if y is None:
            if not all(isinstance(r, Utterance) for r in X):
                raise DataError("fit() needs y unless X are Utterance records")
            y = [r.emotion for r in X]
        y = np.asarray(list(y), dtype=str)
        if len(y) != len(X) or len(set(y)) < 2:
            raise DataError(f"fit() needs one label per input and >= 2 classes; got {len(X)} inputs, labels {sorted(set(y.tolist()))}")
        waves, copies = self.speech_and_copies(X)
        labels = [y]
        if self.vocoder_augment:
            waves, labels = waves + self.waveforms(self.vocoded(waves)), labels + [y]
        for copy in copies:
            waves, labels = waves + copy, labels + [y]
        self.fit_features(self.statistics(waves), np.concatenate(labels))
        self.train_speakers_ = sorted({r.speaker for r in X if isinstance(r, Utterance)})
        return self

    def fit_features(self, F: np.ndarray, y: Sequence[str]) -> "ProsodicRecognizer":
        """Fit on precomputed :meth:`features` ``[n, FEATURE_DIM]`` and their labels (for
        cross-validation that computes each utterance's features once). Returns self."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.neural_network import MLPClassifier

        F, y = np.asarray(F, np.float32), np.asarray(list(y), dtype=str)
        if F.ndim != 2 or F.shape[1] != FEATURE_DIM or len(F) != len(y) or len(set(y)) < 2:
            raise DataError(f"fit_features() needs features [n, {FEATURE_DIM}] with one label each and >= 2 classes; "
                            f"got shape {F.shape}, {len(y)} labels {sorted(set(y.tolist()))}")
        self.mean_, self.scale_ = F.mean(0), np.maximum(F.std(0), 1e-6)
        Z = (F - self.mean_) / self.scale_
        if self.hidden_units:
            # MLPClassifier takes no class weights: every class repeated up to the largest one's count
            by_class = [np.flatnonzero(y == c) for c in np.unique(y)]
            rows = np.concatenate([np.resize(i, max(map(len, by_class))) for i in by_class])
            clf = MLPClassifier((self.hidden_units,), alpha=self.alpha, max_iter=MLP_EPOCHS, random_state=0)
            with warnings.catch_warnings():  # a fixed epoch budget, as chosen; not a fit to convergence
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(Z[rows], y[rows])
            self.hidden_coef_, self.hidden_intercept_ = clf.coefs_[0].T.astype(np.float32), clf.intercepts_[0].astype(np.float32)
            self.coef_, self.intercept_ = clf.coefs_[1].T.astype(np.float32), clf.intercepts_[1].astype(np.float32)
        else:
            clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=5000).fit(Z, y)
            self.hidden_coef_, self.hidden_intercept_ = np.zeros((0, FEATURE_DIM), np.float32), np.zeros(0, np.float32)
            self.coef_, self.intercept_ = clf.coef_, clf.intercept_
        self.classes_ = clf.classes_.astype(str)
        self.train_speakers_ = []
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError("this ProsodicRecognizer is not fitted yet; call fit() or load() first")

    def predict_proba(self, X) -> np.ndarray:
        """``[n, len(classes_)]``, columns follow ``classes_``."""
        self._check_fitted()
        return self.proba_from_features(self.features(X))

    def proba_from_features(self, F: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of precomputed :meth:`features` ``[n, FEATURE_DIM]``."""
        self._check_fitted()
        x = (np.asarray(F, np.float32) - self.mean_) / self.scale_
        if self.hidden_units:
            x = np.maximum(x @ self.hidden_coef_.T + self.hidden_intercept_, 0)
        z = x @ self.coef_.T + self.intercept_
        if z.shape[1] == 1:  # binary: scikit-learn keeps one column
            z = np.concatenate([-z, z], 1) / 2
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(1, keepdims=True)

    def save(self, path: str | Path) -> Path:
        """Write ``prosodic.json`` (config + weights) atomically into folder ``path``."""
        from ser_synth.utils import atomic_directory

        self._check_fitted()
        path = Path(path)
        meta = {"format_version": FORMAT_VERSION, "kind": "ProsodicRecognizer", "audio_config": self.audio_config.to_dict(),
                "C": self.C, "trim_db": self.trim_db, "vocoder_augment": self.vocoder_augment,
                "normalize_level": self.normalize_level, "noise_augment": self.noise_augment, "channel_augment": self.channel_augment,
                "reverb_augment": self.reverb_augment, "noise_snr_db": list(self.noise_snr_db), "crop_augment": self.crop_augment,
                "hidden_units": self.hidden_units, "alpha": self.alpha, "classes": self.classes_.tolist(), "train_speakers": self.train_speakers_,
                **{k: getattr(self, f"{k}_").tolist() for k in WEIGHTS}}
        with atomic_directory(path) as tmp:
            (tmp / _CONFIG_FILE).write_text(json.dumps(meta))
        return path

    @classmethod
    def load(cls, path: str | Path, *, verbose: int = 0) -> "ProsodicRecognizer":
        from ser_synth.utils import read_saved_folder

        path, meta = read_saved_folder(path, model_file=_CONFIG_FILE, config_file=_CONFIG_FILE, format_version=FORMAT_VERSION,
                                       kind="ProsodicRecognizer")
        obj = cls(audio_config=meta["audio_config"], C=meta["C"], trim_db=meta["trim_db"],
                  vocoder_augment=meta.get("vocoder_augment", False), normalize_level=meta.get("normalize_level", False),
                  noise_augment=meta.get("noise_augment", False), channel_augment=meta.get("channel_augment", False),
                  reverb_augment=meta.get("reverb_augment", False), noise_snr_db=meta.get("noise_snr_db"),
                  crop_augment=meta.get("crop_augment", False), hidden_units=meta.get("hidden_units", 0),
                  alpha=meta.get("alpha", 1.0), verbose=verbose)
        obj.classes_ = np.asarray(meta["classes"], dtype=str)
        obj.train_speakers_ = meta["train_speakers"]
        for k in WEIGHTS:  # folders saved before the hidden layer have none: logistic regression
            setattr(obj, f"{k}_", np.asarray(meta.get(k, []), np.float32))
        obj.hidden_coef_ = obj.hidden_coef_.reshape(-1, FEATURE_DIM)
        if obj.mean_.shape != (FEATURE_DIM,):
            raise DataError(f"{str(path)!r} holds {obj.mean_.shape[0]} features; this ser_synth computes {FEATURE_DIM}")
        return obj

    def __repr__(self):
        return f"ProsodicRecognizer(classes={self.classes_.tolist()})" if hasattr(self, "coef_") else "ProsodicRecognizer(unfitted)"
