"""The shipped synthesizer: loads without network, speaks every emotion, and emotion moves prosody."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.data.sentences import generate_sentences
from ser_synth.synthesis import EmotionalSynthesizer


@pytest.fixture(scope="module")
def syn():
    return EmotionalSynthesizer.pretrained()


def _stats(syn, texts, emotion, intensity=1.0, speaker="espeak/m3"):
    waves, mels = syn.synthesize_batch(texts, emotions=emotion, intensities=intensity, speakers=speaker, return_mel=True)
    seconds = np.mean([len(w) for w in waves]) / syn.audio_config.sample_rate
    energy = np.mean([np.log(np.exp(m).sum(1)).mean() for m in mels])  # mean log mel power
    return seconds, energy, waves


def test_shipped_model_card_and_vocabulary(syn):
    from ser_synth.pretrained import model_card

    assert "MCD" in model_card("synthesizer") and "non-commercial" in model_card("synthesizer")
    assert syn.emotions_ == ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
    assert "espeak/m3" in syn.speakers_ and "ravdess/01" in syn.speakers_ and "ravdess/17" not in syn.speakers_


def test_emotion_moves_duration_and_energy(syn):
    # sentences from a grammar seed no training corpus used
    texts = generate_sentences(4, seed=31337)
    neutral_s, neutral_e, waves = _stats(syn, texts, "neutral")
    sad_s, sad_e, _ = _stats(syn, texts, "sad")
    angry_s, angry_e, _ = _stats(syn, texts, "angry")
    assert all(np.isfinite(w).all() and 0.5 < len(w) / 16000 < 6 for w in waves)
    assert sad_s > 1.3 * neutral_s          # sad is slow
    assert angry_e > sad_e + 2.0            # angry is loud (mean log power, nepers)
    # intensity interpolates: half-strength sad sits between neutral and full sad
    half_s, _, _ = _stats(syn, texts, "sad", intensity=0.5)
    assert neutral_s < half_s < sad_s
    # intensity 0 is neutral whatever the emotion (soft label)
    np.testing.assert_allclose(_stats(syn, texts[:1], "angry", intensity=0.0)[2][0], _stats(syn, texts[:1], "neutral")[2][0], atol=1e-5)


def test_shipped_speech_is_pitched_and_follows_the_predicted_f0(syn):
    """The pitch head's F0 is what an independent tracker (pYIN) hears in the waveform, for a
    low male and a female voice, and emotion moves it (happy above sad)."""
    import tensorflow as tf

    from ser_synth.synthesis.metrics import f0_track
    from ser_synth.synthesis.text import TextEncoder

    text = generate_sentences(1, seed=4242)[0]
    assert syn.acoustic_config.f0_channels > 0
    medians = {}
    for speaker, emotion in [("espeak/m3", "neutral"), ("ravdess/04", "sad"), ("ravdess/04", "neutral"), ("espeak/f1", "happy")]:
        k = 0.0 if emotion == "neutral" else 1.0
        out = syn.model_({"tokens": tf.constant(TextEncoder().encode(text)[None]), "emotion": tf.constant([syn.emotion_index(emotion)]),
                          "intensity": tf.constant([k]), "speaker": tf.constant([syn.speakers_.index(speaker)])})
        predicted = out["f0"][0].numpy()[out["voicing"][0].numpy() > 0.5]
        heard = f0_track(syn.synthesize(text, emotion=emotion, intensity=k, speaker=speaker), syn.audio_config)
        assert np.isfinite(heard).mean() > 0.3, (speaker, emotion, np.isfinite(heard).mean())
        assert abs(np.log2(np.nanmedian(heard) / np.median(predicted))) < 0.15, (speaker, emotion)
        medians[speaker, emotion] = np.median(predicted)
    assert medians["ravdess/04", "sad"] < medians["ravdess/04", "neutral"] < medians["espeak/f1", "happy"]


def test_reference_quality_against_rule_based_rendering(syn):
    from ser_synth.exceptions import DataError
    from ser_synth.synthesis.metrics import reference_quality

    texts = generate_sentences(2, seed=777)
    refs: dict = {}
    q, items, waves, mels = reference_quality(syn, texts, emotions=["neutral", "sad", "joy"], speakers=["espeak/m3"],
                                              references=refs, return_audio=True)
    assert q["n"] == len(items) == 4 and set(refs) == set(items)  # "joy" is not an emotion it speaks: left out
    assert items[1] == (texts[0], "espeak/m3", "sad") and len(waves) == len(mels) == 4
    # a trained model is near its rule-based references, far nearer than the references are to another voice's
    assert 2.0 < q["mcd_db"] < 7.0 and 0.3 < q["gv_ratio"] < 1.5 and np.isfinite(q["f0_rmse_hz"])
    # ... and so is what it renders, heard through the front-end (Griffin-Lim's errors included)
    from ser_synth.audio.frontend import LogMelSpectrogram
    from ser_synth.synthesis.metrics import mcd

    heard = [LogMelSpectrogram(syn.audio_config)(w[None])[0].numpy() for w in waves]
    assert q["mcd_db_waveform"] == pytest.approx(np.mean([mcd(refs[k][1], m) for k, m in zip(items, heard)]))
    assert 2.0 < q["mcd_db_waveform"] < 9.0
    assert 0 < q["voiced_fraction"] <= 1 and 0 < q["reference_voiced_fraction"] <= 1
    # speaking time: sentences come out near the references' length (the shipped model: 0.87)
    from ser_synth.audio.io import trim_silence

    ratios = [len(trim_silence(w)) / len(trim_silence(refs[k][0])) for k, w in zip(items, waves)]
    assert q["duration_ratio"] == pytest.approx(np.median(ratios)) and q["duration_ratio_min"] == pytest.approx(min(ratios))
    assert 0.6 < q["duration_ratio_min"] <= q["duration_ratio"] < 1.4
    with pytest.raises(DataError, match="needs espeak-ng voices"):
        reference_quality(syn, texts, emotions=["sad"], speakers=["ravdess/01"])


def test_batch_requests_are_checked_like_the_baselines(syn):
    from ser_synth.exceptions import DataError
    from ser_synth.synthesis import TextError

    with pytest.raises(TextError, match="got one str"):
        syn.synthesize_batch("Hello there.")
    with pytest.raises(DataError, match="got no texts"):
        syn.synthesize_batch([])
