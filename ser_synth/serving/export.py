"""Export recognizers and synthesizers in TF Serving's layout: ``<base>/<name>/<version>/``.

Signatures (all core TF ops, so ``tensorflow/serving`` loads them):

- recognizer ``serving_default``: ``waveform`` float32 ``[batch, samples]`` at the config rate
  -> ``probabilities`` ``[batch, classes]``, ``label`` string ``[batch]`` (rows shorter than one
  analysis frame, or with NaN/inf samples, fail the request with that message); ``recognize_wav``:
  ``wav`` string scalar (16-bit PCM WAV bytes at the config rate, any channels) -> the same
  for that one clip. Each row is trimmed of silence and scored alone, as the Python facade
  trims and scores each clip; ``with_lengths``: ``waveform`` plus ``lengths`` int32 ``[batch]``,
  each row's first ``lengths`` samples taken as its clip, so clips of different lengths go in
  one zero-padded batch and each gets the answer it gets alone (``serving_default`` takes a
  whole row as the clip, padding included). The same for a ``ProsodicRecognizer`` or a
  ``FusionRecognizer`` (its statistics as TF ops).
- synthesizer ``serving_default``: ``text``, ``emotion`` string ``[batch]``, ``intensity``
  float32 ``[batch]``, ``griffin_lim_iters`` int32 scalar -> ``waveform`` ``[batch, samples]``,
  ``lengths`` int32 ``[batch]`` (valid samples per row), ``log_mel`` ``[batch, frames, n_mels]``;
  ``with_speaker``: the same plus ``speaker`` string ``[batch]``. Unknown emotions or
  speakers fail the request with a message listing the valid ones; so do an empty batch,
  inputs of different lengths, an intensity outside [0, 1], ``griffin_lim_iters`` outside
  [0, 1000] and a text with no letters or digits, each with its own message. Text is normalised and
  encoded by TF string ops (:func:`ser_synth.synthesis.text.tf_normalize`), which read
  digits one by one; normalise numbers with :func:`normalize_text` first for better reading.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ser_synth.exceptions import ConfigError, ModelError, OutputPathError
from ser_synth.utils import ensure_folder


def _version_dir(out: str | Path, version: int | None) -> Path:
    out = Path(out)
    if version is None:
        existing = [int(p.name) for p in out.glob("*") if p.is_dir() and p.name.isdigit()] if out.is_dir() else []
        version = max(existing, default=0) + 1
    if isinstance(version, bool) or not isinstance(version, int) or version <= 0:
        raise ConfigError(f"export version must be a positive int, got {version!r}")
    return out / str(version)


def _save(tracked: list, endpoints: dict, dest: Path) -> Path:
    """Write with Keras' ``ExportArchive`` (its variable tracking is what TF1-style loaders such
    as TF Serving and ``saved_model_cli run`` restore from; a plain ``tf.saved_model.save`` of a
    module holding a Keras 3 model loaded in TF2 but not there), atomically: a crash leaves no
    half-written version for TF Serving to pick up."""
    import keras

    if dest.exists() and not dest.is_dir():
        raise OutputPathError(f"cannot export to {str(dest)!r}: a file of that name exists")
    ensure_folder(dest.parent, target=dest)
    tmp = dest.parent / f".{dest.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    archive = keras.export.ExportArchive()
    for t in tracked:
        archive.track(t)
    for name, fn in endpoints.items():
        archive.add_endpoint(name, fn)
    archive.write_out(str(tmp), verbose=False)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return dest


def _string_table(keys):
    import tensorflow as tf

    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(tf.constant(list(keys)), tf.range(len(keys), dtype=tf.int32)), -1)


def _probability_fn(recognizer, classes: list[str]):
    """TF ops of ``recognizer.predict_proba``: ``(f(waveform [batch, samples], lengths [batch])
    -> probabilities [batch, len(classes)]`` with columns in ``classes`` order, Keras models to
    track)``. Each row's first ``lengths`` samples are trimmed of silence and scored alone, as
    the facades trim and score each clip, so a row gets its clip's answer whatever else is in
    the batch."""
    import tensorflow as tf

    from ser_synth.audio.trim import trim_silence_tf
    from ser_synth.recognition import FusionRecognizer, ProsodicRecognizer

    def clip(row, trim_db):  # (waveform row, its length) -> the clip, trimmed as the facades trim it
        y = row[0][:row[1]]
        return trim_silence_tf(y, trim_db) if trim_db else y

    if isinstance(recognizer, FusionRecognizer):
        parts = [_probability_fn(m, classes) for m in recognizer.members]

        def fused(x, lengths):  # the weighted geometric mean, renormalised (recognition.fusion.geometric_mean)
            return tf.nn.softmax(tf.add_n([w * tf.math.log(tf.clip_by_value(f(x, lengths), 1e-9, 1.0))
                                           for w, (f, _) in zip(recognizer.weights, parts)]))

        return fused, [m for _, models in parts for m in models]
    cols = [recognizer.classes_.tolist().index(c) for c in classes]
    if isinstance(recognizer, ProsodicRecognizer):
        from ser_synth.recognition.prosodic import FEATURE_DIM, WEIGHTS
        from ser_synth.recognition.prosodic_tf import level_normalized_tf, utterance_features_tf

        sr, trim_db = recognizer.audio_config.sample_rate, recognizer.trim_db
        level = level_normalized_tf if recognizer.normalize_level else tf.identity
        w = {k: tf.constant(getattr(recognizer, f"{k}_"), tf.float32) for k in WEIGHTS}

        def features(row):
            return utterance_features_tf(level(clip(row, trim_db)), sr)

        def prosodic(x, lengths):  # ProsodicRecognizer.proba_from_features
            F = tf.map_fn(features, (x, lengths), fn_output_signature=tf.TensorSpec([FEATURE_DIM], tf.float32))
            h = (F - w["mean"]) / w["scale"]
            if recognizer.hidden_units:
                h = tf.nn.relu(tf.matmul(h, w["hidden_coef"], transpose_b=True) + w["hidden_intercept"])
            z = tf.matmul(h, w["coef"], transpose_b=True) + w["intercept"]
            if recognizer.coef_.shape[0] == 1:  # binary: scikit-learn keeps one column
                z = tf.concat([-z, z], 1) / 2
            return tf.gather(tf.nn.softmax(z), cols, axis=1)

        return prosodic, []
    cfg, trim_db, model = recognizer.audio_config, recognizer.train_config.trim_db, recognizer.model_

    def one_clip(row):
        y = clip(row, trim_db)
        y = tf.pad(y, [[0, tf.maximum(0, cfg.min_samples - tf.shape(y)[0])]])
        return model(y[None], training=False)["emotion"][0]

    def crnn(x, lengths):
        p = tf.map_fn(one_clip, (x, lengths), fn_output_signature=tf.TensorSpec([len(recognizer.classes_)], tf.float32))
        return tf.gather(p, cols, axis=1)

    return crnn, [model]


def export_recognizer(recognizer, out: str | Path, *, version: int | None = None) -> Path:
    """Export a fitted recognizer (:class:`~ser_synth.recognition.EmotionRecognizer`,
    ``ProsodicRecognizer`` or ``FusionRecognizer``); returns the version folder. Each row of a
    batch is trimmed of silence and scored alone, as the Python facade does each clip; the
    prosodic statistics run as TF ops (:mod:`ser_synth.recognition.prosodic_tf`)."""
    import tensorflow as tf

    recognizer._check_fitted()
    dest = _version_dir(out, version)
    cfg = recognizer.audio_config
    class_list = recognizer.classes_.tolist()
    classes = tf.constant(class_list)
    proba, models = _probability_fn(recognizer, class_list)

    def predict(x, lengths):
        p = proba(x, lengths)
        return {"probabilities": p, "label": tf.gather(classes, tf.argmax(p, -1))}

    def checked(waveform, lengths):
        # check_audio's rules, as graph assertions (NaN would otherwise give confident garbage);
        # the model reads the input only after them, or its own error may come first
        short = f"at least one analysis frame ({cfg.min_samples} samples) per row"
        checks = [tf.debugging.assert_greater_equal(tf.shape(waveform)[1], cfg.min_samples, message=f"waveform needs {short}"),
                  tf.debugging.assert_all_finite(waveform, message="waveform has NaN or inf samples"),
                  tf.debugging.assert_equal(tf.shape(lengths)[0], tf.shape(waveform)[0], message="lengths needs one entry per waveform row"),
                  tf.debugging.assert_greater_equal(lengths, cfg.min_samples, message=f"lengths must be {short}"),
                  tf.debugging.assert_less_equal(lengths, tf.shape(waveform)[1], message="lengths must not exceed the waveform's width")]
        with tf.control_dependencies(checks):
            return predict(tf.identity(waveform), tf.identity(lengths))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="waveform")])
    def serving_default(waveform):
        return checked(waveform, tf.fill(tf.shape(waveform)[:1], tf.shape(waveform)[1]))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="waveform"), tf.TensorSpec([None], tf.int32, name="lengths")])
    def with_lengths(waveform, lengths):
        return checked(waveform, lengths)

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="wav")])
    def recognize_wav(wav):
        audio, rate = tf.audio.decode_wav(wav)
        tf.debugging.assert_equal(rate, cfg.sample_rate, message=f"WAV must be at {cfg.sample_rate} Hz")
        return predict(tf.reduce_mean(audio, axis=-1)[None], tf.shape(audio)[:1])

    return _save(models, {"serving_default": serving_default, "with_lengths": with_lengths, "recognize_wav": recognize_wav}, dest)


def export_synthesizer(synthesizer, out: str | Path, *, version: int | None = None) -> Path:
    """Export a fitted :class:`~ser_synth.synthesis.EmotionalSynthesizer` (characters model)."""
    import tensorflow as tf

    from ser_synth.audio.griffin_lim import MAX_ITERATIONS
    from ser_synth.emotions import emotion_aliases
    from ser_synth.synthesis.acoustic import render_waveform
    from ser_synth.synthesis.text import character_table, tf_encode, tf_normalize

    synthesizer._check_fitted()
    if synthesizer.acoustic_config.symbols != "characters":
        raise ModelError("only a characters model can take raw text in an exported graph (phonemes need espeak-ng)")
    dest = _version_dir(out, version)
    cfg = synthesizer.audio_config
    model = synthesizer.model_
    chars = character_table()
    # emotions the synthesizer was trained on, and their aliases ("joy", "anger", ...), as the
    # Python facade takes them -> their rows in the model's emotion table
    aliases = emotion_aliases(synthesizer.emotions_)
    emotions = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(list(aliases)), tf.constant([synthesizer.emotion_index(e) for e in aliases.values()], tf.int32)), -1)
    speakers = _string_table(synthesizer.speakers_)
    emo_msg = f"unknown emotion; this synthesizer speaks {', '.join(synthesizer.emotions_)}"
    spk_msg = f"unknown speaker; this synthesizer has {', '.join(synthesizer.speakers_)}"
    iters_msg = f"griffin_lim_iters must be in [0, {MAX_ITERATIONS}]"

    def synth(text, emotion, intensity, speaker_ids, iters):
        # the Python facade's request checks, as graph assertions: a bad request fails with
        # its own message instead of an error from deep inside the model
        n = tf.shape(text)[0]
        checks = [tf.debugging.assert_positive(n, message="empty batch: send at least one text")]
        for other, name in ((emotion, "emotion"), (intensity, "intensity"), (speaker_ids, "speaker")):
            checks.append(tf.debugging.assert_equal(tf.shape(other)[0], n, message=f"{name} needs one entry per text"))
        emo = emotions.lookup(tf.strings.lower(tf.strings.strip(emotion)))
        normalized = tf_normalize(text)
        checks += [tf.debugging.assert_non_negative(emo, message=emo_msg),
                   tf.debugging.assert_non_negative(speaker_ids, message=spk_msg),
                   # NaN fails these comparisons too
                   tf.debugging.assert_greater_equal(intensity, 0.0, message="intensity must be a number in [0, 1]"),
                   tf.debugging.assert_less_equal(intensity, 1.0, message="intensity must be a number in [0, 1]"),
                   tf.debugging.assert_greater_equal(iters, 0, message=iters_msg),
                   tf.debugging.assert_less_equal(iters, MAX_ITERATIONS, message=iters_msg),
                   tf.debugging.Assert(tf.reduce_all(tf.strings.regex_full_match(normalized, ".*[a-z].*")),
                                       ["nothing speakable in a text (letters a-z and digits are read)"])]
        # the model reads its inputs only after every check, or its own error may come first
        with tf.control_dependencies(checks):
            normalized, emo, intensity, speaker_ids, iters = (tf.identity(t) for t in (normalized, emo, intensity, speaker_ids, iters))
        tokens, _ = tf_encode(normalized, chars)
        out = model({"tokens": tokens, "emotion": emo, "intensity": intensity, "speaker": speaker_ids}, training=False)
        wave, lengths = render_waveform(out, cfg, iters)
        return {"waveform": wave, "lengths": lengths, "log_mel": out["mel_post"]}

    specs = [tf.TensorSpec([None], tf.string, name="text"), tf.TensorSpec([None], tf.string, name="emotion"),
             tf.TensorSpec([None], tf.float32, name="intensity")]
    iters_spec = tf.TensorSpec([], tf.int32, name="griffin_lim_iters")

    @tf.function(input_signature=[*specs, iters_spec])
    def serving_default(text, emotion, intensity, griffin_lim_iters):
        # the default speaker is the first one, as in EmotionalSynthesizer.synthesize
        return synth(text, emotion, intensity, tf.zeros(tf.shape(text), tf.int32), griffin_lim_iters)

    @tf.function(input_signature=[*specs, tf.TensorSpec([None], tf.string, name="speaker"), iters_spec])
    def with_speaker(text, emotion, intensity, speaker, griffin_lim_iters):
        return synth(text, emotion, intensity, speakers.lookup(speaker), griffin_lim_iters)

    return _save([model, chars, emotions, speakers], {"serving_default": serving_default, "with_speaker": with_speaker}, dest)


def export_model(name_or_dir: str | Path, out: str | Path, *, version: int | None = None) -> Path:
    """Export a saved folder or shipped name (recognizer or synthesizer, told apart by its files)."""
    from ser_synth.pretrained import resolve_model

    path = resolve_model(name_or_dir)
    if (path / "synthesizer.json").is_file():
        from ser_synth.synthesis import EmotionalSynthesizer

        return export_synthesizer(EmotionalSynthesizer.load(path), out, version=version)
    if any((path / f).is_file() for f in ("recognizer.json", "prosodic.json", "fusion.json")):
        from ser_synth.recognition import load_recognizer

        return export_recognizer(load_recognizer(path), out, version=version)
    raise ModelError(f"{str(name_or_dir)!r} is neither a saved recognizer nor a saved synthesizer")
