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
from ser_synth.synthesis.alignment import expand_by_durations, gaussian_log_likelihood, tf_batch_alignment
from ser_synth.synthesis.config import SynthTrainConfig
from ser_synth.synthesis.discriminator import SpectrogramDiscriminator, discriminator_loss, generator_losses
from ser_synth.synthesis.acoustic import AcousticModel
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
    """Padded batches of similar length (bucketed), repeated forever when shuffling."""
    n_mels, n_bins = examples[0].mel.shape[1], examples[0].linear.shape[1]

    def gen():
        for e in examples:
            yield {"tokens": e.tokens, "emotion": np.int32(e.emotion), "intensity": np.float32(e.intensity),
                   "speaker": np.int32(e.speaker), "mel": e.mel, "linear": e.linear, "log_f0": e.log_f0, "voiced": e.voiced,
                   "text_length": np.int32(len(e.tokens)), "mel_length": np.int32(len(e.mel))}

    sig = {"tokens": tf.TensorSpec([None], tf.int32), "emotion": tf.TensorSpec([], tf.int32), "intensity": tf.TensorSpec([], tf.float32),
           "speaker": tf.TensorSpec([], tf.int32), "mel": tf.TensorSpec([None, n_mels], tf.float32),
           "linear": tf.TensorSpec([None, n_bins], tf.float32), "log_f0": tf.TensorSpec([None], tf.float32),
           "voiced": tf.TensorSpec([None], tf.float32), "text_length": tf.TensorSpec([], tf.int32),
           "mel_length": tf.TensorSpec([], tf.int32)}
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig).cache()
    if shuffle:
        ds = ds.shuffle(len(examples), seed=seed, reshuffle_each_iteration=True).repeat()
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
        names = ("loss", "mel_l1", "linear_l1", "f0_l1", "voicing", "duration", "prior", "d_loss", "adversarial", "feature_matching", "critic_ce", "critic_acc")
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
        out["durations"] = durations
        return total, parts, out

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
                ce, acc = self.critic_loss(out["mel_post"], batch["emotion"])
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
