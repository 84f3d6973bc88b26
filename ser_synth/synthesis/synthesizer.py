"""``EmotionalSynthesizer``: fit on (text, audio, emotion, speaker) records, synthesize waveforms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.audio.config import AudioConfig
from ser_synth.data.records import Utterance
from ser_synth.exceptions import ConfigError, DataError, NotFittedError
from ser_synth.synthesis.config import AcousticConfig, SynthTrainConfig
from ser_synth.synthesis.rules import batch_requests, check_request

FORMAT_VERSION = 1
_MODEL_FILE, _CONFIG_FILE = "model.keras", "synthesizer.json"
#: Corpus intensity labels -> [0, 1]. Neutral is intensity 0 whatever its label.
INTENSITY_LABELS = {"normal": 0.5, "strong": 1.0, "lo": 0.33, "md": 0.67, "hi": 1.0, "xx": 1.0}


def record_intensity(r: Utterance) -> float:
    """A record's emotion intensity in [0, 1] (1 when the corpus does not say)."""
    if r.emotion == "neutral":
        return 0.0
    if r.intensity is None:
        return 1.0
    label = str(r.intensity).strip().lower()
    if label in INTENSITY_LABELS:
        return INTENSITY_LABELS[label]
    try:
        return float(np.clip(float(label), 0.0, 1.0))
    except ValueError:
        return 1.0


#: Training targets of the last record set, so that ``fit`` then ``fine_tune`` (or two
#: ``fine_tune`` runs) on the same records compute them once: about 12 s for the demo's 272
#: utterances on 2 cores. One entry, and only when its arrays fit in this many bytes.
TARGET_CACHE_BYTES = 256 * 2**20
_target_cache: dict = {}


def _targets_key(records, speakers, audio_config, acoustic_config, max_seconds):
    """What the targets depend on, files' sizes and times included; None if a file cannot be stat'ed."""
    import os

    try:
        stats = [os.stat(r.path) for r in records]
    except (OSError, TypeError):
        return None
    files = tuple((r.path, st.st_mtime_ns, st.st_size, r.text, r.emotion, record_intensity(r), r.speaker) for r, st in zip(records, stats))
    return files, tuple(speakers), audio_config, acoustic_config.symbols, tuple(acoustic_config.emotions), float(max_seconds)


def _backup_dir(out_dir) -> Path | None:
    """Where a training that saves to ``out_dir`` keeps its resumable state (``<out_dir>/backup``;
    saving the model there replaces the folder, backup included)."""
    return None if out_dir is None else Path(out_dir) / "backup"


def _voiced_log_f0(examples) -> np.ndarray:
    return np.concatenate([e.log_f0[e.voiced > 0] for e in examples])


class EmotionalSynthesizer:
    """Text + emotion + intensity (+ speaker) -> waveform, with a trained acoustic model.

    The acoustic model (:class:`~ser_synth.synthesis.acoustic.AcousticModel`) predicts log-mel
    frames in the shared :class:`AudioConfig` (what the recognizer reads) and log linear
    magnitude, which Griffin-Lim turns into a waveform.

    Parameters
    ----------
    audio_config : AudioConfig, optional
    acoustic_config : AcousticConfig, optional
        ``n_speakers`` is set from the training data by :meth:`fit`.
    train_config : SynthTrainConfig, optional
    griffin_lim_iters : int
        Vocoder iterations at synthesis time.
    verbose : int

    Attributes
    ----------
    model_ : AcousticModel
    speakers_ : list of str
        Speaker ids (``speaker=`` values) in embedding order.
    emotions_ : list of str
        Emotions seen in training (the ones ``synthesize`` accepts).
    history_ : dict
    """

    def __init__(self, *, audio_config: AudioConfig | None = None, acoustic_config: AcousticConfig | None = None,
                 train_config: SynthTrainConfig | None = None, griffin_lim_iters: int = 32, verbose: int = 1):
        from ser_synth.audio.griffin_lim import check_iterations

        self.audio_config = AudioConfig.from_dict(audio_config)
        self.acoustic_config = AcousticConfig.from_dict(acoustic_config)
        self.train_config = SynthTrainConfig.from_dict(train_config)
        self.griffin_lim_iters = check_iterations(griffin_lim_iters)
        self.verbose = verbose

    # ------------------------------------------------------------------ training
    def fit(self, records: Sequence[Utterance], *, out_dir: str | Path | None = None) -> "EmotionalSynthesizer":
        """Train on utterance records that carry text (the embedded corpus, RAVDESS, EMO-DB, CSV...).

        Records whose emotion is not in ``acoustic_config.emotions`` or whose text is unknown
        are left out (``n_excluded_`` counts them); longer than ``max_seconds`` too.

        With ``out_dir``, the fitted model is saved there, and while it trains its state is
        backed up in ``<out_dir>/backup`` after every epoch of 100 steps: calling the same fit
        again after a crash resumes from the last epoch and ends with the weights an
        uninterrupted run would have.

        Returns
        -------
        self
        """
        import dataclasses

        from ser_synth.synthesis.acoustic import AcousticModel
        from ser_synth.utils import set_seed

        set_seed(self.train_config.seed)
        records = self._usable(records)
        speakers = sorted({r.speaker for r in records})
        self.acoustic_config = dataclasses.replace(self.acoustic_config, n_speakers=len(speakers))
        examples = self._examples(records, speakers)
        model = AcousticModel(self.audio_config, self.acoustic_config, vocab_size=self._encoder().vocab_size)
        model.set_normalization(np.concatenate([e.mel for e in examples]), np.concatenate([e.linear for e in examples]),
                                _voiced_log_f0(examples))
        self.history_ = self._train(model, examples, self.train_config, backup_dir=_backup_dir(out_dir))
        self.model_, self.speakers_ = model, speakers
        self._fitted(examples, out_dir)
        return self

    def fine_tune(self, records: Sequence[Utterance], *, train_config: SynthTrainConfig | dict | None = None,
                  critic=None, out_dir: str | Path | None = None) -> "EmotionalSynthesizer":
        """Continue training the fitted model (fresh optimizer, schedule of ``train_config``).

        Speakers must be ones the model knows (``speakers_``); other records are left out and
        counted in ``n_excluded_``. With ``gan_weight > 0`` the discriminator starts fresh and
        joins after ``gan_warmup_steps``. With a ``critic`` (an
        :class:`~ser_synth.critic.EmotionCritic` sharing this ``audio_config``) and
        ``critic_weight > 0``, its cross-entropy toward the intended emotion on the generated
        log-mel joins the loss (critic-in-the-loop). ``train_config`` replaces ``self.train_config``.
        ``out_dir`` saves and backs up as in :meth:`fit`.

        Returns
        -------
        self
        """
        from ser_synth.utils import set_seed

        self._check_fitted()
        if train_config is not None:
            self.train_config = SynthTrainConfig.from_dict(train_config)
        set_seed(self.train_config.seed)
        known = set(self.speakers_)
        records = [r for r in self._usable(records) if r.speaker in known]
        if not records:
            raise DataError(f"fine_tune() got no records from the model's speakers {self.speakers_}")
        if critic is not None and critic.audio_config != self.audio_config:
            raise ConfigError("the critic's AudioConfig differs from the synthesizer's, so it cannot read its log-mel")
        examples = self._examples(records, self.speakers_)
        if getattr(self, "_pitch_stats_pending", False):
            self.model_.set_normalization(log_f0=_voiced_log_f0(examples))
            self._pitch_stats_pending = False
        history = self._train(self.model_, examples, self.train_config, critic=critic, backup_dir=_backup_dir(out_dir))
        old = getattr(self, "history_", {})
        self.history_ = {k: list(old.get(k, [])) + history.get(k, []) for k in {**old, **history}}
        self._fitted(examples, out_dir)
        return self

    def add_pitch_head(self, *, channels: int = 64) -> "EmotionalSynthesizer":
        """Give a model trained without a pitch head one, keeping every other weight.

        The head learns in the next :meth:`fine_tune`, whose data also set its F0 statistics.
        Until then it predicts no useful pitch. Returns self.
        """
        import dataclasses

        from ser_synth.synthesis.acoustic import AcousticModel

        self._check_fitted()
        if self.acoustic_config.f0_channels:
            raise ConfigError(f"this synthesizer already has a pitch head (f0_channels={self.acoustic_config.f0_channels})")
        config = dataclasses.replace(self.acoustic_config, f0_channels=channels)
        model = AcousticModel(self.audio_config, config, vocab_size=self.model_.vocab_size)
        for layer in self.model_.layers:
            model.get_layer(layer.name).set_weights(layer.get_weights())
        for name in ("mel_mean", "mel_std", "linear_mean", "linear_std"):
            getattr(model, name).assign(getattr(self.model_, name))
        self.model_, self.acoustic_config = model, config
        self._pitch_stats_pending, self._synth_fn = True, None
        return self

    def _encoder(self):
        from ser_synth.synthesis.text import TextEncoder

        return TextEncoder(self.acoustic_config.symbols)

    def _usable(self, records):
        records = list(records)
        if not records:
            raise DataError("no training records given")
        emotions = self.acoustic_config.emotions
        kept = [r for r in records if r.emotion in emotions and r.text]
        if not kept:
            raise DataError(f"no record has both text and an emotion in {list(emotions)} (got {len(records)} records)")
        self._n_given = len(records)
        return kept

    def _examples(self, records, speakers):
        """Records -> :class:`~ser_synth.synthesis.train.Example` (trimmed audio, spectral targets)."""
        from ser_synth.data.loading import load_waveforms
        from ser_synth.synthesis.text import TextError
        from ser_synth.synthesis.train import Example, pitch_targets, spectral_targets

        key = _targets_key(records, speakers, self.audio_config, self.acoustic_config, self.train_config.max_seconds)
        if key is not None and key in _target_cache:
            return _target_cache[key]
        encoder, emotions = self._encoder(), self.acoustic_config.emotions
        waves = load_waveforms([r.path for r in records], self.audio_config, trim_db=30.0, verbose=self.verbose)
        max_len = int(self.train_config.max_seconds * self.audio_config.sample_rate)
        pairs = []
        for r, w in zip(records, waves):
            if len(w) > max_len:
                continue
            try:
                pairs.append((r, w, encoder.encode(r.text)))
            except TextError:
                continue
        if not pairs:
            raise DataError(f"every record is longer than max_seconds={self.train_config.max_seconds} or has no speakable text")
        mels, lins = spectral_targets([w for _, w, _ in pairs], self.audio_config)
        pitch = pitch_targets([w for _, w, _ in pairs], self.audio_config)
        examples = [Example(tokens, emotions.index(r.emotion), record_intensity(r), speakers.index(r.speaker), m, lin, *p)
                    for (r, _, tokens), m, lin, p in zip(pairs, mels, lins, pitch)]
        _target_cache.clear()
        if key is not None and sum(e.mel.nbytes + e.linear.nbytes + 2 * e.log_f0.nbytes for e in examples) <= TARGET_CACHE_BYTES:
            _target_cache[key] = examples
        return examples

    def _train(self, model, examples, tc: SynthTrainConfig, critic=None, backup_dir: str | Path | None = None) -> dict:
        """Reconstruction steps, then (with ``gan_weight > 0``) adversarial steps; -> history.

        With ``backup_dir``, the whole training state is saved there after every epoch
        (:class:`~ser_synth.synthesis.train.TrainingBackup`); a run of the same training
        that finds it resumes after the last saved epoch, with the same batches, and ends
        with the same weights as an uninterrupted run. The backup is removed at the end.
        """
        from ser_synth.synthesis.discriminator import SpectrogramDiscriminator
        from ser_synth.synthesis.train import STEPS_PER_EPOCH, AcousticTrainer, TrainingBackup, make_dataset, make_optimizer

        disc = SpectrogramDiscriminator(len(self.acoustic_config.emotions), seed=tc.seed) if tc.gan_weight > 0 else None
        trainer = AcousticTrainer(model, tc, discriminator=disc, critic=critic)
        trainer.compile(optimizer=make_optimizer(tc))
        ds = make_dataset(examples, tc.batch_size, seed=tc.seed)
        warm = min(tc.steps, tc.gan_warmup_steps) if disc is not None else tc.steps
        backup = TrainingBackup(backup_dir, trainer, examples=examples, verbose=self.verbose, fingerprint={
            "train": tc.to_dict(), "model": self.acoustic_config.to_dict(), "audio": self.audio_config.to_dict(),
            "critic": None if critic is None else list(critic.classes_)})
        done, history = backup.restore()
        step = 0
        for phase_steps, gan in ((warm, False), (tc.steps - warm, True)):
            if phase_steps <= 0:
                continue
            trainer.use_gan = gan
            trainer.make_train_function(force=True)
            # progress in epochs of STEPS_PER_EPOCH, then one shorter epoch for the rest: exactly phase_steps
            full, rest = divmod(phase_steps, STEPS_PER_EPOCH)
            for per_epoch, epochs in ((STEPS_PER_EPOCH, full), (rest, 1)):
                if not (per_epoch and epochs):
                    continue
                if step + per_epoch * epochs <= done:
                    step += per_epoch * epochs
                    continue
                # resuming inside this fit: skip its saved epochs, and their batches, so the
                # rest sees what an uninterrupted run would
                skip = (done - step) // per_epoch if done > step else 0
                trainer.fit(ds.skip(skip * per_epoch) if skip else ds, steps_per_epoch=per_epoch, initial_epoch=skip, epochs=epochs,
                            verbose=self.verbose, callbacks=[backup.callback(history, first_step=step, steps_per_epoch=per_epoch)])
                step += per_epoch * epochs
        backup.remove()
        return history

    def _fitted(self, examples, out_dir):
        emotions = self.acoustic_config.emotions
        seen = {emotions[e.emotion] for e in examples} | set(getattr(self, "emotions_", []))
        self.emotions_ = [e for e in emotions if e in seen]  # untrained embedding rows are not offered
        self.n_train_ = len(examples)
        self.n_excluded_ = self._n_given - len(examples)
        self._synth_fn = None
        if out_dir is not None:
            self.save(out_dir)

    # ------------------------------------------------------------------ synthesis
    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError("this EmotionalSynthesizer is not fitted yet; call fit() or load() first")

    def _graph(self):
        """tf.function: token ids + conditioning -> (waveforms, lengths, log-mels)."""
        if getattr(self, "_synth_fn", None) is None:
            import tensorflow as tf

            from ser_synth.synthesis.acoustic import render_waveform

            model, cfg = self.model_, self.audio_config

            @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32),
                                          tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.int32),
                                          tf.TensorSpec([], tf.int32)],
                         autograph=False)  # plain TF ops only; converting a closure rebuilt per model only warns
            def synth(tokens, emotion, intensity, speaker, iters):
                out = model({"tokens": tokens, "emotion": emotion, "intensity": intensity, "speaker": speaker}, training=False)
                wave, lengths = render_waveform(out, cfg, iters)
                return wave, lengths, out["mel_post"]

            self._synth_fn = synth
        return self._synth_fn

    def synthesize_batch(self, texts: Sequence[str], *, emotions: Sequence[str] | str = "neutral",
                         intensities: Sequence[float] | float = 1.0, speakers: Sequence[str] | str | None = None,
                         return_mel: bool = False):
        """One waveform per text (float32 ``[samples]`` at ``audio_config.sample_rate``).

        Long texts are split at sentence/clause/word boundaries, synthesised piece by piece and
        joined with 150 ms pauses. With ``return_mel``, also returns each text's log-mel
        ``[frames, n_mels]`` (front-end units: what the recognizer computes).
        """
        import tensorflow as tf

        from ser_synth.synthesis.text import TextEncoder, normalize_text, pad_ids, split_text

        self._check_fitted()
        texts, emotions, intensities, speakers = batch_requests(texts, emotions, intensities,
                                                                self.default_speaker_ if speakers is None else speakers)
        n = len(texts)
        enc = TextEncoder(self.acoustic_config.symbols)
        rows = []  # (text index, ids, emotion, intensity, speaker)
        for i, (t, e, k, s) in enumerate(zip(texts, emotions, intensities, speakers)):
            emo = check_request(e, k, s, emotions=self.emotions_, speakers=self.speakers_)
            for chunk in split_text(normalize_text(t)):
                rows.append((i, enc.encode(chunk), self.emotion_index(emo), float(k), self.speakers_.index(s)))
        tokens = pad_ids([r[1] for r in rows])
        wave, lengths, mel = self._graph()(tf.constant(tokens), tf.constant([r[2] for r in rows], tf.int32),
                                           tf.constant([r[3] for r in rows], tf.float32), tf.constant([r[4] for r in rows], tf.int32),
                                           tf.constant(self.griffin_lim_iters, tf.int32))
        wave, lengths, mel = wave.numpy(), lengths.numpy(), mel.numpy()
        pause = np.zeros(int(0.15 * self.audio_config.sample_rate), np.float32)
        waves: list[list] = [[] for _ in range(n)]
        mels: list[list] = [[] for _ in range(n)]
        for j, r in enumerate(rows):
            waves[r[0]] += [wave[j, :lengths[j]], pause]
            mels[r[0]].append(mel[j, :self.audio_config.num_frames(int(lengths[j]))])
        out = [np.concatenate(w[:-1]).astype(np.float32) for w in waves]
        return (out, [np.concatenate(m) for m in mels]) if return_mel else out

    def synthesize(self, text: str, *, emotion: str = "neutral", intensity: float = 1.0, speaker: str | None = None) -> np.ndarray:
        """Waveform float32 ``[samples]`` for one text."""
        return self.synthesize_batch([text], emotions=[emotion], intensities=[intensity], speakers=[speaker or self.default_speaker_])[0]

    def emotion_index(self, emotion: str) -> int:
        """Row of ``emotion`` in the model's emotion embedding (``acoustic_config.emotions``;
        ``emotions_`` lists only the trained ones, so its order is not the model's)."""
        return self.acoustic_config.emotions.index(emotion)

    @property
    def default_speaker_(self) -> str:
        """The voice used when none is named (the first training speaker)."""
        self._check_fitted()
        return self.speakers_[0]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``model.keras`` + ``synthesizer.json`` (configs, speakers, emotions, history) atomically."""
        from ser_synth.utils import atomic_directory

        self._check_fitted()
        path = Path(path)
        with atomic_directory(path) as tmp:
            self.model_.save(tmp / _MODEL_FILE)
            meta = {"format_version": FORMAT_VERSION, "audio_config": self.audio_config.to_dict(),
                    "acoustic_config": self.acoustic_config.to_dict(), "train_config": self.train_config.to_dict(),
                    "griffin_lim_iters": self.griffin_lim_iters, "speakers": self.speakers_, "emotions": self.emotions_,
                    "history": getattr(self, "history_", {}), "n_train": getattr(self, "n_train_", None)}
            (tmp / _CONFIG_FILE).write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path, *, verbose: int = 0) -> "EmotionalSynthesizer":
        """Load a folder written by :meth:`save` (Keras safe mode)."""
        import keras

        import ser_synth.synthesis.acoustic  # noqa: F401  (registers the custom objects)

        from ser_synth.utils import read_saved_folder

        path, meta = read_saved_folder(path, model_file=_MODEL_FILE, config_file=_CONFIG_FILE, format_version=FORMAT_VERSION,
                                       kind="EmotionalSynthesizer")
        obj = cls(audio_config=meta["audio_config"], acoustic_config=meta["acoustic_config"], train_config=meta["train_config"],
                  griffin_lim_iters=meta["griffin_lim_iters"], verbose=verbose)
        obj.model_ = keras.saving.load_model(path / _MODEL_FILE, safe_mode=True, compile=False)
        obj.acoustic_config = obj.model_.acoustic_config  # the model's own (older ones have no pitch head)
        obj.speakers_, obj.emotions_ = meta["speakers"], meta["emotions"]
        obj.history_, obj.n_train_ = meta.get("history", {}), meta.get("n_train")
        obj._synth_fn = None
        return obj

    @classmethod
    def pretrained(cls, name: str = "synthesizer", *, verbose: int = 0) -> "EmotionalSynthesizer":
        """Load a synthesizer shipped inside the package (no network); default ``"synthesizer"``."""
        from ser_synth.pretrained import pretrained_path

        return cls.load(pretrained_path(name), verbose=verbose)

    @classmethod
    def load_any(cls, name_or_dir: str | Path, *, verbose: int = 0) -> "EmotionalSynthesizer":
        """A saved synthesizer folder, or else the name of a shipped one."""
        from ser_synth.pretrained import resolve_model

        return cls.load(resolve_model(name_or_dir), verbose=verbose)

    def __repr__(self):
        state = f"{len(self.speakers_)} speakers, emotions={self.emotions_}" if hasattr(self, "model_") else "unfitted"
        return f"EmotionalSynthesizer({state})"
