"""Acoustic-model training: feature targets, batching, alignment by MAS, losses, and the
conditional discriminator that joins after a reconstruction warm-up
(:mod:`ser_synth.synthesis.discriminator`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import LINEAR_FLOOR
from ser_synth.audio.pitch import period_confusion
from ser_synth.exceptions import ConfigError
from ser_synth.synthesis.alignment import expand_by_durations, gaussian_log_likelihood, tf_batch_alignment
from ser_synth.synthesis.config import SynthTrainConfig
from ser_synth.synthesis.discriminator import SpectrogramDiscriminator, discriminator_loss, generator_losses
from ser_synth.synthesis.acoustic import AcousticModel, vocoder_log_mel, vocoder_magnitude
from ser_synth.optim import build_optimizer, warmup_cosine


@dataclass
class Example:
    """One training pair: symbol ids + conditioning + log-mel / log-linear / pitch targets
    (``log_f0``: continuous natural-log F0 ``[T]``; ``voiced``: ``[T]`` 0/1)."""

    tokens: np.ndarray
    emotion: int
    intensity: float
    speaker: int
    mel: np.ndarray
    linear: np.ndarray
    log_f0: np.ndarray
    voiced: np.ndarray


def spectral_targets(waveforms: Sequence[np.ndarray], audio_config: AudioConfig, batch: int = 16):
    """Log-mel ``[T, n_mels]`` and log linear magnitude ``[T, n_bins]`` per waveform, by the
    shared front-end layers (the same numbers the recognizer computes inside its model)."""
    from ser_synth.audio.frontend import LinearSpectrogram, LogMelSpectrogram

    mel_layer, lin_layer = LogMelSpectrogram(audio_config), LinearSpectrogram(audio_config)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def feats(x):
        return mel_layer(x), tf.math.log(tf.maximum(lin_layer(x), LINEAR_FLOOR))

    mels, lins = [], []
    for i in range(0, len(waveforms), batch):
        chunk = waveforms[i:i + batch]
        n = max(len(w) for w in chunk)
        padded = np.stack([np.pad(w, (0, n - len(w))) for w in chunk]).astype(np.float32)
        m, lin = feats(tf.constant(padded))
        for j, w in enumerate(chunk):
            t = audio_config.num_frames(len(w))
            mels.append(m[j, :t].numpy())
            lins.append(lin[j, :t].numpy())
    return mels, lins


def pitch_targets(waveforms: Sequence[np.ndarray], audio_config: AudioConfig):
    """Continuous log-F0 ``[T]`` and voicing ``[T]`` (float 0/1) per waveform, on the front-end's frames."""
    from ser_synth.audio.pitch import continuous_log_f0, pitch_track

    out = []
    for w in waveforms:
        f0, voiced = pitch_track(w, audio_config)
        out.append((continuous_log_f0(f0, voiced), voiced.astype(np.float32)))
    return out


def make_dataset(examples: Sequence[Example], batch_size: int, *, seed: int = 0, shuffle: bool = True) -> tf.data.Dataset:
    """Padded batches of similar length (bucketed), repeated forever when shuffling.

    Pass ``k`` over the examples is in the order ``stateless_shuffle(seed=(seed, k))``, so the
    stream of batches is a function of ``seed`` alone: every new iterator starts it again, and
    skipping ``n`` batches gives what an iterator has after ``n`` steps (how a resumed training
    continues). ``Dataset.shuffle(reshuffle_each_iteration=True)`` could not do this: its orders
    come from a generator that every new iterator and pass advances.
    """
    n = len(examples)

    def ragged(key, dtype):
        rows = [np.asarray(getattr(e, key), dtype) for e in examples]
        return tf.RaggedTensor.from_row_lengths(np.concatenate(rows), [len(r) for r in rows])

    columns = {k: ragged(k, dt) for k, dt in (("tokens", np.int32), ("mel", np.float32), ("linear", np.float32),
                                              ("log_f0", np.float32), ("voiced", np.float32))}
    scalars = {"emotion": tf.constant([e.emotion for e in examples], tf.int32), "intensity": tf.constant([e.intensity for e in examples], tf.float32),
               "speaker": tf.constant([e.speaker for e in examples], tf.int32),
               "text_length": tf.constant([len(e.tokens) for e in examples], tf.int32), "mel_length": tf.constant([len(e.mel) for e in examples], tf.int32)}

    def item(i):
        return {**{k: v[i] for k, v in columns.items()}, **{k: v[i] for k, v in scalars.items()}}

    if shuffle:
        ds = tf.data.Dataset.range(2 ** 62).flat_map(lambda k: tf.data.Dataset.from_tensor_slices(
            tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), k]))))
    else:
        ds = tf.data.Dataset.range(n)
    ds = ds.map(item, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    sig = ds.element_spec
    lengths = sorted(len(e.mel) for e in examples)
    bounds = sorted({lengths[int(q * (len(lengths) - 1))] + 1 for q in (0.25, 0.5, 0.75)})
    pad = {"mel": float(np.log(1e-6)), "linear": float(np.log(LINEAR_FLOOR))}
    ds = ds.bucket_by_sequence_length(lambda x: x["mel_length"], bounds, [batch_size] * (len(bounds) + 1),
                                      padding_values={k: tf.constant(pad.get(k, 0), v.dtype) for k, v in sig.items()},
                                      drop_remainder=False)
    return ds.prefetch(tf.data.AUTOTUNE)


def _masked_mean(x, mask):
    return tf.reduce_sum(x * mask) / tf.maximum(tf.reduce_sum(mask) * tf.cast(tf.shape(x)[-1], x.dtype) / tf.cast(tf.shape(mask)[-1], x.dtype), 1.0)


class AcousticTrainer(keras.Model):
    """Wraps an :class:`AcousticModel` with its training step (MAS alignment + losses).

    ``fit`` on :func:`make_dataset` batches shows a Keras progress bar; the wrapped model is
    ``trainer.generator``. With a ``discriminator``, set ``use_gan = True`` (after the
    reconstruction warm-up) to add the least-squares adversarial and feature-matching losses
    on the post-net log-mel; the discriminator then trains with its own optimizer.
    """

    def __init__(self, generator: AcousticModel, train_config: SynthTrainConfig | None = None,
                 discriminator: SpectrogramDiscriminator | None = None, critic=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.train_config = tc = SynthTrainConfig.from_dict(train_config)
        self.discriminator = discriminator
        self.use_gan = False
        self.critic = critic if tc.critic_weight > 0 else None
        if self.critic is not None:
            # synthesizer emotion row -> critic class column (-1: the critic cannot hear it)
            classes = critic.classes_.tolist()
            self._critic_columns = tf.constant([classes.index(e) if e in classes else -1 for e in generator.acoustic_config.emotions], tf.int32)
        if tc.periodicity_weight > 0 and not generator.acoustic_config.f0_channels:
            raise ConfigError(f"periodicity_weight={tc.periodicity_weight!r} needs a pitch head, but this model's f0_channels is 0")
        names = ("loss", "mel_l1", "linear_l1", "f0_l1", "voicing", "periodicity", "duration", "prior", "d_loss", "adversarial",
                 "feature_matching", "critic_ce", "critic_acc")
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}
        if discriminator is not None:
            n_mels = generator.audio_config.n_mels
            discriminator(tf.zeros([1, max(discriminator.windows), n_mels]), tf.zeros([1], tf.int32),
                          crops=[(0, w) for w in discriminator.windows])  # create its weights before tracing
            self.d_optimizer = keras.optimizers.Adam(tc.discriminator_learning_rate, beta_1=0.5, beta_2=0.9)

    def compile(self, optimizer, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        build_optimizer(self.optimizer, self.generator.trainable_variables)
        if self.discriminator is not None:
            build_optimizer(self.d_optimizer, self.discriminator.trainable_variables)

    def fit(self, *args, shuffle: bool = False, **kwargs):
        # its input is make_dataset's, which shuffles itself (seeded, resumable); Keras' own shuffle
        # (default True) does nothing to a tf.data.Dataset but warn
        return super().fit(*args, shuffle=shuffle, **kwargs)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def losses_for(self, batch, training: bool):
        """Forward pass with MAS durations -> (total loss, dict of parts, generator outputs)."""
        g, tc = self.generator, self.train_config
        h, cond, tmask, mu, log_d = g.encode(batch["tokens"], batch["emotion"], batch["intensity"], batch["speaker"], training)
        mel = g.normalize(batch["mel"], "mel")
        fmask = tf.sequence_mask(batch["mel_length"], tf.shape(mel)[1], dtype=mel.dtype)[:, :, None]
        ll = gaussian_log_likelihood(tf.stop_gradient(mu), mel)
        durations = tf_batch_alignment(ll, batch["text_length"], batch["mel_length"])
        out = g.decode(h, cond, durations, training)
        mel_l1 = _masked_mean(tf.abs(out["mel_norm"] - mel), fmask) + _masked_mean(tf.abs(out["mel_post_norm"] - mel), fmask)
        target_log_d = tf.math.log1p(tf.cast(durations, tf.float32))
        dur = tf.reduce_sum(tf.square(log_d - target_log_d) * tmask[:, :, 0]) / tf.maximum(tf.reduce_sum(tmask), 1.0)
        mu_frames, _ = expand_by_durations(mu, durations, tf.shape(mel)[1])
        prior = _masked_mean(0.5 * tf.square(mel - mu_frames), fmask)
        parts = {"mel_l1": mel_l1, "duration": dur, "prior": prior}
        total = mel_l1 + tc.duration_weight * dur + tc.prior_weight * prior
        if "linear" in out:
            lin_l1 = _masked_mean(tf.abs(out["linear_norm"] - g.normalize(batch["linear"], "linear")), fmask)
            parts["linear_l1"] = lin_l1
            total += tc.linear_weight * lin_l1
        if "f0" in out:
            fm = fmask[:, :, 0]
            target = (batch["log_f0"] - g.f0_stats[0]) / g.f0_stats[1]
            f0_l1 = tf.reduce_sum(tf.abs(out["log_f0_norm"] - target) * fm) / tf.maximum(tf.reduce_sum(fm), 1.0)
            bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=batch["voiced"], logits=out["voicing_logit"])
            voicing = tf.reduce_sum(bce * fm) / tf.maximum(tf.reduce_sum(fm), 1.0)
            parts.update(f0_l1=f0_l1, voicing=voicing)
            total += tc.f0_weight * (f0_l1 + voicing)
            if tc.periodicity_weight > 0:
                parts["periodicity"] = self.periodicity_loss(out, batch, fm)
                total += tc.periodicity_weight * parts["periodicity"]
        out["durations"] = durations
        return total, parts, out

    def periodicity_loss(self, out, batch, frame_mask):
        """Mean over frames voiced in the recording of ``relu(confusion(rendered) -
        confusion(recording))`` (:func:`~ser_synth.audio.pitch.period_confusion`, each at its own
        F0). F0 and voicing are held fixed here, so the loss shapes the linear head: moving F0
        to where a ripple sits would hide the ripple, not remove it."""
        cfg = self.generator.audio_config
        held = {**out, "f0": tf.stop_gradient(out["f0"]), "voicing": tf.stop_gradient(out["voicing"])}
        rendered = period_confusion(tf.square(vocoder_magnitude(held, cfg)), held["f0"], config=cfg)
        recorded = period_confusion(tf.exp(2.0 * batch["linear"]), tf.exp(batch["log_f0"]), config=cfg)
        w = frame_mask * batch["voiced"]
        return tf.reduce_sum(tf.nn.relu(rendered - recorded) * w) / tf.maximum(tf.reduce_sum(w), 1.0)

    def train_step(self, batch):
        gan = self.use_gan and self.discriminator is not None
        # one tape over the generator: with a second tape active around it TensorFlow also
        # builds every LSTM while-loop's gradient for higher-order use (~9 s of the demo model's
        # trace, and slower steps), so the discriminator's tape covers its convolutions only
        with tf.GradientTape() as tape:
            loss, parts, out = self.losses_for(batch, training=True)
            if gan:
                tc, disc = self.train_config, self.discriminator
                crops = disc.crops(batch["mel_length"])
                with tf.GradientTape() as d_tape:
                    d_real = disc(self.generator.normalize(batch["mel"], "mel"), batch["emotion"], crops=crops)
                    d_loss = discriminator_loss(d_real, disc(tf.stop_gradient(out["mel_post_norm"]), batch["emotion"], crops=crops))
                adv, fm = generator_losses(d_real, disc(out["mel_post_norm"], batch["emotion"], crops=crops))
                loss = loss + tc.gan_weight * (adv + tc.feature_matching_weight * fm)
                parts.update(d_loss=d_loss, adversarial=adv, feature_matching=fm)
            if self.critic is not None:
                heard = out["mel_post"] if self.train_config.critic_input == "mel" else vocoder_log_mel(out, self.generator.audio_config)
                ce, acc = self.critic_loss(heard, batch["emotion"])
                ramp = tf.cast(self.optimizer.iterations + 1, tf.float32) / float(max(1, self.train_config.critic_ramp_steps))
                loss = loss + self.train_config.critic_weight * tf.minimum(1.0, ramp) * ce
                parts.update(critic_ce=ce, critic_acc=acc)
        variables = self.generator.trainable_variables
        grads, _ = tf.clip_by_global_norm(tape.gradient(loss, variables), 1.0)
        self.optimizer.apply_gradients(zip(grads, variables))
        if gan:
            d_vars = disc.trainable_variables
            d_grads, _ = tf.clip_by_global_norm(d_tape.gradient(d_loss, d_vars), 1.0)
            self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        return self._update({"loss": loss, **parts})

    def critic_loss(self, log_mel, emotion):
        """Cross-entropy of the frozen critic toward the intended emotion, and its accuracy,
        over the batch items whose emotion the critic knows (gradients reach the generator
        through the critic)."""
        cols = tf.gather(self._critic_columns, tf.cast(emotion, tf.int32))
        known = cols >= 0
        probs = self.critic.log_mel_probabilities(log_mel, training=False, augment=self.train_config.critic_augment)
        target = tf.one_hot(tf.maximum(cols, 0), tf.shape(probs)[-1])
        ce = -tf.reduce_sum(target * tf.math.log(probs + 1e-7), -1)
        w = tf.cast(known, tf.float32)
        n = tf.maximum(tf.reduce_sum(w), 1.0)
        acc = tf.reduce_sum(w * tf.cast(tf.equal(tf.argmax(probs, -1, output_type=tf.int32), cols), tf.float32)) / n
        return tf.reduce_sum(w * ce) / n, acc

    def test_step(self, batch):
        loss, parts, _ = self.losses_for(batch, training=False)
        return self._update({"loss": loss, **parts})

    def _update(self, values):
        for k, v in values.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items() if k in values}

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)


def make_optimizer(train_config: SynthTrainConfig) -> keras.optimizers.Optimizer:
    """AdamW with linear warm-up (5% of steps) then cosine decay to 5% of the peak rate."""
    tc = train_config
    sched = warmup_cosine(tc.learning_rate, total_steps=tc.steps, warmup_steps=max(1, tc.steps // 20), start_fraction=0.01, alpha=0.05)
    return keras.optimizers.AdamW(sched, weight_decay=1e-4, beta_2=0.98)


#: Steps per Keras epoch of synthesizer training: the progress bar's unit and how often
#: :class:`TrainingBackup` saves.
STEPS_PER_EPOCH = 100


class TrainingBackup:
    """The whole state of one synthesizer training, saved in ``folder`` after every epoch.

    It holds the generator, the discriminator, both optimizers (their step counts drive the
    learning-rate schedule), the global step and the history, in one ``tf.train.Checkpoint``
    whose manager switches to a new save only once it is complete, so a crash leaves the last
    whole epoch. A saved state is resumed only by the same training: same configs, examples,
    starting weights and critic (``fingerprint``); another one is discarded with a warning.
    With ``folder=None`` nothing is saved and :meth:`restore` starts from step 0.
    """

    def __init__(self, folder, trainer: "AcousticTrainer", *, examples: Sequence[Example], fingerprint: dict, verbose: int = 1):
        import hashlib
        import json

        import ser_synth

        self.folder, self.verbose = (None if folder is None else str(folder)), verbose
        if self.folder is None:
            return
        weights, data = hashlib.sha1(), hashlib.sha1()
        for w in trainer.generator.get_weights():
            weights.update(np.ascontiguousarray(w).tobytes())
        for e in examples:
            data.update(np.array([e.emotion, e.speaker, e.intensity], np.float64).tobytes())
            for a in (e.tokens, e.mel, e.log_f0):
                data.update(np.ascontiguousarray(a).tobytes())
        self.fingerprint = json.dumps({**fingerprint, "initial_weights": weights.hexdigest(), "examples": data.hexdigest(),
                                       "version": ser_synth.__version__}, sort_keys=True, default=str)
        objects = {"generator": trainer.generator, "optimizer": trainer.optimizer}
        if trainer.discriminator is not None:
            objects.update(discriminator=trainer.discriminator, d_optimizer=trainer.d_optimizer)
        # the dropout layers' random states are variables that object tracking does not reach;
        # without them a resumed run draws other dropout masks
        models = [m for m in (trainer.generator, trainer.discriminator) if m is not None]
        objects["seed_states"] = [v.value for m in models for v in m.variables if "seed_generator_state" in v.path]
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.state = tf.Variable("", dtype=tf.string, trainable=False)  # JSON: fingerprint and history
        self.checkpoint = tf.train.Checkpoint(step=self.step, state=self.state, **objects)
        self.manager = tf.train.CheckpointManager(self.checkpoint, self.folder, max_to_keep=1)

    def restore(self) -> tuple[int, dict]:
        """``(steps done, history so far)`` from a saved state of this training, else ``(0, {})``."""
        import json
        import warnings

        latest = None if self.folder is None else self.manager.latest_checkpoint
        if latest is None:
            return 0, {}
        saved = json.loads(tf.train.load_checkpoint(latest).get_tensor("state/.ATTRIBUTES/VARIABLE_VALUE"))
        if saved["fingerprint"] != self.fingerprint:
            warnings.warn(f"training backup in {self.folder!r} is from another training (configs, data or starting "
                          "weights differ); starting from step 0", stacklevel=3)
            self.remove()
            return 0, {}
        self.checkpoint.restore(latest).assert_existing_objects_matched()
        if self.verbose:
            print(f"resuming training after step {int(self.step.numpy())} (backup in {self.folder})", flush=True)
        return int(self.step.numpy()), saved["history"]

    def save(self, step: int, history: dict) -> None:
        import json

        if self.folder is None:
            return
        self.step.assign(step)
        self.state.assign(json.dumps({"fingerprint": self.fingerprint, "history": history}))
        self.manager.save(checkpoint_number=step)

    def remove(self) -> None:
        """Delete the saved state (the training it belongs to has finished)."""
        import shutil

        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def callback(self, history: dict, *, first_step: int, steps_per_epoch: int) -> keras.callbacks.Callback:
        """A callback for one ``fit`` call: it adds each epoch's logs to ``history`` and saves."""
        backup = self

        class _Save(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                for k, v in (logs or {}).items():
                    history.setdefault(k, []).append(float(v))
                backup.save(first_step + (epoch + 1) * steps_per_epoch, history)

        return _Save()
