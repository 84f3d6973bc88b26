"""What both recognizer facades share: reading inputs, and scikit-learn's ``predict``/``score``
from ``predict_proba`` and ``classes_``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ser_synth.data.records import Utterance
from ser_synth.exceptions import DataError


def as_inputs(X) -> list:
    """``X`` as a list of inputs: one path, record or 1-D waveform is one input, a 2-D array one
    input per row, any other iterable one per item.

    Raises
    ------
    DataError
        ``X`` is not iterable (``None``, a number, ...) or holds no inputs.
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        X = list(X) if X.ndim == 2 else [X]
    elif isinstance(X, (str, Path, Utterance)):
        X = [X]
    else:
        try:
            X = list(X)
        except TypeError:
            raise DataError(f"inputs must be records, paths or float waveforms (a list or an array), got {type(X).__name__}") from None
    if not X:
        raise DataError("no inputs given (empty list)")
    return X


def all_paths_or_records(X: list) -> bool:
    """True when every input is a path or a record (decoded by the tf.data pipeline); mixing
    them with arrays is a :class:`DataError`."""
    files = [isinstance(x, (str, Path, Utterance)) for x in X]
    if any(files) and not all(files):
        raise DataError("mix of arrays and paths/records in one call; pass one kind")
    return all(files)


def input_waveforms(X, config, *, trim_db: float | None, verbose: int = 0) -> list[np.ndarray]:
    """Records, audio paths or float waveforms at ``config.sample_rate`` -> checked float32
    ``[samples]`` waveforms, trimmed of silence by one rule for both kinds of input.

    Files are decoded and trimmed by the tf.data pipeline; arrays are trimmed by the same
    ``trim_silence_tf``, so a file and the same audio as an array give the same waveform (the
    prosodic statistics read the edges; ``bench/prosodic_trim.py``).
    """
    from ser_synth.audio.validation import check_audio

    X = as_inputs(X)
    if all_paths_or_records(X):
        from ser_synth.data.loading import load_waveforms

        return load_waveforms([x.path if isinstance(x, Utterance) else str(x) for x in X], config,
                              trim_db=trim_db, verbose=verbose)
    import tensorflow as tf

    from ser_synth.audio.trim import trim_silence_tf

    out = []
    for i, x in enumerate(X):
        y = check_audio(np.asarray(x), min_samples=config.min_samples, name=f"waveform {i}")
        out.append(trim_silence_tf(tf.constant(y), trim_db).numpy() if trim_db else y)
    return out


class ClassifierMixin:
    """``predict``, ``score`` and ``evaluate`` for a facade with ``predict_proba``, ``classes_`` and ``_check_fitted``."""

    def predict(self, X) -> np.ndarray:
        """Most probable emotion per input, shape ``(n,)``."""
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X, y=None) -> float:
        """Accuracy (WA). For records, ``y`` defaults to their emotions.

        Raises
        ------
        DataError
            ``y`` missing for non-records, not one label per input, or a label not in ``classes_``.
        """
        self._check_fitted()
        X = as_inputs(X)
        if y is None:
            if not all(isinstance(x, Utterance) for x in X):
                raise DataError("score(X) needs y (one emotion per input) unless X holds records")
            y = [r.emotion for r in X]
        y = [str(v) for v in y]
        if len(y) != len(X):
            raise DataError(f"score needs one label per input; got {len(X)} inputs and {len(y)} labels")
        unknown = sorted(set(y) - set(self.classes_.tolist()))
        if unknown:
            raise DataError(f"labels {unknown} are not among this recognizer's classes {self.classes_.tolist()}")
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def evaluate(self, records, *, speaker_adapt: bool = False) -> dict:
        """Full report on records (see :func:`ser_synth.recognition.metrics.evaluate_records`).

        Records whose emotion is not in ``classes_`` are left out; ``n_excluded`` counts them.
        ``speaker_adapt`` corrects each speaker's probabilities with their other utterances
        (:func:`~ser_synth.recognition.metrics.speaker_prior_correction`).
        """
        from ser_synth.recognition.metrics import evaluate_records

        self._check_fitted()
        return evaluate_records(self, list(records), speaker_adapt=speaker_adapt)
