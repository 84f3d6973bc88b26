"""The emotion-conditioned LSTM acoustic model.

text ids -> embedding -> convs -> BiLSTM (text encoder)
         + emotion (soft label between neutral and the target, weighted by intensity, as in
           EmoDiff) and speaker embeddings
         -> duration predictor -> length regulator (durations from monotonic alignment search
            in training, predicted at inference)
         -> BiLSTM decoder -> log-mel (the shared AudioConfig) -> residual conv post-net
         -> log linear magnitude (so Griffin-Lim is not capped by the mel bottleneck)
         -> F0 (log Hz) and voicing per frame, whose harmonic comb is laid over the smooth
            linear magnitude before Griffin-Lim (:func:`ser_synth.audio.pitch.harmonic_magnitude`)
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ser_synth.audio.config import AudioConfig
from ser_synth.audio.frontend import LINEAR_FLOOR
from ser_synth.synthesis.alignment import expand_by_durations
from ser_synth.synthesis.config import AcousticConfig
from ser_synth.utils import bidirectional

_register = keras.saving.register_keras_serializable(package="ser_synth")
PEAK = 0.99  # rendered waveforms louder than this are scaled down to it


def vocoder_magnitude(out: dict, config: AudioConfig) -> tf.Tensor:
    """Acoustic-model outputs -> the linear magnitude ``[B, T, n_bins]`` Griffin-Lim inverts.

    The linear head's magnitude (or, without one, the mel's pseudo-inverse), with the
    harmonics of the predicted F0 laid over it where the model has a pitch head, zero past
    each item's frames.
    """
    from ser_synth.audio.griffin_lim import mel_to_linear
    from ser_synth.audio.pitch import harmonic_magnitude

    mag = tf.exp(out["linear"]) if "linear" in out else mel_to_linear(tf.exp(out["mel_post"]), config=config)
    if "f0" in out:
        mag = harmonic_magnitude(mag, out["f0"], out["voicing"], config=config)
    return mag * tf.sequence_mask(out["frame_lengths"], tf.shape(mag)[1], dtype=mag.dtype)[:, :, None]


def vocoder_log_mel(out: dict, config: AudioConfig) -> tf.Tensor:
    """Log-mel ``[B, T, n_mels]`` (front-end units) of :func:`vocoder_magnitude`: what the
    recognizer front-end would read from the rendered waveform before Griffin-Lim's phase
    errors, and differentiable in the linear, F0 and voicing heads (``mel_post`` itself is
    never rendered)."""
    from ser_synth.audio.frontend import mel_filterbank

    mel = tf.tensordot(tf.square(vocoder_magnitude(out, config)), tf.constant(mel_filterbank(config)), axes=1)
    return tf.math.log(tf.maximum(mel, config.log_floor))


def render_waveform(out: dict, config: AudioConfig, n_iter) -> tuple[tf.Tensor, tf.Tensor]:
    """Acoustic-model outputs -> (waveform float32 ``[B, samples]``, lengths int32 ``[B]``).

    Griffin-Lim (``n_iter``: int or int32 scalar tensor) of :func:`vocoder_magnitude`,
    started, with a pitch head, from the phases of a pulse train at the predicted F0.
    Griffin-Lim does not bound its output, so an utterance that would clip is scaled to peak
    ``PEAK``.
    """
    from ser_synth.audio.griffin_lim import griffin_lim
    from ser_synth.audio.pitch import excitation_spectrum

    init = excitation_spectrum(out["f0"], out["voicing"], config=config) if "f0" in out else "random"
    wave = griffin_lim(vocoder_magnitude(out, config), config=config, n_iter=n_iter, init=init)
    peak = tf.reduce_max(tf.abs(wave), axis=1, keepdims=True)
    return wave / tf.maximum(1.0, peak / PEAK), config.num_samples(out["frame_lengths"])


@_register
class EmotionMixer(keras.layers.Layer):
    """Emotion embedding of a soft label: ``(1 - k) * e[neutral] + k * e[emotion]``.

    Inputs ``emotion`` int ``[B]`` and ``intensity`` float ``[B]`` in [0, 1] -> ``[B, dim]``.
    """

    def __init__(self, num_emotions: int, dim: int, neutral_index: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_emotions, self.dim, self.neutral_index = int(num_emotions), int(dim), int(neutral_index)

    def build(self, input_shape=None):
        self.table = self.add_weight(shape=(self.num_emotions, self.dim), initializer="random_normal", name="table")

    def call(self, emotion, intensity):
        k = tf.clip_by_value(tf.cast(intensity, self.compute_dtype), 0.0, 1.0)[:, None]
        soft = (1.0 - k) * tf.one_hot(tf.fill(tf.shape(emotion), self.neutral_index), self.num_emotions) \
            + k * tf.one_hot(tf.cast(emotion, tf.int32), self.num_emotions)
        return tf.matmul(soft, self.table)

    def get_config(self):
        return {**super().get_config(), "num_emotions": self.num_emotions, "dim": self.dim, "neutral_index": self.neutral_index}


def _conv_stack(n, channels, kernel, dropout, prefix, activation="relu"):
    layers = []
    for i in range(n):
        layers += [keras.layers.Conv1D(channels, kernel, padding="same", activation=activation, name=f"{prefix}_conv{i}"),
                   keras.layers.LayerNormalization(name=f"{prefix}_norm{i}"),
                   keras.layers.Dropout(dropout, name=f"{prefix}_dropout{i}")]
    return layers


def _bilstm(units: int, name: str) -> keras.layers.Bidirectional:
    return bidirectional(keras.layers.LSTM, units, name)


def _run(layers, x, training, mask=None):
    for layer in layers:
        x = layer(x, training=training) if isinstance(layer, keras.layers.Dropout) else layer(x)
        if mask is not None:
            x = x * mask
    return x


@_register
class AcousticModel(keras.Model):
    """Text + emotion + intensity + speaker -> log-mel and log linear magnitude frames.

    Parameters
    ----------
    audio_config : AudioConfig or dict
        Frame layout of the targets (the shared front-end).
    acoustic_config : AcousticConfig or dict
    vocab_size : int
        Symbol vocabulary size (index 0 is padding).

    Call ``model(inputs)`` with a dict: ``tokens`` int32 ``[B, N]`` (0 = padding),
    ``emotion`` int32 ``[B]`` (index into ``acoustic_config.emotions``), ``intensity`` float
    ``[B]``, ``speaker`` int32 ``[B]``, optional ``durations`` int32 ``[B, N]`` (forced
    alignment) and ``duration_scale`` float ``[B]``. Returns a dict: ``mel``, ``mel_post``
    ``[B, T, n_mels]`` (natural-log mel power, front-end units), ``linear`` ``[B, T, n_bins]``
    (log magnitude), ``frame_lengths`` ``[B]``, ``durations`` ``[B, N]``, ``log_durations``
    (predicted, ``log(1 + frames)``), ``mu`` ``[B, N, n_mels]`` (token means of the
    standardised mel), with a pitch head ``f0`` ``[B, T]`` (Hz) and ``voicing`` ``[B, T]``
    (probability), and the standardised outputs (``*_norm``, ``voicing_logit``) the losses use.
    """

    def __init__(self, audio_config=None, acoustic_config=None, vocab_size: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.audio_config = AudioConfig.from_dict(audio_config)
        self.acoustic_config = ac = AcousticConfig.from_dict(acoustic_config)
        self.vocab_size = int(vocab_size)
        d, n_mels = ac.encoder_dim, self.audio_config.n_mels
        self.embedding = keras.layers.Embedding(self.vocab_size, d, name="symbol_embedding")
        self.encoder_convs = _conv_stack(ac.encoder_convs, d, ac.kernel_size, ac.dropout, "encoder")
        self.encoder_lstm = _bilstm(d // 2, "encoder_lstm")
        self.emotion_mixer = EmotionMixer(len(ac.emotions), ac.emotion_dim, ac.emotions.index("neutral"), name="emotion")
        self.speaker_embedding = keras.layers.Embedding(ac.n_speakers, ac.speaker_dim, name="speaker_embedding")
        self.condition = keras.layers.Dense(d, name="condition")
        self.mu_projection = keras.layers.Dense(n_mels, name="token_mel_mean")
        self.duration_convs = _conv_stack(2, ac.duration_channels, 3, ac.dropout, "duration")
        self.duration_out = keras.layers.Dense(1, name="duration_out")
        self.decoder_in = keras.layers.Dense(ac.decoder_units, activation="relu", name="decoder_in")
        self.decoder_lstms = [_bilstm(ac.decoder_units // 2 or 1, f"decoder_lstm{i}") for i in range(ac.decoder_layers)]
        self.mel_out = keras.layers.Dense(n_mels, name="mel_out")
        self.postnet = _conv_stack(ac.postnet_layers, ac.postnet_channels, 5, ac.dropout, "postnet", activation="tanh")
        self.postnet_out = keras.layers.Conv1D(n_mels, 5, padding="same", name="postnet_out")
        if ac.linear_channels:
            self.linear_convs = _conv_stack(2, ac.linear_channels, 5, ac.dropout, "linear")
            self.linear_out = keras.layers.Dense(self.audio_config.n_bins, name="linear_out")
        if ac.f0_channels:
            self.f0_convs = _conv_stack(2, ac.f0_channels, 5, ac.dropout, "f0")
            self.f0_out = keras.layers.Dense(2, name="f0_out")  # standardised log F0, voicing logit
        # Per-band statistics of the training targets (set by the trainer, saved with the
        # weights): the network works on standardised log spectra, so the unit-variance
        # Gaussian of the alignment search fits, and outputs are mapped back to front-end units.
        n_bins = self.audio_config.n_bins
        self.mel_mean = self.add_weight(shape=(n_mels,), initializer="zeros", trainable=False, name="mel_mean")
        self.mel_std = self.add_weight(shape=(n_mels,), initializer="ones", trainable=False, name="mel_std")
        self.linear_mean = self.add_weight(shape=(n_bins,), initializer="zeros", trainable=False, name="linear_mean")
        self.linear_std = self.add_weight(shape=(n_bins,), initializer="ones", trainable=False, name="linear_std")
        if ac.f0_channels:
            self.f0_stats = self.add_weight(shape=(2,), initializer="ones", trainable=False, name="f0_stats")  # log-Hz mean, std
        # create every weight now, so a reloaded model can take its saved weights
        self(self.dummy_inputs(), training=False)

    def dummy_inputs(self):
        return {"tokens": tf.ones([1, 3], tf.int32), "emotion": tf.zeros([1], tf.int32),
                "intensity": tf.zeros([1]), "speaker": tf.zeros([1], tf.int32)}

    # ------------------------------------------------------------------ parts
    def encode(self, tokens, emotion, intensity, speaker, training=False):
        """-> (token states ``[B, N, D]``, condition ``[B, D]``, token mask ``[B, N, 1]``, mu, predicted log durations)."""
        tokens = tf.cast(tokens, tf.int32)
        mask = tf.cast(tokens > 0, self.compute_dtype)[:, :, None]
        x = self.embedding(tokens) * mask
        x = _run(self.encoder_convs, x, training, mask)
        x = self.encoder_lstm(x, mask=tokens > 0) * mask
        cond = self.condition(tf.concat([self.emotion_mixer(emotion, intensity), self.speaker_embedding(tf.cast(speaker, tf.int32))], -1))
        h = (x + cond[:, None, :]) * mask
        mu = self.mu_projection(h) * mask
        # durations are predicted from detached states: their loss should not bend the encoder
        dur = _run(self.duration_convs, tf.stop_gradient(h), training, mask)
        log_durations = tf.squeeze(self.duration_out(dur), -1) * mask[:, :, 0]
        return h, cond, mask, mu, log_durations

    def predicted_durations(self, log_durations, mask, scale=None):
        """Frames per token from ``log(1 + frames)`` predictions (>= 1 for real tokens)."""
        d = tf.exp(log_durations) - 1.0
        if scale is not None:
            d = d * tf.cast(scale, d.dtype)[:, None]
        return tf.cast(tf.maximum(tf.round(d), 1.0) * mask[:, :, 0], tf.int32)

    def decode(self, h, cond, durations, training=False):
        """Token states + durations -> dict of frame outputs."""
        frames, lengths = expand_by_durations(h, durations)
        # position inside the current token (0 at its first frame, ->1 at its last): tells the
        # decoder where it is within long vowels
        ends = tf.cast(tf.cumsum(durations, axis=1), tf.float32)
        dur_f = tf.cast(durations, tf.float32)
        pos_tok, _ = expand_by_durations(tf.stack([ends - dur_f, tf.maximum(dur_f, 1.0)], -1), durations)
        t = tf.cast(tf.range(tf.shape(frames)[1]), tf.float32)[None, :]
        rel = (t - pos_tok[..., 0]) / tf.maximum(pos_tok[..., 1], 1.0)  # padded frames have 0 there
        fmask_bool = tf.sequence_mask(lengths, tf.shape(frames)[1])
        fmask = tf.cast(fmask_bool, self.compute_dtype)[:, :, None]
        cond_frames = tf.broadcast_to(cond[:, None, :], tf.concat([tf.shape(frames)[:2], tf.shape(cond)[-1:]], 0))
        x = self.decoder_in(tf.concat([frames, rel[..., None] * fmask, cond_frames], -1)) * fmask
        for lstm in self.decoder_lstms:
            x = lstm(x, mask=fmask_bool) * fmask
        mel = self.mel_out(x) * fmask
        post = _run(self.postnet, mel, training, fmask)
        mel_post = (mel + self.postnet_out(post)) * fmask
        out = {"mel_norm": mel, "mel_post_norm": mel_post, "frame_lengths": lengths, "decoder_states": x,
               "mel": self.denormalize(mel, "mel", fmask), "mel_post": self.denormalize(mel_post, "mel", fmask)}
        heads_in = tf.concat([mel_post, x], -1)  # what the linear and pitch heads read
        if self.acoustic_config.linear_channels:
            lin = self.linear_out(_run(self.linear_convs, heads_in, training, fmask)) * fmask
            out["linear_norm"] = lin
            out["linear"] = self.denormalize(lin, "linear", fmask)
        if self.acoustic_config.f0_channels:
            # detached like the duration predictor: reaching the decoder, the pitch losses made
            # MCD worse than the same fine-tuning without them
            # (bench/results/synthesis_quality_pitch_attached.json)
            f0 = self.f0_out(_run(self.f0_convs, tf.stop_gradient(heads_in), training, fmask)) * fmask
            out["log_f0_norm"], out["voicing_logit"] = f0[..., 0], f0[..., 1]
            out["f0"] = tf.exp(f0[..., 0] * self.f0_stats[1] + self.f0_stats[0]) * fmask[..., 0]
            out["voicing"] = tf.sigmoid(f0[..., 1]) * fmask[..., 0]
        return out

    def normalize(self, x, kind: str):
        """Front-end units -> standardised (``kind`` is "mel" or "linear")."""
        mean, std = (self.mel_mean, self.mel_std) if kind == "mel" else (self.linear_mean, self.linear_std)
        return (x - mean) / std

    def denormalize(self, x, kind: str, mask=None):
        """Standardised -> front-end units; frames outside ``mask`` get the floor of that feature."""
        mean, std = (self.mel_mean, self.mel_std) if kind == "mel" else (self.linear_mean, self.linear_std)
        y = x * std + mean
        if mask is None:
            return y
        floor = tf.math.log(self.audio_config.log_floor) if kind == "mel" else tf.math.log(LINEAR_FLOOR)
        return y * mask + floor * (1.0 - mask)

    def set_normalization(self, mel_frames=None, linear_frames=None, log_f0=None):
        """Fit the per-band statistics from stacked training frames ``[frames, bands]`` and the
        log-F0 statistics from voiced frames ``[frames]`` (each optional)."""
        import numpy as np

        for frames, mean, std in ((mel_frames, self.mel_mean, self.mel_std), (linear_frames, self.linear_mean, self.linear_std)):
            if frames is not None:
                mean.assign(np.mean(frames, 0).astype("float32"))
                std.assign(np.maximum(np.std(frames, 0), 1e-3).astype("float32"))
        if log_f0 is not None and len(log_f0) and self.acoustic_config.f0_channels:
            self.f0_stats.assign(np.array([np.mean(log_f0), max(np.std(log_f0), 1e-2)], "float32"))

    def call(self, inputs, training=False):
        h, cond, mask, mu, log_d = self.encode(inputs["tokens"], inputs["emotion"], inputs["intensity"], inputs["speaker"], training)
        durations = inputs.get("durations")
        if durations is None:
            durations = self.predicted_durations(log_d, mask, inputs.get("duration_scale"))
        out = self.decode(h, cond, durations, training)
        out.update(durations=tf.cast(durations, tf.int32), log_durations=log_d, mu=mu)
        return out

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "audio_config": self.audio_config.to_dict(),
                "acoustic_config": self.acoustic_config.to_dict(), "vocab_size": self.vocab_size}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # models saved before the pitch head existed have none
        config["acoustic_config"] = {"f0_channels": 0, **config.get("acoustic_config", {})}
        return cls(**config)

