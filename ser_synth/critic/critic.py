"""``EmotionCritic``: how well a recognizer hears the intended emotion in (synthesized) speech.

It reads waveforms, audio files, or log-mel frames in the shared :class:`AudioConfig` (what the
synthesizer predicts), so scoring a synthesizer needs no Griffin-Lim round trip, and the
log-mel path is differentiable (critic-in-the-loop training).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.exceptions import DataError, ModelError


class EmotionCritic:
    """A fitted recognizer used as an emotion judge.

    Parameters
    ----------
    recognizer : EmotionRecognizer, ProsodicRecognizer or str
        A fitted recognizer, a saved folder, or a shipped name (``"core4"``, ``"ravdess8"``,
        ``"judge4"``). Only a log-mel CRNN reads log-mel frames; any recognizer hears waveforms.

    Attributes
    ----------
    classes_ : np.ndarray of str
        The emotions it can hear; columns of every probability array.
    audio_config : AudioConfig
        Log-mel inputs must be in this front-end's units (``ln`` mel power, ``[frames, n_mels]``).
    """

    def __init__(self, recognizer="core4"):
        from ser_synth.recognition import EmotionRecognizer, ProsodicRecognizer, load_recognizer

        if isinstance(recognizer, (str, Path)):
            recognizer = load_recognizer(recognizer)
        if not isinstance(recognizer, (EmotionRecognizer, ProsodicRecognizer)):
            raise ModelError(f"EmotionCritic needs an EmotionRecognizer or ProsodicRecognizer, a saved folder or a shipped name; "
                             f"got {type(recognizer).__name__}")
        recognizer._check_fitted()
        self.recognizer = recognizer
        self.classes_ = recognizer.classes_
        self.audio_config = recognizer.audio_config
        # log-mel input needs the CRNN's own front-end; the prosodic judge only hears waveforms
        self._feature_kind = recognizer.model_config.features if isinstance(recognizer, EmotionRecognizer) else "prosodic"
        self._heads = None
        self._mel_fn = None

    @property
    def reads_log_mel(self) -> bool:
        """Whether :meth:`log_mel_probabilities` works (a log-mel CRNN)."""
        return self._feature_kind == "logmel"

    # ------------------------------------------------------------------ log-mel path
    def _feature_heads(self):
        """Per ensemble member: (log-mel -> sequence model, pooling layer, output layer)."""
        if self._heads is None:
            import keras

            model = self.recognizer.model_
            members = getattr(model, "members", [model])
            heads = []
            for m in members:
                bb = m.backbone
                tail = keras.Model(bb.get_layer("frontend").output, bb.output, name=f"{m.name}_from_features")
                heads.append((tail, m.get_layer("pooling"), m.get_layer("emotion")))
            self._heads = heads
        return self._heads

    def log_mel_probabilities(self, log_mel, training: bool = False, augment: float = 0.0):
        """Class probabilities from log-mel frames, as a differentiable tensor.

        Parameters
        ----------
        log_mel : tf.Tensor, float32 ``[batch, frames, n_mels]``
            Natural-log mel power in the critic's ``audio_config`` (the synthesizer's ``mel_post``).
        augment : float
            0-1: hear each item through a random channel first (:func:`random_channel`), so a
            loss averaged over calls is an expectation over transformations.

        Returns
        -------
        tf.Tensor ``[batch, len(classes_)]``
        """
        import tensorflow as tf

        if not self.reads_log_mel:
            raise ModelError(f"this recognizer reads {self._feature_kind!r} features; only a log-mel CRNN can score log-mels")
        # very short inputs (an untrained synthesizer's few frames) are padded with silence up
        # to what the recognizer's pooling stages need
        min_frames = 2 ** (len(self.recognizer.model_config.conv_filters) + 1)
        short = tf.maximum(0, min_frames - tf.shape(log_mel)[1])
        log_mel = tf.pad(log_mel, [[0, 0], [0, short], [0, 0]], constant_values=float(np.log(self.audio_config.log_floor)))
        if augment:
            log_mel = random_channel(log_mel, augment)
        probs = []
        for tail, pooling, head in self._feature_heads():
            probs.append(head(pooling(tail(log_mel, training=training))))
        return tf.add_n(probs) / float(len(probs))

    def _score_log_mels(self, mels: Sequence[np.ndarray]) -> np.ndarray:
        import tensorflow as tf

        if self._mel_fn is None:
            self._mel_fn = tf.function(lambda x: self.log_mel_probabilities(x),
                                       input_signature=[tf.TensorSpec([1, None, self.audio_config.n_mels], tf.float32)])
        return np.concatenate([self._mel_fn(tf.constant(_trim_frames(m, self.recognizer.train_config.trim_db)[None])).numpy()
                               for m in mels])

    # ------------------------------------------------------------------ public API
    def probabilities(self, inputs) -> np.ndarray:
        """``[n, len(classes_)]`` for waveforms (1-D float arrays at the config rate), audio file
        paths, or log-mels (2-D ``[frames, n_mels]`` arrays); one kind per call."""
        items = list(inputs) if not isinstance(inputs, (str, Path)) else [inputs]
        if not items:
            raise DataError("no inputs given (empty list)")
        arrays = [np.asarray(x) for x in items] if all(isinstance(x, np.ndarray) or isinstance(x, list) for x in items) else None
        if arrays is not None and all(a.ndim == 2 for a in arrays):
            if not self.reads_log_mel:
                raise ModelError(f"this recognizer reads {self._feature_kind!r} features; only a log-mel CRNN can score log-mels "
                                 "directly (pass waveforms instead)")
            n_mels = self.audio_config.n_mels
            for i, a in enumerate(arrays):
                if a.shape[1] != n_mels or a.shape[0] < 1:
                    raise DataError(f"log-mel {i} has shape {a.shape}; expected [frames >= 1, {n_mels}] in the critic's AudioConfig")
                if not np.isfinite(a).all():
                    raise DataError(f"log-mel {i} has NaN or inf values")
            return self._score_log_mels([a.astype(np.float32) for a in arrays])
        return self.recognizer.predict_proba(items)

    def score(self, inputs, intended: Sequence[str], *, classes: Sequence[str] | None = None) -> dict:
        """Per utterance: ``p_intended`` (probability of the intended emotion), ``perceived``
        (the most probable class) and ``probabilities`` ``[n, len(classes)]``.

        ``classes`` (default ``classes_``) restricts the choice to a subset of the critic's
        classes, renormalised (so an 8-class judge can be compared with a 4-class critic).
        Intended emotions must be among them (a 4-class critic cannot judge "fearful").
        """
        intended = [str(e) for e in intended]
        all_classes = self.classes_.tolist()
        classes = all_classes if classes is None else list(classes)
        unknown = sorted((set(intended) | set(classes)) - set(all_classes))
        if unknown:
            raise DataError(f"emotion(s) {unknown} are not among the critic's classes {all_classes}")
        proba = self.probabilities(inputs)
        if len(proba) != len(intended):
            raise DataError(f"got {len(proba)} inputs but {len(intended)} intended emotions")
        proba = proba[:, [all_classes.index(c) for c in classes]]
        proba = proba / np.maximum(proba.sum(1, keepdims=True), 1e-12)
        idx = np.array([classes.index(e) for e in intended])
        return {"p_intended": proba[np.arange(len(idx)), idx], "perceived": np.asarray(classes)[np.argmax(proba, 1)],
                "probabilities": proba, "classes": classes}

    def report(self, inputs, intended: Sequence[str], *, classes: Sequence[str] | None = None, intensities: Sequence[float] | None = None,
               out_dir: str | Path | None = None, prefix: str = "critic_") -> dict:
        """Fidelity figures (over ``classes``, see :meth:`score`); with ``out_dir`` also
        ``{prefix}report.json`` and PNGs.

        Returns a dict: ``accuracy`` (share heard as intended), ``uar``, ``confusion`` (rows:
        intended, columns: perceived, in ``labels`` order), ``n``, and with ``intensities``:
        ``prob_by_intensity`` (mean ``p_intended`` per intensity, overall and per emotion) and
        ``monotone`` (whether that mean never falls as intensity rises, per non-neutral emotion).
        """
        from ser_synth.recognition.metrics import evaluation_report

        s = self.score(inputs, intended, classes=classes)
        rep = evaluation_report(list(intended), s["probabilities"], s["classes"])
        out = {"accuracy": rep["wa"], "uar": rep["uar"], "confusion": rep["confusion"], "labels": rep["labels"], "n": rep["n"],
               "p_intended_mean": float(np.mean(s["p_intended"]))}
        if intensities is not None:
            out.update(_by_intensity(list(intended), np.asarray(intensities, float), s["p_intended"]))
        if out_dir is not None:
            from ser_synth.recognition.metrics import plot_report, write_json

            out_dir = Path(out_dir)
            write_json(out, out_dir / f"{prefix}report.json")
            plot_report({**rep, "per_speaker": None}, out_dir, prefix=prefix)
            if intensities is not None:
                _plot_by_intensity(out, out_dir / f"{prefix}prob_by_intensity.png", who=prefix.strip("_") or "critic")
        return out


def _trim_frames(mel: np.ndarray, trim_db: float) -> np.ndarray:
    """Drop leading/trailing frames more than ``trim_db`` below the loudest (as the recognizer
    trims waveforms before it listens)."""
    if not trim_db:
        return mel
    energy = np.log(np.sum(np.exp(mel), axis=1) + 1e-12)
    keep = np.nonzero(energy >= energy.max() - trim_db * np.log(10) / 10)[0]
    return mel[keep[0]:keep[-1] + 1]


def _by_intensity(intended, intensities, p) -> dict:
    levels = sorted(set(intensities.tolist()))
    overall = {f"{k:g}": float(np.mean(p[intensities == k])) for k in levels}
    per_emotion, monotone = {}, {}
    for e in sorted(set(intended)):
        sel = np.asarray(intended) == e
        means = {f"{k:g}": float(np.mean(p[sel & (intensities == k)])) for k in levels if np.any(sel & (intensities == k))}
        per_emotion[e] = means
        if e != "neutral" and len(means) > 1:
            v = list(means.values())
            monotone[e] = bool(all(b >= a for a, b in zip(v, v[1:])))
    return {"prob_by_intensity": {"all": overall, **per_emotion}, "monotone": monotone}


def _plot_by_intensity(rep: dict, path: Path, who: str = "critic") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ser_synth.report import save_figure

    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for e, means in rep["prob_by_intensity"].items():
        xs = [float(k) for k in means]
        ax.plot(xs, list(means.values()), marker="o", label=e, lw=2.5 if e == "all" else 1.2)
    ax.set_xlabel("intensity")
    ax.set_ylabel("mean p(intended emotion)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title(f"{who}: probability of the intended emotion")
    fig.tight_layout()
    return save_figure(fig, path)


#: Ranges of :func:`random_channel` at strength 1.
CHANNEL_GAIN_DB, CHANNEL_TILT_DB, CHANNEL_SNR_DB, CHANNEL_MASK = 6.0, 6.0, (20.0, 45.0), (20, 8)


def random_channel(log_mel, strength: float):
    """``[batch, frames, n_mels]`` natural-log mel power heard through a random channel, per item.

    Gain up to +-``6 * strength`` dB, a spectral tilt up to +-``6 * strength`` dB across the band,
    a stationary noise floor between 45 and ``45 - 25 * strength`` dB below the loudest cell,
    and one time mask (up to ``20 * strength`` frames) and one frequency mask (up to
    ``8 * strength`` bands) of SpecAugment. Differentiable in ``log_mel``.
    """
    import tensorflow as tf

    s = float(strength)
    if not 0 < s <= 1:
        raise DataError(f"random_channel strength must be in (0, 1], got {strength!r}")
    log_mel = tf.convert_to_tensor(log_mel, tf.float32)
    b, m = tf.shape(log_mel)[0], tf.shape(log_mel)[2]
    db = float(np.log(10.0) / 10.0)  # dB -> natural log of power
    gain = tf.random.uniform([b, 1, 1], -1, 1) * s * CHANNEL_GAIN_DB
    ramp = tf.linspace(-0.5, 0.5, m)[None, None, :]
    tilt = tf.random.uniform([b, 1, 1], -1, 1) * s * CHANNEL_TILT_DB * ramp
    x = log_mel + (gain + tilt) * db
    hi, lo = CHANNEL_SNR_DB[1], CHANNEL_SNR_DB[1] - s * (CHANNEL_SNR_DB[1] - CHANNEL_SNR_DB[0])
    # the channel (floor level, mask fill) depends on the signal's level, but gradients should
    # not flow through that dependence: it would reward moving the loudest cell
    floor = tf.stop_gradient(tf.reduce_max(x, axis=[1, 2], keepdims=True)) - tf.random.uniform([b, 1, 1], lo, hi) * db
    x = tf.math.reduce_logsumexp(tf.stack([x, tf.broadcast_to(floor, tf.shape(x))]), axis=0)
    keep = None
    for axis, width in ((1, CHANNEL_MASK[0]), (2, CHANNEL_MASK[1])):
        size = tf.shape(x)[axis]
        w = tf.cast(tf.random.uniform([b, 1], 0, 1) * (width * s + 1), tf.int32)
        start = tf.cast(tf.random.uniform([b, 1], 0, 1) * tf.cast(tf.maximum(size - w, 1), tf.float32), tf.int32)
        pos = tf.range(size)[None, :]
        k = ~((pos >= start) & (pos < start + w))
        k = k[:, :, None] if axis == 1 else k[:, None, :]
        keep = k if keep is None else keep & k
    # masked cells take the utterance mean, as in the recognizers' own SpecAugment
    return tf.where(keep, x, tf.stop_gradient(tf.reduce_mean(x, axis=[1, 2], keepdims=True)))

