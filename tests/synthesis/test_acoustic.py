"""Acoustic model: shapes, conditioning, save/reload, and a tiny training run."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.exceptions import ConfigError
from ser_synth.synthesis.config import AcousticConfig, SynthTrainConfig
from ser_synth.synthesis.acoustic import AcousticModel, EmotionMixer
from ser_synth.synthesis.text import TextEncoder
from tests.helpers import run_model_saving_test

TINY = dict(n_speakers=3, encoder_dim=16, encoder_convs=1, emotion_dim=4, speaker_dim=4, duration_channels=8,
            decoder_units=16, decoder_layers=1, postnet_channels=8, postnet_layers=1, linear_channels=8)


def _inputs(durations=True):
    enc = TextEncoder()
    ids = [enc.encode("hello there."), enc.encode("hi.")]
    tokens = np.zeros((2, max(map(len, ids))), np.int32)
    for i, t in enumerate(ids):
        tokens[i, :len(t)] = t
    out = {"tokens": tokens, "emotion": np.array([2, 0], np.int32), "intensity": np.array([1.0, 0.0], np.float32),
           "speaker": np.array([1, 2], np.int32)}
    if durations:
        out["durations"] = (tokens > 0).astype(np.int32) * 2
    return out


def test_shapes_and_forced_durations(tiny_audio_config):
    m = AcousticModel(tiny_audio_config, TINY, vocab_size=TextEncoder().vocab_size)
    inp = _inputs()
    out = m(inp)
    n = inp["durations"].sum(1)
    assert out["frame_lengths"].numpy().tolist() == n.tolist()
    assert out["mel_post"].shape == (2, n.max(), 16) and out["linear"].shape == (2, n.max(), tiny_audio_config.n_bins)
    # frames past an item's length hold the log floor, as the front-end gives for silence
    np.testing.assert_allclose(out["mel"].numpy()[1, n[1]:], np.log(tiny_audio_config.log_floor), rtol=1e-6)
    free = m({k: v for k, v in inp.items() if k != "durations"})
    assert (free["durations"].numpy()[inp["tokens"] > 0] >= 1).all()


def test_emotion_mixer_config_round_trip():
    mixer = EmotionMixer(5, 3, neutral_index=1)
    assert EmotionMixer.from_config(mixer.get_config()).get_config() == mixer.get_config()


def test_intensity_interpolates_the_emotion_embedding():
    mixer = EmotionMixer(4, 3, neutral_index=0)
    e = np.array([2, 2, 2], np.int32)
    out = mixer(e, np.array([0.0, 0.5, 1.0], np.float32)).numpy()
    np.testing.assert_allclose(out[1], 0.5 * (out[0] + out[2]), atol=1e-6)
    table = mixer.table.numpy()
    np.testing.assert_allclose(out[0], table[0], atol=1e-6)
    np.testing.assert_allclose(out[2], table[2], atol=1e-6)


def test_serialization(tiny_audio_config, tmp_path):
    m = AcousticModel(tiny_audio_config, TINY, vocab_size=TextEncoder().vocab_size)
    m.set_normalization(np.random.default_rng(0).normal(-5, 2, (50, 16)), np.random.default_rng(1).normal(-3, 1, (50, tiny_audio_config.n_bins)))
    run_model_saving_test(m, _inputs(), tmp_path)
    clone = AcousticModel.from_config(m.get_config())
    assert clone.get_config() == m.get_config()


@pytest.mark.parametrize("bad, match", [({"emotions": ("happy", "sad")}, "include 'neutral'"), ({"encoder_dim": 15}, "even"),
                                        ({"dropout": 1.0}, "dropout")])
def test_config_validation(bad, match):
    with pytest.raises(ConfigError, match=match):
        AcousticConfig(**bad)
    with pytest.raises(ConfigError, match="steps"):
        SynthTrainConfig(steps=0)
    with pytest.raises(ConfigError, match="critic_input must be 'mel' or 'vocoder', got 'wave'"):
        SynthTrainConfig(critic_input="wave")


def test_periodicity_weight_needs_a_pitch_head(tiny_audio_config):
    from ser_synth.synthesis.train import AcousticTrainer

    unpitched = AcousticModel(tiny_audio_config, {**TINY, "f0_channels": 0}, vocab_size=TextEncoder().vocab_size)
    with pytest.raises(ConfigError, match="periodicity_weight=1.0 needs a pitch head, but this model's f0_channels is 0"):
        AcousticTrainer(unpitched, {"periodicity_weight": 1.0})


def test_vocoder_log_mel_is_what_the_front_end_reads(tiny_audio_config):
    """Handed a waveform's own magnitude, the critic's 'vocoder' input is the front-end's log-mel
    of that waveform, frame for frame, and floor-valued past each item's frames."""
    from ser_synth.audio.frontend import LinearSpectrogram, LogMelSpectrogram
    from ser_synth.synthesis.acoustic import vocoder_log_mel

    wave = tf.constant(np.random.default_rng(0).normal(0, 0.1, (2, 4000)).astype(np.float32))
    mag = LinearSpectrogram(tiny_audio_config)(wave)
    lengths = tf.constant([int(mag.shape[1]), 20])
    got = vocoder_log_mel({"linear": tf.math.log(mag), "frame_lengths": lengths}, tiny_audio_config).numpy()
    want = LogMelSpectrogram(tiny_audio_config)(wave).numpy()
    np.testing.assert_allclose(got[0], want[0], atol=1e-3)
    np.testing.assert_allclose(got[1, :20], want[1, :20], atol=1e-3)
    assert np.allclose(got[1, 20:], np.log(tiny_audio_config.log_floor))


@pytest.mark.slow
def test_tiny_training_reduces_loss(tiny_audio_config, tmp_path):
    """Reconstruction + duration + prior losses fall on a small synthetic corpus, with no NaN."""
    import keras

    from ser_synth.data.loading import load_waveforms
    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus
    from ser_synth.synthesis.train import AcousticTrainer, Example, make_dataset, make_optimizer, pitch_targets, spectral_targets

    recs = synthetic_corpus(SyntheticCorpusConfig(n_sentences=6, emotions=("neutral", "sad"), speakers=("espeak/m1", "espeak/f1"),
                                                  intensities=(1.0,), sample_rate=8000), cache_dir=tmp_path, verbose=0)
    waves = load_waveforms([r.path for r in recs], tiny_audio_config, verbose=0)
    mels, lins = spectral_targets(waves, tiny_audio_config)
    cfg = AcousticConfig(**{**TINY, "n_speakers": 2})
    enc = TextEncoder()
    pitch = pitch_targets(waves, tiny_audio_config)
    examples = [Example(enc.encode(r.text), cfg.emotions.index(r.emotion), float(r.intensity), ["espeak/m1", "espeak/f1"].index(r.speaker), m, lin, *p)
                for r, m, lin, p in zip(recs, mels, lins, pitch)]
    gen = AcousticModel(tiny_audio_config, cfg, vocab_size=enc.vocab_size)
    gen.set_normalization(np.concatenate(mels), np.concatenate(lins), np.concatenate([lf[v > 0] for lf, v in pitch]))
    tc = SynthTrainConfig(steps=60, batch_size=4)
    trainer = AcousticTrainer(gen, tc)
    trainer.compile(optimizer=make_optimizer(tc))
    traced, step = [], trainer.train_step
    trainer.train_step = lambda batch: traced.append(1) or step(batch)
    keras.utils.set_random_seed(0)
    hist = trainer.fit(make_dataset(examples, 4), steps_per_epoch=20, epochs=3, verbose=0).history
    assert len(traced) == 1  # optimizer slots exist before tracing, so tf.function traces once
    assert all(np.isfinite(v).all() for v in hist.values())
    assert hist["loss"][-1] < 0.8 * hist["loss"][0], hist["loss"]
    batch = next(iter(make_dataset(examples, 4, shuffle=False)))
    _, _, out = trainer.losses_for(batch, training=False)
    d = out["durations"].numpy()
    assert (d.sum(1) == batch["mel_length"].numpy()).all()
    assert tf.reduce_all(tf.math.is_finite(out["linear"]))
    assert hist["f0_l1"][-1] < hist["f0_l1"][0] and hist["voicing"][-1] < hist["voicing"][0], (hist["f0_l1"], hist["voicing"])

    # the periodicity hinge reaches the linear head, not the pitch head it is measured against
    periodic = AcousticTrainer(gen, {"periodicity_weight": 1.0})
    with tf.GradientTape() as tape:
        _, parts, _ = periodic.losses_for(batch, training=False)
    grads = tape.gradient(parts["periodicity"], {n: gen.get_layer(n).trainable_variables for n in ("linear_out", "f0_out")})
    assert float(parts["periodicity"]) > 0
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads["linear_out"])
    assert all(g is None for g in grads["f0_out"])

    # the GAN phase: the discriminator learns and its losses are finite
    from ser_synth.synthesis.discriminator import SpectrogramDiscriminator

    disc = SpectrogramDiscriminator(len(cfg.emotions), windows=(8, 16), channels=8, layers=2)
    gan = AcousticTrainer(gen, SynthTrainConfig(steps=60, batch_size=4, gan_weight=1.0), discriminator=disc)
    gan.compile(optimizer=make_optimizer(tc))
    gan.use_gan = True
    before = [w.numpy().copy() for w in disc.trainable_weights]
    h2 = gan.fit(make_dataset(examples, 4), steps_per_epoch=5, epochs=1, verbose=0).history
    assert {"d_loss", "adversarial", "feature_matching"} <= set(h2) and all(np.isfinite(v).all() for v in h2.values())
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, disc.trainable_weights))
