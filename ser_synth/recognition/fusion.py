"""``FusionRecognizer``: late fusion of recognizers built differently (the CRNN and the prosodic
classifier), by the weighted geometric mean of their probabilities.

The two read different evidence (a log-mel image through a CNN-LSTM; utterance statistics of
pitch, loudness and spectral shape through a linear model), so their errors differ and the
fused decision beats each alone on actors neither heard (``bench/recognizer_accuracy.py
--fusion``). Exports as one SavedModel (:func:`ser_synth.serving.export_recognizer`; the
prosodic statistics as TF ops, :mod:`ser_synth.recognition.prosodic_tf`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.data.records import Utterance
from ser_synth.exceptions import ConfigError, DataError, NotFittedError
from ser_synth.recognition.base import ClassifierMixin, as_inputs

FORMAT_VERSION = 1
_CONFIG_FILE = "fusion.json"


def geometric_mean(probas: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """Rows of ``exp(sum_i w_i log p_i)``, renormalised; ``probas`` are ``[n, classes]`` with the
    same column order, ``weights`` default equal (normalised to sum to 1)."""
    w = np.ones(len(probas)) if weights is None else np.asarray(list(weights), float)
    log_p = sum(wi / w.sum() * np.log(np.clip(p, 1e-9, 1.0)) for wi, p in zip(w, probas))
    p = np.exp(log_p - log_p.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def in_class_order(proba: np.ndarray, from_classes: Sequence[str], to_classes: Sequence[str]) -> np.ndarray:
    """``proba`` ``[n, len(from_classes)]`` with its columns picked and ordered as ``to_classes``."""
    from_classes = list(from_classes)
    return proba[:, [from_classes.index(c) for c in to_classes]]


def write_config(folder: Path, members: Sequence[str], weights: Sequence[float]) -> None:
    """``fusion.json`` in ``folder``: member entries (subfolders of it, or shipped names) and weights."""
    (Path(folder) / _CONFIG_FILE).write_text(json.dumps({"format_version": FORMAT_VERSION, "kind": "FusionRecognizer",
                                                         "members": list(members), "weights": list(weights)}))


class FusionRecognizer(ClassifierMixin):
    """Geometric mean of member recognizers' ``predict_proba`` (renormalised).

    Parameters
    ----------
    members : sequence of recognizers
        ``EmotionRecognizer`` / ``ProsodicRecognizer`` (fitted, or fitted by :meth:`fit`), at
        least two, all with the same classes once fitted.
    weights : sequence of float, optional
        One positive weight per member (default equal); normalised to sum to 1.

    Attributes
    ----------
    classes_ : np.ndarray of str
        The members' classes, sorted; ``predict_proba`` columns follow it.
    train_speakers_ : list of str
        Every speaker any member trained on (so evaluation can say whether it is speaker-disjoint).
    """

    def __init__(self, members: Sequence, *, weights: Sequence[float] | None = None):
        members = list(members)
        if len(members) < 2 or not all(hasattr(m, "predict_proba") for m in members):
            raise ConfigError(f"FusionRecognizer needs at least two recognizers, got {[type(m).__name__ for m in members]}")
        w = np.ones(len(members)) if weights is None else np.asarray(list(weights), float)
        if w.shape != (len(members),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ConfigError(f"FusionRecognizer weights must be {len(members)} positive numbers, got {weights!r}")
        self.members, self.weights = members, (w / w.sum()).tolist()

    def fit(self, X: Sequence[Utterance], y: Sequence[str] | None = None) -> "FusionRecognizer":
        """Fit every member on the same data (each as its own ``fit`` would). Returns self."""
        for m in self.members:
            m.fit(X, y)
        return self

    def _check_fitted(self):
        classes = []
        for i, m in enumerate(self.members):
            if not hasattr(m, "classes_"):
                raise NotFittedError(f"FusionRecognizer member {i} ({type(m).__name__}) is not fitted; call fit() or load() first")
            classes.append(sorted(m.classes_.tolist()))
        if any(c != classes[0] for c in classes):
            raise DataError(f"FusionRecognizer members must share their classes; got {classes}")

    @property
    def classes_(self) -> np.ndarray:
        self._check_fitted()
        return np.asarray(sorted(self.members[0].classes_.tolist()), dtype=str)

    @property
    def train_speakers_(self) -> list[str]:
        return sorted({s for m in self.members for s in getattr(m, "train_speakers_", [])})

    @property
    def audio_config(self):
        return self.members[0].audio_config

    def predict_proba(self, X) -> np.ndarray:
        """``[n, len(classes_)]``: exp of the weighted mean of the members' log-probabilities, renormalised."""
        self._check_fitted()
        X = as_inputs(X)
        classes = self.classes_.tolist()
        probas = [in_class_order(m.predict_proba(X), m.classes_, classes) for m in self.members]
        return geometric_mean(probas, self.weights)


    def save(self, path: str | Path) -> Path:
        """Folder ``path`` with ``fusion.json`` and each member saved in ``member_<i>/``, written atomically."""
        from ser_synth.utils import atomic_directory

        self._check_fitted()
        path = Path(path)
        names = [f"member_{i}" for i in range(len(self.members))]
        with atomic_directory(path) as tmp:
            for m, name in zip(self.members, names):
                m.save(tmp / name)
            write_config(tmp, names, self.weights)
        return path

    @classmethod
    def load(cls, path: str | Path, *, verbose: int = 0) -> "FusionRecognizer":
        """A folder written by :meth:`save`. A member entry names a subfolder of ``path`` or a
        shipped model (so a shipped fusion reuses the shipped members' weights)."""
        from ser_synth.recognition import load_recognizer
        from ser_synth.utils import read_saved_folder

        path, meta = read_saved_folder(path, model_file=_CONFIG_FILE, config_file=_CONFIG_FILE, format_version=FORMAT_VERSION,
                                       kind="FusionRecognizer")
        members = [load_recognizer(path / m if (path / m).is_dir() else m, verbose=verbose) for m in meta["members"]]
        return cls(members, weights=meta["weights"])

    def __repr__(self):
        return f"FusionRecognizer({', '.join(type(m).__name__ for m in self.members)}, weights={[round(w, 3) for w in self.weights]})"
