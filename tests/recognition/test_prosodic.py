"""ProsodicRecognizer (the independent judge): features, fit/predict, JSON save/load, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ser_synth.data.records import Utterance
from ser_synth.exceptions import ConfigError, DataError, ModelError, NotFittedError
from ser_synth.recognition import ProsodicRecognizer, load_recognizer
from ser_synth.recognition.prosodic import (CROP_S, FEATURE_DIM, FEATURE_NAMES, level_normalized, mu_law_round_trip, utterance_features, with_channel, with_crop,
                                            with_reverb)
from tests.conftest import tone, write_wav


def _clips(n, freq, amp, seed):
    return [tone(freq * (1 + 0.05 * i), seconds=0.6, amp=amp, seed=seed + i) for i in range(n)]


def test_features_shape_and_pitch():
    low, high = utterance_features(tone(120, 0.6), 8000), utterance_features(tone(240, 0.6), 8000)
    assert low.shape == high.shape == (FEATURE_DIM,) and np.isfinite(low).all()
    # feature 0 is the mean log2-F0: an octave apart
    assert high[0] - low[0] == pytest.approx(1.0, abs=0.1)
    named = dict(zip(FEATURE_NAMES, low))
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == FEATURE_DIM
    assert named["log_f0_mean"] == low[0] and named["voiced_share"] > 0.5 and named["onset_rate"] == low[-1]


def test_fit_predict_save_load(tiny_audio_config, tmp_path):
    X = _clips(6, 120, 0.3, 0) + _clips(6, 300, 0.05, 10)
    y = ["sad"] * 6 + ["angry"] * 6
    rec = ProsodicRecognizer(audio_config=tiny_audio_config)
    assert rec.fit(X, y) is rec
    test = _clips(2, 125, 0.3, 50) + _clips(2, 310, 0.05, 60)
    assert rec.predict(test).tolist() == ["sad", "sad", "angry", "angry"]
    assert rec.score(test, ["sad", "sad", "angry", "angry"]) == 1.0  # the same score() as EmotionRecognizer
    proba = rec.predict_proba(test)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(1), 1) and rec.classes_.tolist() == ["angry", "sad"]
    rec.save(tmp_path / "judge")
    back = load_recognizer(tmp_path / "judge")
    assert isinstance(back, ProsodicRecognizer)
    np.testing.assert_allclose(back.predict_proba(test), proba, atol=1e-5)
    # records: labels come from them, speakers are remembered
    paths = [write_wav(tmp_path / f"{i}.wav", x) for i, x in enumerate(X)]
    recs = [Utterance(path=str(p), emotion=e, speaker=f"s/{i % 3}", corpus="s") for i, (p, e) in enumerate(zip(paths, y))]
    rec2 = ProsodicRecognizer(audio_config=tiny_audio_config).fit(recs)
    assert rec2.train_speakers_ == ["s/0", "s/1", "s/2"]
    rep = rec2.evaluate(recs + [Utterance(path=str(paths[0]), emotion="happy", speaker="t/1", corpus="s")])
    assert rep["n"] == 12 and rep["n_excluded"] == 1 and not rep["speaker_disjoint"]


def test_fit_features_is_fit_on_precomputed_features(tiny_audio_config):
    X = _clips(6, 120, 0.3, 0) + _clips(6, 300, 0.05, 10)
    y = ["sad"] * 6 + ["angry"] * 6
    direct = ProsodicRecognizer(audio_config=tiny_audio_config).fit(X, y)
    F = direct.features(X)
    again = ProsodicRecognizer(audio_config=tiny_audio_config).fit_features(F, y)
    np.testing.assert_allclose(again.proba_from_features(F), direct.predict_proba(X), atol=1e-6)
    assert again.classes_.tolist() == direct.classes_.tolist()
    with pytest.raises(DataError, match=rf"features \[n, {FEATURE_DIM}\].*got shape \(12, 3\)"):
        ProsodicRecognizer().fit_features(F[:, :3], y)
    with pytest.raises(DataError, match=r"got shape \(12, 60\), 12 labels \['sad'\]"):
        ProsodicRecognizer().fit_features(F, ["sad"] * 12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the reference fit, as the package fits: 300 epochs
@pytest.mark.parametrize("classes", [2, 3])
def test_hidden_units_fits_a_balanced_perceptron(classes, tiny_audio_config, tmp_path):
    from sklearn.neural_network import MLPClassifier

    X = _clips(8, 120, 0.3, 0) + _clips(4, 300, 0.05, 10) + _clips(6, 200, 0.15, 20)
    y = np.array(["sad"] * 8 + ["angry"] * 4 + ["happy"] * 6)
    X, y = X[: 6 * classes], y[: 6 * classes]
    rec = ProsodicRecognizer(audio_config=tiny_audio_config, hidden_units=8, alpha=0.5).fit(X, y)
    assert rec.hidden_coef_.shape == (8, FEATURE_DIM) and rec.coef_.shape == (1 if classes == 2 else 3, 8)
    # the forward pass is scikit-learn's, fitted on the standardised rows with the rarer classes repeated
    F = rec.features(X)
    Z = (F - F.mean(0)) / np.maximum(F.std(0), 1e-6)
    n = max(np.sum(y == c) for c in np.unique(y))
    rows = np.concatenate([np.resize(np.flatnonzero(y == c), n) for c in np.unique(y)])
    ref = MLPClassifier((8,), alpha=0.5, max_iter=300, random_state=0).fit(Z[rows], y[rows])
    np.testing.assert_allclose(rec.predict_proba(X), ref.predict_proba(Z), atol=1e-5)
    assert rec.classes_.tolist() == ref.classes_.tolist()
    back = load_recognizer(rec.save(tmp_path / "mlp"))
    assert (back.hidden_units, back.alpha) == (8, 0.5)
    np.testing.assert_allclose(back.predict_proba(X), rec.predict_proba(X), atol=1e-6)
    linear = ProsodicRecognizer(audio_config=tiny_audio_config).fit(X, y)
    assert linear.hidden_coef_.shape == (0, FEATURE_DIM) and not np.allclose(linear.predict_proba(X), rec.predict_proba(X), atol=1e-3)


def test_folders_saved_before_the_hidden_layer_load_as_logistic_regression(tiny_audio_config, tmp_path):
    import json

    X, y = _clips(4, 120, 0.3, 0) + _clips(4, 300, 0.05, 10), ["sad"] * 4 + ["angry"] * 4
    rec = ProsodicRecognizer(audio_config=tiny_audio_config).fit(X, y)
    meta_file = rec.save(tmp_path / "old") / "prosodic.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({k: v for k, v in meta.items() if k not in ("hidden_units", "alpha", "hidden_coef", "hidden_intercept")}))
    old = load_recognizer(tmp_path / "old")
    assert old.hidden_units == 0 and old.hidden_coef_.shape == (0, FEATURE_DIM)
    np.testing.assert_allclose(old.predict_proba(X), rec.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [({"hidden_units": -1}, "hidden_units must be an int >= 0 .* got -1"),
                                             ({"hidden_units": 2.5}, "hidden_units .* got 2.5"), ({"hidden_units": True}, "got True"),
                                             ({"alpha": -0.1}, "alpha must be a finite number >= 0, got -0.1"),
                                             ({"alpha": float("inf")}, "alpha .* got inf"), ({"alpha": "1"}, "alpha .* got '1'")])
def test_hidden_layer_options_are_validated(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ProsodicRecognizer(**kwargs)


def test_a_file_and_its_array_are_trimmed_alike(tiny_audio_config, tmp_path):
    from ser_synth.data.loading import load_waveforms

    sr = tiny_audio_config.sample_rate
    rng = np.random.default_rng(0)
    # silence of lengths no frame hop divides, so two trim rules would cut at different samples
    y = np.concatenate([1e-4 * rng.standard_normal(3001), tone(180, 0.7, amp=0.3, seed=1), 1e-4 * rng.standard_normal(2777)]).astype(np.float32)
    path = write_wav(tmp_path / "clip.wav", y, sr)
    as_array = load_waveforms([str(path)], tiny_audio_config, trim_db=None, verbose=0)
    rec = ProsodicRecognizer(audio_config=tiny_audio_config)
    from_file, from_array = rec.waveforms([path])[0], rec.waveforms(as_array)[0]
    assert len(from_file) < len(as_array[0])  # the silence was cut
    np.testing.assert_array_equal(from_file, from_array)


def test_vocoder_augment_trains_on_both_channels_and_round_trips(tiny_audio_config, tmp_path, monkeypatch):
    X = _clips(4, 120, 0.3, 0) + _clips(4, 300, 0.05, 10)
    y = ["sad"] * 4 + ["angry"] * 4
    rec = ProsodicRecognizer(audio_config=tiny_audio_config, vocoder_augment=True)
    seen = []
    real_features = utterance_features
    monkeypatch.setattr("ser_synth.recognition.prosodic.utterance_features", lambda w, sr: seen.append(w) or real_features(w, sr))
    rec.fit(X, y)
    assert len(seen) == 16  # each utterance as given and through the vocoder channel (trimmed again)
    vocoded = rec.vocoded(rec.waveforms(X[:1]))
    np.testing.assert_allclose(seen[8], level_normalized(vocoded[0]), atol=1e-6)
    assert not np.allclose(seen[8], seen[0])
    test = _clips(2, 125, 0.3, 50) + _clips(2, 310, 0.05, 60)
    proba = rec.predict_proba(test)
    np.testing.assert_allclose(rec.proba_from_features(rec.features(test)), proba)
    back = load_recognizer(rec.save(tmp_path / "judge"))
    assert back.vocoder_augment and ProsodicRecognizer.load(tmp_path / "judge").C == rec.C
    np.testing.assert_allclose(back.predict_proba(test), proba, atol=1e-5)


def test_normalize_level_makes_the_decision_gain_free(tiny_audio_config, tmp_path):
    X = _clips(6, 120, 0.3, 0) + _clips(6, 300, 0.05, 10)
    y = ["sad"] * 6 + ["angry"] * 6
    test = _clips(2, 125, 0.3, 50) + _clips(2, 310, 0.05, 60)
    quiet = [x * 10 ** (-30 / 20) for x in test]
    rec = ProsodicRecognizer(audio_config=tiny_audio_config).fit(X, y)
    assert rec.normalize_level  # the default
    np.testing.assert_allclose(rec.predict_proba(quiet), rec.predict_proba(test), atol=1e-4)
    absolute = ProsodicRecognizer(audio_config=tiny_audio_config, normalize_level=False).fit(X, y)
    assert np.abs(absolute.predict_proba(quiet) - absolute.predict_proba(test)).max() > 0.05  # level moved it
    # saved with the option; a model saved before the option existed loads with it off
    import json

    path = rec.save(tmp_path / "rec") / "prosodic.json"
    assert load_recognizer(tmp_path / "rec").normalize_level
    meta = json.loads(path.read_text())
    for option in ("normalize_level", "noise_augment", "channel_augment", "reverb_augment", "noise_snr_db", "crop_augment"):
        del meta[option]
    path.write_text(json.dumps(meta))
    old = load_recognizer(tmp_path / "rec")
    assert not old.normalize_level and not old.noise_augment and not old.channel_augment and not old.reverb_augment
    assert not old.crop_augment and old.noise_snr_db == (10.0, 30.0)


# rings: the room's tail rings on into the silent gap after the tone until 30 dB under the peak,
# so that copy may keep up to the whole gap
@pytest.mark.parametrize("option, helper, others, rings", [
    ("noise_augment", "with_noise", {}, False),
    ("channel_augment", "with_channel", {"noise_augment": True}, False),
    ("reverb_augment", "with_reverb", {"noise_augment": True, "channel_augment": True}, True)])
def test_augment_adds_a_seeded_copy_of_the_whole_recording(option, helper, others, rings, tiny_audio_config, tmp_path, monkeypatch):
    import ser_synth.recognition.prosodic as prosodic

    sr = tiny_audio_config.sample_rate
    gap = np.zeros(sr // 2, np.float32)  # half a second of digital silence each side, which the trim cuts
    X = [np.concatenate([gap, x, gap]) for x in _clips(4, 120, 0.3, 0) + _clips(4, 300, 0.05, 10)]
    y = ["sad"] * 4 + ["angry"] * 4
    seen, copied = [], []
    real, real_copy = utterance_features, getattr(prosodic, helper)
    monkeypatch.setattr(prosodic, "utterance_features", lambda w, rate: seen.append(len(w)) or real(w, rate))
    monkeypatch.setattr(prosodic, helper, lambda r, *a: copied.append(len(r)) or real_copy(r, *a))
    make = lambda **o: ProsodicRecognizer(audio_config=tiny_audio_config, **others, **o).fit(X, y)  # noqa: E731
    rec = make(**{option: True})
    assert len(seen) == 8 * (2 + len(others)) and copied == [len(x) for x in X]  # the copy spans the whole recording
    clean, copy = seen[:8], seen[-8:]
    assert all(c <= len(x) - len(gap) for c, x in zip(clean, X))  # trimmed to the tone (give or take a frame)
    slack = 1024 + (len(gap) if rings else 0)  # a frame, and the tail
    assert all(-1024 <= n - c <= slack for n, c in zip(copy, clean))  # then trimmed as any input: noise-only edges go too
    np.testing.assert_array_equal(make(**{option: True}).coef_, rec.coef_)  # seeded
    assert not np.allclose(make().coef_, rec.coef_)
    assert getattr(load_recognizer(rec.save(tmp_path / "rec")), option)


def test_noise_snr_db_sets_the_noisy_copies_snr(tiny_audio_config, tmp_path):
    speech = [tone(150, 0.6, amp=0.3, seed=i) for i in range(3)]
    rec = ProsodicRecognizer(audio_config=tiny_audio_config, noise_augment=True, noise_snr_db=(3, 3))
    for clean, noisy in zip(speech, rec.noisy(speech, speech)):  # no silence to trim: the copy is the whole clip
        noise = noisy - clean
        assert 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(3, abs=0.2)
    assert ProsodicRecognizer().noise_snr_db == (10.0, 30.0)  # AugmentConfig().snr_db
    X, y = _clips(4, 120, 0.3, 0) + _clips(4, 300, 0.05, 10), ["sad"] * 4 + ["angry"] * 4
    wide = ProsodicRecognizer(audio_config=tiny_audio_config, noise_augment=True, noise_snr_db=[0, 30]).fit(X, y)
    assert wide.noise_snr_db == (0.0, 30.0) and load_recognizer(wide.save(tmp_path / "rec")).noise_snr_db == (0.0, 30.0)
    narrow = ProsodicRecognizer(audio_config=tiny_audio_config, noise_augment=True).fit(X, y)
    assert not np.allclose(narrow.coef_, wide.coef_)


@pytest.mark.parametrize("value, message", [((30, 10), "finite with low <= high, got \\(30, 10\\)"), ((0, float("nan")), "finite"),
                                            (5, "two numbers .* got 5"), (("a", 1), "two numbers"), ((1, 2, 3), "two numbers")])
def test_noise_snr_db_is_validated(value, message):
    with pytest.raises(ConfigError, match=f"noise_snr_db must be {message}"):
        ProsodicRecognizer(noise_snr_db=value)


def test_with_crop_takes_a_seeded_window():
    sr = 8000
    y = np.arange(4 * sr, dtype=np.float32)  # 4 s: longer than the longest window
    rng, lengths = np.random.default_rng(7), []
    for _ in range(20):
        w = with_crop(y, rng, sr)
        assert w.dtype == np.float32 and CROP_S[0] * sr - 1 <= len(w) <= CROP_S[1] * sr
        np.testing.assert_array_equal(w, y[int(w[0]): int(w[0]) + len(w)])  # one contiguous window
        lengths.append(len(w))
    assert max(lengths) - min(lengths) > 0.5 * sr  # lengths and places vary
    np.testing.assert_array_equal(with_crop(y, np.random.default_rng(7), sr), with_crop(y, np.random.default_rng(7), sr))
    short = y[: sr // 4]
    np.testing.assert_array_equal(with_crop(short, rng, sr), short)  # shorter than any window: whole


def test_crop_augment_adds_a_window_of_each_trimmed_utterance(tiny_audio_config, tmp_path, monkeypatch):
    import ser_synth.recognition.prosodic as prosodic

    sr = tiny_audio_config.sample_rate
    gap = np.zeros(sr // 2, np.float32)
    X = [np.concatenate([gap, tone(120 * (1 + 0.05 * i), seconds=3.0, amp=0.3, seed=i), gap]) for i in range(4)]
    X += [np.concatenate([gap, tone(300 * (1 + 0.05 * i), seconds=3.0, amp=0.05, seed=10 + i), gap]) for i in range(4)]
    y = ["sad"] * 4 + ["angry"] * 4
    seen, cropped = [], []
    real, real_crop = utterance_features, prosodic.with_crop
    monkeypatch.setattr(prosodic, "utterance_features", lambda w, rate: seen.append(len(w)) or real(w, rate))
    monkeypatch.setattr(prosodic, "with_crop", lambda s, *a: cropped.append(len(s)) or real_crop(s, *a))
    make = lambda **o: ProsodicRecognizer(audio_config=tiny_audio_config, **o).fit(X, y)  # noqa: E731
    rec = make(crop_augment=True)
    clean, copy = seen[:8], seen[8:]
    assert len(seen) == 16 and cropped == clean  # a window of the trimmed clip, not of the recording
    assert all(CROP_S[0] * sr - 1024 <= n <= CROP_S[1] * sr for n in copy) and len(set(copy)) > 1
    np.testing.assert_array_equal(make(crop_augment=True).coef_, rec.coef_)  # seeded
    assert not np.allclose(make().coef_, rec.coef_)
    assert load_recognizer(rec.save(tmp_path / "rec")).crop_augment


def _band_db(y, sr, lo, hi):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2  # windowed: the passband must not leak into the edges
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return 10 * np.log10(spec[(f >= lo) & (f < hi)].mean())


@pytest.mark.parametrize("sr", [8000, 16000])
def test_with_channel_band_limits_and_sometimes_mu_law(sr):
    y = (0.1 * np.random.default_rng(0).standard_normal(2 * sr)).astype(np.float32)
    rng, kinds = np.random.default_rng(3), set()
    for _ in range(12):
        out = with_channel(y, rng, sr)
        assert out.dtype == np.float32 and out.shape == y.shape and np.isfinite(out).all()
        mu_law = len(np.unique(out)) <= 255  # 8-bit mu-law leaves at most 255 levels
        kinds.add(mu_law)
        if not mu_law:  # (mu-law's quantisation noise is white, so only the plain band-pass shows its edges)
            passband = _band_db(out, sr, 500, 2500)
            assert _band_db(out, sr, 0, 25) < passband - 30  # under the lowest low edge (50 Hz)
            assert _band_db(out, sr, 0.49 * sr, sr / 2) < passband - 10  # over the highest high edge (0.45 x rate)
    assert kinds == {True, False}
    again = with_channel(y, np.random.default_rng(3), sr)
    np.testing.assert_array_equal(again, with_channel(y, np.random.default_rng(3), sr))


@pytest.mark.parametrize("sr", [8000, 16000])
def test_with_reverb_is_a_seeded_damped_room(sr):
    impulse = np.zeros(2 * sr, np.float32)  # longer than the longest tail (1.2 x RT60 = 1.2 s)
    impulse[0] = 0.5
    rng, rt60s = np.random.default_rng(5), []
    for _ in range(8):
        h = with_reverb(impulse, rng, sr) / 0.5
        assert h.dtype == np.float32 and h.shape == impulse.shape and h[0] == pytest.approx(1.0)  # same length and peak
        drr = -10 * np.log10(np.sum(h[1:].astype(np.float64) ** 2))
        assert -6.01 <= drr <= 6.01
        end = np.flatnonzero(np.abs(h) > 1e-9)[-1]
        rt60s.append(end / sr / 1.2)
        tail = h[1:end]
        tenth = len(tail) // 10
        assert np.sum(tail[:tenth] ** 2) > 1e4 * np.sum(tail[-tenth:] ** 2)  # decays (about 55 dB over the tail)
        assert _band_db(tail, sr, 0.45 * sr, sr / 2) < _band_db(tail, sr, 100, 1000) - 3  # the highs die first
    assert min(rt60s) >= 0.2 - 1e-3 and max(rt60s) <= 1.0 and max(rt60s) - min(rt60s) > 0.2
    np.testing.assert_array_equal(with_reverb(impulse, np.random.default_rng(5), sr), with_reverb(impulse, np.random.default_rng(5), sr))


def test_mu_law_round_trip_keeps_the_peak_and_dtype():
    y = np.linspace(-0.5, 0.5, 1001)
    out = mu_law_round_trip(y)
    assert out.dtype == np.float64 and mu_law_round_trip(y.astype(np.float32)).dtype == np.float32
    assert np.abs(out).max() == pytest.approx(0.5, rel=1e-6) and len(np.unique(out)) <= 255
    assert np.abs(out - y).max() < 0.5 * 0.05  # coarse near the peak, fine near zero


def test_errors(tmp_path):
    with pytest.raises(NotFittedError):
        ProsodicRecognizer().predict_proba([tone(100)])
    with pytest.raises(NotFittedError):
        ProsodicRecognizer().predict([tone(100)])
    with pytest.raises(DataError, match="got NoneType"):
        ProsodicRecognizer().fit(None, ["sad"])
    with pytest.raises(ConfigError, match="C must be > 0, got 0"):
        ProsodicRecognizer(C=0)
    with pytest.raises(DataError, match=">= 2 classes"):
        ProsodicRecognizer().fit([tone(100), tone(200)], ["sad", "sad"])
    with pytest.raises(DataError, match="needs y"):
        ProsodicRecognizer().fit([tone(100)])
    with pytest.raises(ModelError, match="not a saved ProsodicRecognizer"):
        ProsodicRecognizer.load(tmp_path)


@pytest.mark.parametrize("name", ["judge4", "judge4v"])
def test_shipped_judge(name):
    judge = load_recognizer(name)
    assert isinstance(judge, ProsodicRecognizer) and sorted(judge.classes_) == ["angry", "happy", "neutral", "sad"]
    assert judge.vocoder_augment == (name == "judge4v")
    assert not {s for s in judge.train_speakers_ if s.startswith("ravdess/")} - {"ravdess/17", "ravdess/18"}
    clips = sorted((Path(__file__).resolve().parents[2] / "data" / "emodb_cc0").glob("*.flac"))[:2]
    assert judge.predict_proba([str(c) for c in clips]).shape == (2, 4)
