"""``EmotionRecognizer``: the scikit-learn-style facade over the CRNN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.data.records import Utterance
from ser_synth.data.splits import validation_split
from ser_synth.exceptions import DataError, NotFittedError
from ser_synth.recognition.base import ClassifierMixin, as_inputs, input_waveforms
from ser_synth.recognition.config import ModelConfig, TrainConfig

FORMAT_VERSION = 1
_MODEL_FILE, _CONFIG_FILE = "model.keras", "recognizer.json"


def _renamed(model, name):
    """A copy of a fitted classifier under another name (ensemble members need distinct names)."""
    clone = type(model).from_config({**model.get_config(), "name": name})
    clone.set_weights(model.get_weights())
    return clone


class EmotionRecognizer(ClassifierMixin):
    """Speech emotion recognizer (CRNN on log-mel/MFCC computed inside the model).

    Parameters
    ----------
    audio_config : AudioConfig, optional
        Front-end spec; waveforms are taken at ``audio_config.sample_rate``.
    model_config : ModelConfig, optional
    train_config : TrainConfig, optional
    verbose : int
        Keras verbosity during ``fit`` (progress bars).

    Attributes
    ----------
    classes_ : np.ndarray of str
        Emotion labels; the columns of :meth:`predict_proba` follow this order.
    model_ : keras.Model
        The fitted :class:`EmotionClassifier` (input: waveform ``[batch, samples]``).
    history_ : dict
        Per-epoch training metrics (``loss``, ``val_uar``, ...).
    validation_speakers_ : list of str
        Speakers held out for early stopping.
    """

    def __init__(self, *, audio_config: AudioConfig | None = None, model_config: ModelConfig | None = None,
                 train_config: TrainConfig | None = None, verbose: int = 1):
        self.audio_config = AudioConfig.from_dict(audio_config)
        self.model_config = ModelConfig.from_dict(model_config)
        self.train_config = TrainConfig.from_dict(train_config)
        self.verbose = verbose

    # ------------------------------------------------------------------ inputs
    def _waveforms(self, X) -> list[np.ndarray]:
        """Decode/validate inputs: records, paths, or float arrays at the config rate."""
        return input_waveforms(X, self.audio_config, trim_db=self.train_config.trim_db, verbose=self.verbose)

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError("this EmotionRecognizer is not fitted yet; call fit() or load() first")

    # ------------------------------------------------------------------ sklearn API
    def fit(self, X, y=None, *, speakers: Sequence[str] | None = None, classes: Sequence[str] | None = None,
            out_dir: str | Path | None = None, init_from: "EmotionRecognizer | None" = None) -> "EmotionRecognizer":
        """Train on utterance records (labels and speakers from the records) or on arrays + ``y``.

        Parameters
        ----------
        X : list of Utterance, or list of float waveforms at ``audio_config.sample_rate``
        y : list of str, optional
            Labels for array input (ignored for records).
        speakers : list of str, optional
            Speaker of each array; enables a speaker-disjoint validation split. Without it,
            validation utterances are drawn at random and ``validation_speaker_disjoint_``
            is False.
        classes : list of str, optional
            Label order (default: sorted labels seen).
        out_dir : path, optional
            Folder for TensorBoard logs and resumable backups.
        init_from : EmotionRecognizer, optional
            Fitted recognizer whose backbone initialises this one (transfer learning; the
            head is new, so its classes may differ). Its audio and model configs are used.

        Returns
        -------
        self
        """
        import dataclasses

        from ser_synth.recognition.model import EnsembleClassifier
        from ser_synth.recognition.train import fit_classifier
        from ser_synth.utils import set_seed

        tc = self.train_config
        set_seed(tc.seed)
        if init_from is not None:
            init_from._check_fitted()
            self.audio_config, self.model_config = init_from.audio_config, init_from.model_config
        X = as_inputs(X)
        if all(isinstance(x, Utterance) for x in X):
            records = X
        else:
            if y is None or len(y) != len(X):
                raise DataError(f"fit(arrays) needs y with one label per waveform; got {len(X)} waveforms and {None if y is None else len(y)} labels")
            spk = list(speakers) if speakers is not None else [f"unknown/{i}" for i in range(len(X))]
            records = [Utterance(path=f"<array {i}>", emotion=str(lab), speaker=str(s), corpus="array") for i, (lab, s) in enumerate(zip(y, spk))]
            arrays = {r.path: x for r, x in zip(records, X)}
        labels = sorted({r.emotion for r in records}) if classes is None else list(classes)
        unknown = {r.emotion for r in records} - set(labels)
        if unknown:
            raise DataError(f"training labels {sorted(unknown)} are not in classes {labels}")
        if len(labels) < 2:
            raise DataError(f"need at least 2 emotions to train, got {labels}")
        index = {c: i for i, c in enumerate(labels)}

        # decode (or validate and trim) every input once; members reuse the waveforms
        decoded = dict(zip([r.path for r in records], self._waveforms([arrays[r.path] for r in records] if records[0].corpus == "array" else records)))

        def waves(recs):
            return [decoded[r.path] for r in recs]

        members, histories, val_speakers, seen_speakers = [], [], [], set()
        all_records = records
        for m in range(tc.ensemble):
            # each member holds out other validation speakers (seed + m), so together they
            # learn from every training speaker
            member_tc = dataclasses.replace(tc, seed=tc.seed + m)
            set_seed(member_tc.seed)
            records, val_records = all_records, []
            if tc.validation_fraction > 0 and len({r.speaker for r in records}) >= 2:
                split = validation_split(records, tc.validation_fraction, seed=member_tc.seed)
                for retry in range(1, 20):  # members should not share a validation set when avoidable
                    if split.test_speakers not in val_speakers:
                        break
                    split = validation_split(records, tc.validation_fraction, seed=member_tc.seed + 1000 * retry)
                records, val_records = list(split.train), list(split.test)
            train_spk = sorted({r.speaker for r in records})
            seen_speakers.update(train_spk)
            spk_index = {s: i for i, s in enumerate(train_spk)}
            model, history = fit_classifier(
                waves(records), [index[r.emotion] for r in records], labels,
                audio_config=self.audio_config, model_config=self.model_config, train_config=member_tc,
                train_speakers=[spk_index[r.speaker] for r in records],
                val_waves=waves(val_records) if val_records else None, val_labels=[index[r.emotion] for r in val_records],
                out_dir=None if out_dir is None else (Path(out_dir) / f"member{m}" if tc.ensemble > 1 else out_dir),
                verbose=self.verbose, init_backbone=None if init_from is None else init_from.model_.backbone,
            )
            members.append(model)
            histories.append(history)
            val_speakers.append(sorted({r.speaker for r in val_records}))
        model = members[0] if tc.ensemble == 1 else EnsembleClassifier([_renamed(mm, f"member{i}") for i, mm in enumerate(members)],
                                                                        name="emotion_ensemble")
        history = histories[0]
        self.validation_speakers_ = val_speakers[0]
        self.member_validation_speakers_ = val_speakers
        self.member_histories_ = histories
        self.validation_speaker_disjoint_ = speakers is not None or all(isinstance(x, Utterance) for x in X)
        train_spk = sorted(seen_speakers)  # speakers some member took gradients on
        self.model_ = model
        self.classes_ = np.array(labels)
        self.history_ = history
        self.train_speakers_ = train_spk
        self._predict_fn = None
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes_))``; columns follow ``classes_``."""
        self._check_fitted()
        if getattr(self, "_predict_fn", None) is None:
            from ser_synth.recognition.train import make_predict_fn

            self._predict_fn = make_predict_fn(self.model_)
        return self._predict_fn(self._waveforms(X))


    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``model.keras`` + ``recognizer.json`` (configs, classes, history) atomically."""
        from ser_synth.utils import atomic_directory

        self._check_fitted()
        path = Path(path)
        with atomic_directory(path) as tmp:
            # save an uncompiled copy: inference needs no optimizer state (it would triple the file)
            bare = type(self.model_).from_config(self.model_.get_config())
            bare.set_weights(self.model_.get_weights())
            bare.save(tmp / _MODEL_FILE)
            meta = {
                "format_version": FORMAT_VERSION, "classes": self.classes_.tolist(),
                "audio_config": self.audio_config.to_dict(), "model_config": self.model_config.to_dict(),
                "train_config": self.train_config.to_dict(), "history": getattr(self, "history_", {}),
                "train_speakers": getattr(self, "train_speakers_", []), "validation_speakers": getattr(self, "validation_speakers_", []),
            }
            (tmp / _CONFIG_FILE).write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path, *, verbose: int = 0) -> "EmotionRecognizer":
        """Load a folder written by :meth:`save` (Keras safe mode)."""
        import keras

        import ser_synth.recognition.model  # noqa: F401  (registers the custom objects)

        from ser_synth.utils import read_saved_folder

        path, meta = read_saved_folder(path, model_file=_MODEL_FILE, config_file=_CONFIG_FILE, format_version=FORMAT_VERSION,
                                       kind="EmotionRecognizer")
        obj = cls(audio_config=AudioConfig.from_dict(meta["audio_config"]), model_config=ModelConfig.from_dict(meta["model_config"]),
                  train_config=TrainConfig.from_dict(meta["train_config"]), verbose=verbose)
        obj.model_ = keras.saving.load_model(path / _MODEL_FILE, safe_mode=True, compile=False)
        obj.classes_ = np.array(meta["classes"])
        obj.history_ = meta.get("history", {})
        obj.train_speakers_ = meta.get("train_speakers", [])
        obj.validation_speakers_ = meta.get("validation_speakers", [])
        obj._predict_fn = None
        return obj

    @classmethod
    def pretrained(cls, name: str, *, verbose: int = 0) -> "EmotionRecognizer":
        """Load a model shipped inside the package (no network): ``"ravdess8"`` or ``"core4"``."""
        from ser_synth.pretrained import pretrained_path

        return cls.load(pretrained_path(name), verbose=verbose)

    @classmethod
    def load_any(cls, name_or_dir: str | Path, *, verbose: int = 0) -> "EmotionRecognizer":
        """A saved recognizer folder, or else the name of a shipped one."""
        from ser_synth.pretrained import resolve_model

        return cls.load(resolve_model(name_or_dir), verbose=verbose)

    def __repr__(self):
        fitted = f"classes={self.classes_.tolist()}" if hasattr(self, "classes_") else "unfitted"
        return f"EmotionRecognizer({fitted}, features={self.model_config.features!r})"
