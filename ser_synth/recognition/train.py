"""Recognizer training: AdamW, warm-up + cosine (or plateau), early stopping on validation UAR.

Validation UAR is computed on speakers held out of the training set, on whole clips,
through a ``tf.function`` with a relaxed input signature.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.data.augment import mixup_batches
from ser_synth.data.pipeline import class_weights, training_dataset
from ser_synth.recognition.config import ModelConfig, TrainConfig
from ser_synth.recognition.model import build_classifier
from ser_synth.optim import build_optimizer, warmup_cosine


def make_predict_fn(model: keras.Model):
    """Return ``f(list of [samples] arrays) -> probabilities [n, classes]`` (one clip per call)."""

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def forward(x):
        return model(x, training=False)["emotion"]

    def predict(waveforms: Sequence[np.ndarray]) -> np.ndarray:
        if len(waveforms) == 0:
            return np.zeros((0, model.num_classes), np.float32)
        return np.concatenate([forward(tf.constant(w[None, :])).numpy() for w in waveforms])

    return predict


class ValidationUAR(keras.callbacks.Callback):
    """Adds ``val_uar`` (balanced accuracy on held-out speakers) to the epoch logs."""

    def __init__(self, waveforms, labels, num_classes):
        super().__init__()
        self.waveforms, self.labels, self.num_classes = waveforms, np.asarray(labels), num_classes
        self._predict = None

    def on_epoch_end(self, epoch, logs=None):
        if self._predict is None:
            self._predict = make_predict_fn(self.model)
        pred = np.argmax(self._predict(self.waveforms), axis=1)
        recalls = [np.mean(pred[self.labels == c] == c) for c in range(self.num_classes) if np.any(self.labels == c)]
        uar = float(np.mean(recalls))
        if logs is not None:
            logs["val_uar"] = uar
            logs["val_wa"] = float(np.mean(pred == self.labels))


class WeightAverage(keras.callbacks.Callback):
    """Exponential moving average of the trainable weights, swapped in at each epoch's end.

    Place it before the callbacks that read the weights at epoch end (validation, early
    stopping, backups): they then see the averaged weights, and the raw ones come back at the
    next epoch's start. The decay ramps up as ``min(decay, (1 + step) / (10 + step))`` so early
    averages do not remember the random initialisation. A run resumed from a backup continues
    from the averaged weights.
    """

    def __init__(self, decay: float):
        super().__init__()
        self.decay = float(decay)

    def on_train_begin(self, logs=None):
        weights = self.model.trainable_weights
        self._shadow = [tf.Variable(w.value, trainable=False) for w in weights]
        self._raw = None
        step = tf.Variable(0.0, trainable=False)

        @tf.function
        def update():
            d = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
            for s, w in zip(self._shadow, weights):
                s.assign(d * s + (1.0 - d) * w.value)
            step.assign_add(1.0)

        self._update = update

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    def on_epoch_end(self, epoch, logs=None):
        weights = self.model.trainable_weights
        self._raw = [w.numpy() for w in weights]
        for s, w in zip(self._shadow, weights):
            w.assign(s)

    def on_epoch_begin(self, epoch, logs=None):
        if self._raw is not None:
            for r, w in zip(self._raw, self.model.trainable_weights):
                w.assign(r)
            self._raw = None


class AdversarySchedule(keras.callbacks.Callback):
    """Sets the gradient-reversal strength to ``max * (2 / (1 + exp(-10 p)) - 1)``, p = epoch progress."""

    def __init__(self, max_strength: float, epochs: int):
        super().__init__()
        self.max_strength, self.epochs = max_strength, epochs

    def on_epoch_begin(self, epoch, logs=None):
        p = epoch / max(1, self.epochs - 1)
        layer = self.model.get_layer("gradient_reversal")
        layer.strength.assign(self.max_strength * (2.0 / (1.0 + math.exp(-10 * p)) - 1.0))


def _tensorboard_available() -> bool:
    """TensorFlow >= 2.20 no longer installs tensorboard; without it, training skips the logs."""
    import importlib.util
    import warnings

    if importlib.util.find_spec("tensorboard") is not None:
        return True
    warnings.warn("tensorboard is not installed: no TensorBoard logs are written (pip install tensorboard)", stacklevel=3)
    return False


def _optimizer(tc: TrainConfig, steps_per_epoch: int):
    lr = tc.learning_rate
    if tc.schedule == "cosine":
        lr = warmup_cosine(tc.learning_rate, total_steps=max(1, tc.epochs * steps_per_epoch),
                           warmup_steps=tc.warmup_epochs * steps_per_epoch, start_fraction=0.05, alpha=0.02)
    return keras.optimizers.AdamW(learning_rate=lr, weight_decay=tc.weight_decay, clipnorm=5.0)


def fit_classifier(
    train_waves: Sequence[np.ndarray], train_labels: Sequence[int], classes: Sequence[str], *,
    audio_config: AudioConfig, model_config: ModelConfig, train_config: TrainConfig,
    train_speakers: Sequence[int] | None = None, val_waves: Sequence[np.ndarray] | None = None,
    val_labels: Sequence[int] | None = None, out_dir: str | Path | None = None, verbose: int = 1,
    init_backbone: keras.Model | None = None,
):
    """Train an :class:`EmotionClassifier` and return ``(model, history_dict)``.

    With validation data: early stopping on ``val_uar`` and the best epoch restored. With
    ``out_dir``: TensorBoard logs in ``out_dir/logs`` and resumable backups in ``out_dir/backup``
    (a re-run after a crash continues from the last finished epoch); TensorBoard logs need the
    ``tensorboard`` package. ``init_backbone`` copies
    pretrained backbone weights (transfer learning; ``train_config.freeze`` says what trains).
    """
    tc, mc = train_config, model_config
    num_classes = len(classes)
    num_speakers = int(max(train_speakers) + 1) if (mc.speaker_adversary and train_speakers is not None) else 0
    model = build_classifier(audio_config, mc, num_classes, num_speakers)
    if init_backbone is not None:
        model.backbone.set_weights(init_backbone.get_weights())
    crop = int(round(tc.crop_seconds * audio_config.sample_rate))
    weights = None
    if tc.class_balance:
        cw = class_weights(train_labels, num_classes)
        weights = cw[np.asarray(train_labels)]
    waves = tf.data.Dataset.from_generator(lambda: iter(train_waves), output_signature=tf.TensorSpec([None], tf.float32))
    ds = training_dataset(waves, train_labels, crop_samples=crop, batch_size=tc.batch_size, seed=tc.seed, augment=tc.augment,
                          sample_weights=weights, speakers=train_speakers if num_speakers else None,
                          sample_rate=audio_config.sample_rate)
    steps = math.ceil(len(train_labels) / tc.batch_size)
    # one-hot for label smoothing and mixup
    ds = ds.map(lambda x, y, w: (x, {**y, "emotion": tf.one_hot(y["emotion"], num_classes)}, w))
    if tc.mixup:
        ds = mixup_batches(ds, tc.mixup, seed=tc.seed)
    ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
    losses = {"emotion": keras.losses.CategoricalCrossentropy(label_smoothing=tc.label_smoothing)}
    if num_speakers:
        losses["speaker"] = keras.losses.SparseCategoricalCrossentropy()

    # (backbone trainable, epochs, learning-rate scale) per stage; "gradual" trains the new
    # head on a frozen backbone first, then everything at a lower rate.
    if tc.freeze == "backbone":
        stages = [(False, tc.epochs, 1.0)]
    elif tc.freeze == "gradual":
        head = max(1, tc.epochs // 3)
        stages = [(False, head, 1.0), (True, tc.epochs - head, 0.3)]
    else:
        stages = [(True, tc.epochs, 1.0)]
    history: dict[str, list[float]] = {}
    for i, (trainable, epochs, lr_scale) in enumerate(stages):
        if epochs <= 0:
            continue
        model.backbone.trainable = trainable
        stage_tc = dataclasses.replace(tc, epochs=epochs, learning_rate=tc.learning_rate * lr_scale)
        model.compile(optimizer=_optimizer(stage_tc, steps), loss=losses, jit_compile=False)
        build_optimizer(model.optimizer, model.trainable_variables)
        # the average first: validation, early stopping and backups read the averaged weights
        callbacks = [WeightAverage(tc.ema)] if tc.ema else []
        if val_waves is not None and len(val_waves):
            callbacks.append(ValidationUAR(val_waves, val_labels, num_classes))
            if tc.schedule == "plateau":
                callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_uar", mode="max", factor=0.5, patience=max(1, tc.patience // 3), verbose=verbose))
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_uar", mode="max", patience=tc.patience, restore_best_weights=True, verbose=verbose))
        if num_speakers:
            callbacks.append(AdversarySchedule(mc.adversary_strength, epochs))
        if out_dir is not None:
            stage_dir = Path(out_dir) / (f"stage{i}" if len(stages) > 1 else "")
            callbacks.append(keras.callbacks.BackupAndRestore(str(stage_dir / "backup"), delete_checkpoint=True))
            if _tensorboard_available():
                callbacks.append(keras.callbacks.TensorBoard(str(stage_dir / "logs"), write_graph=False, profile_batch=0))
        # the dataset shuffles itself (seeded); Keras' own shuffle would only warn
        hist = model.fit(ds, epochs=epochs, callbacks=callbacks, shuffle=False, verbose=verbose)
        for k, vals in hist.history.items():
            history.setdefault(k, []).extend(float(v) for v in vals)
    model.backbone.trainable = True
    return model, history
