"""EmotionalSynthesizer facade: fit -> synthesize -> save/load, and request errors."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.data.records import Utterance
from ser_synth.exceptions import ConfigError, DataError, ModelError, NotFittedError
from ser_synth.synthesis import EmotionalSynthesizer, TextError
from ser_synth.synthesis.synthesizer import record_intensity

TINY = dict(encoder_dim=16, encoder_convs=1, emotion_dim=4, speaker_dim=4, duration_channels=8, decoder_units=16,
            decoder_layers=1, postnet_channels=8, postnet_layers=1, linear_channels=8, f0_channels=8)


def test_record_intensity():
    r = Utterance(path="x", emotion="sad", speaker="a/1", corpus="a")
    assert record_intensity(r) == 1.0
    assert record_intensity(Utterance(path="x", emotion="sad", speaker="a/1", corpus="a", intensity="normal")) == 0.5
    assert record_intensity(Utterance(path="x", emotion="sad", speaker="a/1", corpus="a", intensity="0.25")) == 0.25
    assert record_intensity(Utterance(path="x", emotion="neutral", speaker="a/1", corpus="a", intensity="strong")) == 0.0


def test_unfitted_and_bad_folder(tmp_path):
    with pytest.raises(NotFittedError):
        EmotionalSynthesizer().synthesize("hello")
    with pytest.raises(ModelError, match="not a saved EmotionalSynthesizer"):
        EmotionalSynthesizer.load(tmp_path)
    with pytest.raises(DataError, match="no record has both text"):
        EmotionalSynthesizer().fit([Utterance(path="x", emotion="sad", speaker="a/1", corpus="a")])


@pytest.mark.slow
def test_fit_synthesize_save_load(tiny_audio_config, tmp_path):
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    recs = synthetic_corpus(SyntheticCorpusConfig(n_sentences=4, emotions=("neutral", "sad"), speakers=("espeak/m1", "espeak/f1"),
                                                  intensities=(1.0,), sample_rate=8000), cache_dir=tmp_path, verbose=0)
    syn = EmotionalSynthesizer(audio_config=tiny_audio_config, acoustic_config=TINY, verbose=0, griffin_lim_iters=4,
                               train_config={"steps": 30, "batch_size": 4, "gan_weight": 0.5, "gan_warmup_steps": 20})
    assert syn.fit(recs) is syn
    assert syn.speakers_ == ["espeak/f1", "espeak/m1"] and syn.n_train_ == 8
    assert {"d_loss", "mel_l1"} <= set(syn.history_) and len(syn.history_["mel_l1"]) == 2 and len(syn.history_["d_loss"]) == 1
    waves, mels = syn.synthesize_batch(["Hello there.", "A longer sentence. And a second one!"], emotions=["sad", "neutral"],
                                       intensities=[1.0, 0.0], speakers="espeak/m1", return_mel=True)
    assert all(w.dtype == np.float32 and w.ndim == 1 and np.isfinite(w).all() for w in waves)
    assert mels[0].shape[1] == 16 and np.isfinite(mels[0]).all()
    # trained on neutral + sad only: "sad" is still row 3 of the model's emotion table, not row 1
    import tensorflow as tf

    from ser_synth.synthesis.text import TextEncoder

    _, (mel,) = syn.synthesize_batch(["Hello there."], emotions="sad", speakers="espeak/m1", return_mel=True)
    direct = syn.model_({"tokens": tf.constant(TextEncoder().encode("Hello there.")[None]), "emotion": tf.constant([3]),
                         "intensity": tf.constant([1.0]), "speaker": tf.constant([1])})["mel_post"][0].numpy()
    np.testing.assert_allclose(mel, direct[:len(mel)], atol=1e-4)
    syn.save(tmp_path / "syn")
    back = EmotionalSynthesizer.load(tmp_path / "syn")
    assert back.speakers_ == syn.speakers_ and back.emotions_ == syn.emotions_
    np.testing.assert_allclose(back.synthesize("Hello there.", emotion="sad", speaker="espeak/m1"),
                               syn.synthesize("Hello there.", emotion="sad", speaker="espeak/m1"), atol=1e-4)
    # fine-tune continues the same model: weights move, history grows, other speakers are left out
    before = [w.copy() for w in back.model_.get_weights()]
    stranger = Utterance(path=recs[0].path, emotion="sad", speaker="other/9", corpus="x", text="Hello.")
    assert back.fine_tune(list(recs) + [stranger], train_config={"steps": 3, "batch_size": 4}) is back
    assert back.n_train_ == 8 and back.n_excluded_ == 1 and len(back.history_["mel_l1"]) == 3
    assert any(not np.array_equal(a, b) for a, b in zip(before, back.model_.get_weights()))
    with pytest.raises(DataError, match="no records from the model's speakers"):
        back.fine_tune([stranger])
    for kwargs, exc, match in [({"emotion": "joy"}, DataError, "unknown emotion 'joy'"), ({"speaker": "x"}, DataError, "unknown speaker 'x'"),
                               ({"intensity": 2}, ConfigError, "intensity"), ({"text": ""}, TextError, "empty")]:
        kwargs = {"text": "hi", **kwargs}
        with pytest.raises(exc, match=match):
            back.synthesize(kwargs.pop("text"), **kwargs)


@pytest.mark.slow
def test_pitch_head_added_to_an_old_model(tiny_audio_config, tmp_path):
    """A model trained without a pitch head (as saved before it existed) loads unchanged; one
    can be added, learns in fine_tune, and survives save/load."""
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    recs = synthetic_corpus(SyntheticCorpusConfig(n_sentences=3, emotions=("neutral", "sad"), speakers=("espeak/m1",),
                                                  intensities=(1.0,), sample_rate=8000), cache_dir=tmp_path, verbose=0)
    old = EmotionalSynthesizer(audio_config=tiny_audio_config, acoustic_config={**TINY, "f0_channels": 0}, verbose=0,
                               griffin_lim_iters=4, train_config={"steps": 4, "batch_size": 3}).fit(recs, out_dir=tmp_path / "old")
    assert "f0" not in old.model_(old.model_.dummy_inputs())
    back = EmotionalSynthesizer.load(tmp_path / "old")
    assert back.acoustic_config.f0_channels == 0
    kept = {w.path: w.numpy() for w in back.model_.weights}
    assert back.add_pitch_head(channels=8) is back and back.acoustic_config.f0_channels == 8
    assert all(np.array_equal(kept[w.path], w.numpy()) for w in back.model_.weights if w.path in kept)
    with pytest.raises(ConfigError, match="already has a pitch head"):
        back.add_pitch_head()
    head = back.model_.get_layer("f0_out").get_weights()[0].copy()
    back.fine_tune(recs, train_config={"steps": 20, "batch_size": 3, "learning_rate": 3e-3})
    f0_mean = back.model_.f0_stats.numpy()[0]
    assert 60 < np.exp(f0_mean) < 400  # fitted from the fine-tuning data, not the initial 1.0
    assert np.isfinite(back.history_["f0_l1"]).all()  # learning itself: tests/synthesis/test_acoustic.py
    assert not np.array_equal(head, back.model_.get_layer("f0_out").get_weights()[0])
    out = back.model_(back.model_.dummy_inputs())
    assert out["f0"].shape == out["voicing"].shape == out["mel"].shape[:2]
    back.save(tmp_path / "new")
    again = EmotionalSynthesizer.load(tmp_path / "new")
    assert again.acoustic_config.f0_channels == 8
    np.testing.assert_allclose(again.synthesize("Sad day.", emotion="sad"), back.synthesize("Sad day.", emotion="sad"), atol=1e-4)


def test_training_targets_are_computed_once_per_record_set(tiny_audio_config, tmp_path, monkeypatch):
    """fit then fine_tune on the same records reuse the targets; a changed file is read again."""
    import os

    import ser_synth.synthesis.train as train
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    recs = synthetic_corpus(SyntheticCorpusConfig(n_sentences=2, emotions=("neutral", "sad"), speakers=("espeak/m1",),
                                                  intensities=(1.0,), sample_rate=8000), cache_dir=tmp_path, verbose=0)
    calls = []
    real = train.pitch_targets
    monkeypatch.setattr(train, "pitch_targets", lambda waves, cfg: calls.append(len(waves)) or real(waves, cfg))
    syn = EmotionalSynthesizer(audio_config=tiny_audio_config, acoustic_config=TINY, verbose=0)
    first = syn._examples(list(recs), ["espeak/m1"])
    assert syn._examples(list(recs), ["espeak/m1"]) is first and calls == [4]
    st = os.stat(recs[0].path)
    os.utime(recs[0].path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = syn._examples(list(recs), ["espeak/m1"])
    assert again is not first and calls == [4, 4]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.mel, b.mel)


@pytest.mark.slow
def test_training_resumes_after_a_crash_with_the_same_weights(tiny_audio_config, tmp_path, monkeypatch):
    import shutil

    import ser_synth.synthesis.train as train
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    recs = synthetic_corpus(SyntheticCorpusConfig(n_sentences=3, emotions=("neutral", "sad"), speakers=("espeak/m1",),
                                                  intensities=(1.0,), sample_rate=8000), cache_dir=tmp_path, verbose=0)
    monkeypatch.setattr(train, "STEPS_PER_EPOCH", 2)  # epochs (and backups) every 2 steps
    tc = {"steps": 7, "batch_size": 2, "gan_weight": 0.5, "gan_warmup_steps": 3}  # epochs end at 2, 3 | 5, 7

    def make(**kw):
        return EmotionalSynthesizer(audio_config=tiny_audio_config, acoustic_config=TINY, verbose=0, train_config={**tc, **kw})

    whole = make().fit(recs, out_dir=tmp_path / "whole")
    assert not (tmp_path / "whole" / "backup").exists()  # removed once the model is saved

    real_save, saved = train.TrainingBackup.save, []

    def crash_after_step_5(self, step, history):
        real_save(self, step, history)
        saved.append(step)
        if step == 5:  # inside the adversarial phase's fit, with a discriminator and two optimizers
            raise KeyboardInterrupt

    monkeypatch.setattr(train.TrainingBackup, "save", crash_after_step_5)
    with pytest.raises(KeyboardInterrupt):
        make().fit(recs, out_dir=tmp_path / "run")
    assert saved == [2, 3, 5] and (tmp_path / "run" / "backup" / "checkpoint").is_file()
    monkeypatch.setattr(train.TrainingBackup, "save", real_save)
    # a backup of another training (here: other settings) is not resumed
    shutil.copytree(tmp_path / "run" / "backup", tmp_path / "other" / "backup")
    with pytest.warns(UserWarning, match="from another training"):
        other = make(steps=2, gan_weight=0.0).fit(recs, out_dir=tmp_path / "other")
    assert len(other.history_["loss"]) == 1 and "d_loss" not in other.history_
    resumed = make().fit(recs, out_dir=tmp_path / "run")
    assert resumed.history_ == whole.history_ and len(whole.history_["d_loss"]) == 2
    for a, b in zip(resumed.model_.get_weights(), whole.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["model.keras", "synthesizer.json"]

