"""The embedded synthetic corpus: sentences, prosody profiles, rendering, caching, spec strings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ser_synth.data import read_corpus
from ser_synth.data.sentences import generate_phrases, generate_sentences
from ser_synth.data.synthetic import (NAIVE_PROFILES, ProsodyProfile, SyntheticCorpusConfig, parse_synthetic_spec,
                                      render_emotional, synthetic_corpus)
from ser_synth.exceptions import ConfigError, DataError


def test_sentences_are_seeded_distinct_and_varied():
    a = generate_sentences(300, seed=3)
    assert a == generate_sentences(300, seed=3) and a != generate_sentences(300, seed=4)
    assert len(set(a)) == 300
    assert sum(s.endswith("?") for s in a) > 20
    assert len({w for s in a for w in s.lower().split()}) > 150


def test_phrases_are_short_seeded_and_distinct_from_the_sentences():
    a = generate_phrases(40, seed=0)
    assert a == generate_phrases(40, seed=0) and a != generate_phrases(40, seed=1)
    assert len(set(a)) == 40 and all(1 <= len(p.split()) <= 4 for p in a)
    assert not set(a) & set(generate_sentences(300, seed=0))
    with pytest.raises(ConfigError, match="generate_phrases needs a non-negative int n, got -1"):
        generate_phrases(-1)


def test_profile_blend_endpoints_and_validation():
    neutral, angry = NAIVE_PROFILES["neutral"], NAIVE_PROFILES["angry"]
    assert neutral.blend(angry, 0.0) == neutral
    full = neutral.blend(angry, 1.0)
    assert full.rate == pytest.approx(angry.rate) and full.pitch == pytest.approx(angry.pitch)
    half = neutral.blend(angry, 0.5)
    assert half.volume == pytest.approx(np.sqrt(angry.volume))
    with pytest.raises(ConfigError, match="rate"):
        ProsodyProfile(rate=0)


def test_emotion_moves_duration_pitch_and_loudness():
    import librosa

    def stats(emotion):
        y, _ = render_emotional("We have to fix the old piano before Anna comes back.", emotion=emotion, speaker="espeak/m3")
        f0 = librosa.yin(y, fmin=60, fmax=500, sr=16000)
        return y.size, float(np.median(f0)), float(np.sqrt(np.mean(y ** 2)))

    n_len, n_f0, n_rms = stats("neutral")
    s_len, s_f0, s_rms = stats("sad")
    a_len, a_f0, a_rms = stats("angry")
    assert s_len > n_len and s_f0 < n_f0 and s_rms < n_rms
    assert a_rms > n_rms


def test_measured_profiles_move_prosody_as_the_actors_did():
    import librosa

    from ser_synth.data.synthetic import PROFILE_SETS

    text = "We have to fix the old piano before Anna comes back."
    stats = {}
    for e in ("neutral", "angry"):
        y, _ = render_emotional(text, emotion=e, speaker="espeak/f1", profiles="measured")
        stats[e] = y.size, float(np.median(librosa.yin(y, fmin=60, fmax=500, sr=16000)))
    # RAVDESS actors 01-16 at strong intensity: +9 semitones and 20% longer than neutral
    assert stats["angry"][0] > 1.1 * stats["neutral"][0]
    assert 12 * np.log2(stats["angry"][1] / stats["neutral"][1]) > 4
    assert set(PROFILE_SETS) == {"calibrated", "calibrated_prosody", "naive", "measured"}
    with pytest.raises(ConfigError, match=r"profiles must be one of \['calibrated', 'calibrated_prosody', 'measured', 'naive'\], got 'acted'"):
        SyntheticCorpusConfig(profiles="acted")


def test_calibrated_prosody_profiles_keep_the_prosody_without_the_bright_tilt():
    import librosa

    from ser_synth.data.synthetic import CALIBRATED_PROFILES, CALIBRATED_PROSODY_PROFILES

    for e, p in CALIBRATED_PROSODY_PROFILES.items():
        q = CALIBRATED_PROFILES[e]
        assert (p.tilt_db, p.tremolo, p.breath) == (0, 0, 0)
        assert (p.rate, p.pitch, p.pitch_range, p.volume, p.wordgap) == (q.rate, q.pitch, q.pitch_range, q.volume, q.wordgap)
    text = "We have to fix the old piano before Anna comes back."
    centroid = {}
    for profiles in ("calibrated", "calibrated_prosody"):
        y, _ = render_emotional(text, emotion="happy", speaker="espeak/f1", profiles=profiles)
        centroid[profiles] = float(np.median(librosa.feature.spectral_centroid(y=y, sr=16000)))
    # +9 dB/octave above 500 Hz moves the centroid up by far more than a few hundred Hz
    assert centroid["calibrated"] > centroid["calibrated_prosody"] + 500


def test_intensity_and_request_errors():
    with pytest.raises(ConfigError, match=r"intensity must be in \[0, 1\], got 1.2"):
        render_emotional("hello", emotion="sad", intensity=1.2)
    with pytest.raises(DataError, match="unknown synthetic speaker 'espeak/z9'"):
        render_emotional("hello", emotion="sad", speaker="espeak/z9")


def test_corpus_is_cached_parallel_and_deterministic(tmp_path):
    cfg = SyntheticCorpusConfig(n_sentences=4, emotions=("neutral", "sad", "angry"), speakers=("espeak/m1", "espeak/f1"),
                                intensities=(1.0,), sample_rate=8000)
    recs = synthetic_corpus(cfg, cache_dir=tmp_path, verbose=0)
    assert len(recs) == 12 and {r.speaker for r in recs} == {"espeak/m1", "espeak/f1"}
    by_text = {}
    for r in recs:
        by_text.setdefault(r.text, set()).add(r.emotion)
    assert all(v == {"neutral", "sad", "angry"} for v in by_text.values())  # every sentence in every emotion
    folder = tmp_path / "synthetic" / cfg.key()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["items"][0]["phonemes"]
    mtime = (folder / "manifest.json").stat().st_mtime_ns
    again = synthetic_corpus(cfg, cache_dir=tmp_path, verbose=0)
    assert again == recs and (folder / "manifest.json").stat().st_mtime_ns == mtime  # reused, not re-rendered
    import soundfile as sf

    # bit-identical on a fresh render, including a breathy voice (espeak-ng noise) and a voice
    # rendered after others in the same worker (espeak-ng flutter state)
    breathy = SyntheticCorpusConfig(n_sentences=3, emotions=("neutral", "sad"), speakers=("espeak/m1", "espeak/f5"),
                                    intensities=(1.0,), sample_rate=8000)
    one = synthetic_corpus(breathy, cache_dir=tmp_path / "a", verbose=0)
    two = synthetic_corpus(breathy, cache_dir=tmp_path / "b", verbose=0)
    for x, y in zip(one, two):
        np.testing.assert_array_equal(sf.read(x.path)[0], sf.read(y.path)[0])


def test_phrases_join_the_corpus_without_moving_the_sentences(tmp_path, monkeypatch):
    monkeypatch.setenv("SER_SYNTH_CACHE", str(tmp_path))
    base = dict(n_sentences=2, emotions=("neutral", "sad"), speakers=("espeak/m1",), intensities=(1.0,), sample_rate=8000)
    # a corpus without phrases keeps the folder (and so the cache) it had before the option existed
    assert SyntheticCorpusConfig(**base).key() == SyntheticCorpusConfig(**base, n_phrases=0).key()
    assert SyntheticCorpusConfig(**base).key() != SyntheticCorpusConfig(**base, n_phrases=3).key()
    recs = read_corpus("synthetic:n_sentences=2,n_phrases=3,emotions=neutral+sad,speakers=espeak/m1,intensities=1.0,sample_rate=8000")
    texts = sorted({(r.text_id, r.text) for r in recs})
    assert len(recs) == 10 and [t for t, _ in texts] == ["p0-00000", "p0-00001", "p0-00002", "s0-00000", "s0-00001"]
    assert [x for _, x in texts] == generate_phrases(3) + generate_sentences(2)
    with pytest.raises(ConfigError, match="n_phrases must be a non-negative int, got -2"):
        SyntheticCorpusConfig(n_phrases=-2)


def test_spec_string(tmp_path, monkeypatch):
    monkeypatch.setenv("SER_SYNTH_CACHE", str(tmp_path))
    recs = read_corpus("synthetic:n_sentences=2,emotions=neutral+happy,intensities=1.0,sample_rate=8000", emotions=["happy"])
    assert len(recs) == 2 and {r.emotion for r in recs} == {"happy"} and recs[0].corpus == "synthetic"
    assert parse_synthetic_spec("").n_sentences == SyntheticCorpusConfig().n_sentences
    with pytest.raises(DataError, match="bad synthetic corpus option 'colour=red'"):
        parse_synthetic_spec("colour=red")
    with pytest.raises(DataError, match="n_sentences='many' is not a int"):
        parse_synthetic_spec("n_sentences=many")
    with pytest.raises(ConfigError, match="emotions must be a non-empty subset"):
        SyntheticCorpusConfig(emotions=("boredom",))


def test_spec_list_keeps_synthetic_options_together():
    from ser_synth.data.corpora import _split_specs

    assert _split_specs("ravdess:/d, synthetic:n_sentences=9,seed=2,emodb:/e") == ["ravdess:/d", "synthetic:n_sentences=9,seed=2", "emodb:/e"]
