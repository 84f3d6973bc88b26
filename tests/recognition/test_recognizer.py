import json

import keras
import numpy as np
import pytest

from ser_synth.exceptions import AudioError, DataError, ModelError, NotFittedError
from ser_synth.recognition import EmotionRecognizer, ModelConfig, TrainConfig
from ser_synth.recognition.metrics import evaluation_report, format_table, plot_report, speaker_prior_correction
from tests.conftest import tone, toy_emotion_set, write_wav

TINY_MODEL = ModelConfig(conv_filters=(8, 16), rnn_units=16, spec_augment=(0, 0, 0, 0), dropout=0.1)
TINY_TRAIN = TrainConfig(epochs=12, batch_size=8, learning_rate=5e-3, crop_seconds=0.5, patience=12, warmup_epochs=1, augment=None, validation_fraction=0.25)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from ser_synth.audio.config import AudioConfig

    import keras

    keras.utils.set_random_seed(0)
    cfg = AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13)
    waves, labels, speakers = toy_emotion_set()
    rec = EmotionRecognizer(audio_config=cfg, model_config=TINY_MODEL, train_config=TINY_TRAIN, verbose=0)
    assert rec.fit(waves, labels, speakers=speakers) is rec
    return rec


def test_fit_learns_toy_task_and_sklearn_contract(fitted):
    assert list(fitted.classes_) == ["angry", "sad"]
    assert fitted.validation_speakers_ and not set(fitted.validation_speakers_) & set(fitted.train_speakers_)
    test_waves, test_labels, _ = toy_emotion_set(n_per_class=6)
    proba = fitted.predict_proba(test_waves)
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    # columns follow classes_: the argmax column's name is the predicted label
    assert list(fitted.classes_[proba.argmax(1)]) == list(fitted.predict(test_waves))
    assert fitted.score(test_waves, test_labels) >= 0.9
    assert "val_uar" in fitted.history_


def test_save_load_roundtrip_and_files(fitted, tmp_path):
    x = [tone(200, 0.6, seed=5), tone(880, 0.6, seed=6)]
    path = fitted.save(tmp_path / "model")
    assert sorted(p.name for p in path.iterdir()) == ["model.keras", "recognizer.json"]
    meta = json.loads((path / "recognizer.json").read_text())
    assert meta["classes"] == ["angry", "sad"] and meta["audio_config"]["sample_rate"] == 8000
    loaded = EmotionRecognizer.load(path)
    np.testing.assert_allclose(loaded.predict_proba(x), fitted.predict_proba(x), atol=1e-5)
    fitted.save(tmp_path / "model")  # overwrite in place works (atomic replace)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_predict_from_files(fitted, tmp_path):
    f = write_wav(tmp_path / "a.wav", tone(880, 0.6, sr=16000), sr=16000)  # resampled to 8 kHz on load
    assert fitted.predict([str(f)])[0] == "angry"


def test_errors(fitted, tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        EmotionRecognizer().predict([tone(300)])
    with pytest.raises(AudioError, match="floating dtype"):
        fitted.predict([np.zeros(4000, np.int16)])
    with pytest.raises(AudioError, match="shorter than one analysis frame"):
        fitted.predict([tone(300)[:50]])
    with pytest.raises(DataError, match="one label per waveform"):
        EmotionRecognizer().fit([tone(300)], ["sad", "angry"])
    with pytest.raises(DataError, match="got NoneType"):
        fitted.predict(None)
    with pytest.raises(DataError, match="got 2 inputs and 1 labels"):
        fitted.score([tone(300), tone(800)], ["sad"])
    with pytest.raises(DataError, match=r"labels \['joyful'\] are not among this recognizer's classes \['angry', 'sad'\]"):
        fitted.score([tone(300)], ["joyful"])
    with pytest.raises(DataError, match="needs y"):
        fitted.score([tone(300)])
    assert fitted.score(tone(880, 0.6), ["angry"]) == 1.0  # one 1-D waveform is one input
    with pytest.raises(ModelError, match="not a saved EmotionRecognizer"):
        EmotionRecognizer.load(tmp_path)
    with pytest.raises(ModelError, match="available"):
        EmotionRecognizer.pretrained("nope")


def test_evaluation_report_and_plots(tmp_path):
    y = ["a", "a", "b", "b", "c", "c"]
    proba = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .8, .1], [.1, .6, .3], [.1, .2, .7], [.6, .2, .2]])
    rep = evaluation_report(y, proba, ["a", "b", "c"], speakers=["s1", "s1", "s1", "s2", "s2", "s2"])
    assert rep["wa"] == pytest.approx(4 / 6) and rep["uar"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert rep["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert rep["per_speaker"] == {"s1": {"accuracy": pytest.approx(2 / 3), "n": 3}, "s2": {"accuracy": pytest.approx(2 / 3), "n": 3}}
    assert 0.5 < rep["roc_auc_ovr"] <= 1.0 and "UAR=" in format_table(rep)
    files = plot_report(rep, tmp_path, history={"loss": [1.0, 0.5], "val_uar": [0.4, 0.6]})
    assert {f.name for f in files} == {"confusion.png", "per_speaker.png", "training_curves.png"}
    assert all(f.stat().st_size > 1000 for f in files)


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_speaker_prior_correction_removes_a_speaker_bias():
    classes = ["a", "b", "c"]
    y = np.repeat([0, 1, 2], 3)  # 9 utterances of one speaker, 3 per class
    logits = np.eye(3)[y] + np.array([2.0, 0.0, 0.0])  # the true class +1, but a voice-wide +2 on "a"
    proba = _softmax(logits)
    assert (proba.argmax(axis=1) == 0).all()  # biased: everything heard as "a"
    small = _softmax(np.array([[2.0, 1.0, 0.0], [2.0, 0.0, 1.0]]))  # a speaker with too few utterances
    speakers = ["s1"] * 9 + ["s2"] * 2
    fixed = speaker_prior_correction(np.vstack([proba, small]), speakers)
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0, rtol=1e-9)
    assert (fixed[:9].argmax(axis=1) == y).all()
    np.testing.assert_allclose(fixed[9:], small, rtol=1e-6)  # left unchanged
    rep = evaluation_report([classes[i] for i in y], fixed[:9], classes)
    assert rep["uar"] == 1.0
    with pytest.raises(DataError, match="speakers has 2 entries but proba has 9 rows"):
        speaker_prior_correction(proba, ["s1", "s1"])
    with pytest.raises(DataError, match=r"shape \(9,\)"):
        speaker_prior_correction(proba[:, 0], speakers[:9])


@pytest.mark.parametrize("freeze", ["backbone", "gradual"])
def test_fine_tune_from_pretrained_backbone(fitted, freeze, monkeypatch):
    from dataclasses import replace

    from ser_synth.recognition.model import EmotionClassifier

    traced = []
    monkeypatch.setattr(EmotionClassifier, "train_step", lambda self, data: traced.append(1) or keras.Model.train_step(self, data),
                        raising=False)
    waves, labels, speakers = toy_emotion_set(n_per_class=6)
    before = [w.copy() for w in fitted.model_.backbone.get_weights()]
    tuned = EmotionRecognizer(train_config=replace(TINY_TRAIN, epochs=3, freeze=freeze), verbose=0)
    tuned.fit(waves, labels, speakers=speakers, init_from=fitted)
    assert len(traced) == (2 if freeze == "gradual" else 1)  # one trace per stage: optimizer slots exist before tracing
    after = tuned.model_.backbone.get_weights()
    changed = any(not np.allclose(a, b) for a, b in zip(before, after))
    assert changed == (freeze == "gradual")  # frozen backbone keeps the source weights exactly
    assert tuned.audio_config == fitted.audio_config and tuned.score(waves, labels) >= 0.75


def test_training_resumes_after_a_crash(tmp_path, monkeypatch):
    """With out_dir, a run killed mid-training continues from its last finished epoch."""
    import keras
    from dataclasses import replace

    from ser_synth.audio.config import AudioConfig

    class CrashAfterEpoch2(keras.callbacks.Callback):
        def __init__(self, *args, **kwargs):
            super().__init__()

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt("simulated crash")

    waves, labels, speakers = toy_emotion_set(n_per_class=6)
    cfg = AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13)
    make = lambda: EmotionRecognizer(audio_config=cfg, model_config=TINY_MODEL, train_config=replace(TINY_TRAIN, epochs=4), verbose=0)  # noqa: E731
    import ser_synth.recognition.train as train_module

    with monkeypatch.context() as m:  # the crash rides in the TensorBoard callback's slot
        m.setattr(keras.callbacks, "TensorBoard", CrashAfterEpoch2)
        m.setattr(train_module, "_tensorboard_available", lambda: True)
        with pytest.raises(KeyboardInterrupt):
            make().fit(waves, labels, speakers=speakers, out_dir=tmp_path / "run")
    assert (tmp_path / "run" / "backup").is_dir()
    resumed = make().fit(waves, labels, speakers=speakers, out_dir=tmp_path / "run")
    assert len(resumed.history_["loss"]) == 2  # epochs 3 and 4 only: 1 and 2 came from the backup
    assert not (tmp_path / "run" / "backup").exists()  # removed after a finished run


@pytest.mark.slow
def test_ensemble_members_average_and_round_trip(tmp_path, tiny_audio_config):
    """ensemble=2: two members with their own validation speakers, mean probabilities, save/load."""
    from ser_synth.recognition.model import EnsembleClassifier

    waves, labels, speakers = toy_emotion_set(n_per_class=8)
    rec = EmotionRecognizer(audio_config=tiny_audio_config, model_config=TINY_MODEL, verbose=0,
                            train_config={"epochs": 2, "batch_size": 8, "crop_seconds": 0.4, "ensemble": 2, "validation_fraction": 0.25})
    rec.fit(waves, labels, speakers=speakers)
    assert isinstance(rec.model_, EnsembleClassifier) and len(rec.member_histories_) == 2
    assert rec.member_validation_speakers_[0] != rec.member_validation_speakers_[1]
    x = np.stack([w[:4000] for w in waves[:3]])
    member_probs = [m(x, training=False)["emotion"].numpy() for m in rec.model_.members]
    np.testing.assert_allclose(rec.model_(x, training=False)["emotion"].numpy(), np.mean(member_probs, axis=0), atol=1e-6)
    rec.save(tmp_path / "ens")
    back = EmotionRecognizer.load(tmp_path / "ens")
    np.testing.assert_allclose(back.predict_proba(waves[:3]), rec.predict_proba(waves[:3]), atol=1e-5)


def test_mixup_frequency_warp_and_weight_average_still_learn(tiny_audio_config):
    from dataclasses import replace

    import keras

    keras.utils.set_random_seed(0)
    waves, labels, speakers = toy_emotion_set()
    rec = EmotionRecognizer(audio_config=tiny_audio_config, model_config=replace(TINY_MODEL, freq_warp=0.1),
                            train_config=replace(TINY_TRAIN, mixup=0.4, ema=0.9), verbose=0).fit(waves, labels, speakers=speakers)
    assert rec.model_.backbone.get_layer("freq_warp").max_warp == 0.1
    test_waves, test_labels, _ = toy_emotion_set(n_per_class=6)
    assert rec.score(test_waves, test_labels) >= 0.9


def test_weight_average_swaps_the_moving_average_in_at_epoch_end():
    import keras

    from ser_synth.exceptions import ConfigError
    from ser_synth.recognition.train import WeightAverage

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    raw_after_batch, seen_at_epoch_end, seen_at_epoch_begin = [], [], []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raw_after_batch.append([w.numpy() for w in self.model.trainable_weights])

        def on_epoch_end(self, epoch, logs=None):
            seen_at_epoch_end.append([w.numpy() for w in self.model.trainable_weights])

        def on_epoch_begin(self, epoch, logs=None):
            seen_at_epoch_begin.append([w.numpy() for w in self.model.trainable_weights])

    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.random.default_rng(1).normal(size=(32, 2))
    init = [w.numpy() for w in model.trainable_weights]
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[WeightAverage(0.5), Record()])
    expected, steps_per_epoch = [init], 4
    for step, raw in enumerate(raw_after_batch):
        d = min(0.5, (1 + step) / (10 + step))
        expected.append([d * e + (1 - d) * r for e, r in zip(expected[-1], raw)])
    for epoch in range(2):
        for got, want in zip(seen_at_epoch_end[epoch], expected[(epoch + 1) * steps_per_epoch]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # the second epoch trains on from the raw weights, not from the average
    for got, want in zip(seen_at_epoch_begin[1], raw_after_batch[steps_per_epoch - 1]):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert not np.allclose(seen_at_epoch_end[0][0], raw_after_batch[steps_per_epoch - 1][0])
    with pytest.raises(ConfigError, match="ema must be a decay in \\[0, 1\\).*got 1.0"):
        TrainConfig(ema=1.0)
