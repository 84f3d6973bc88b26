"""espeak-ng through ctypes: rendering, phoneme events, parameters, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.data import espeak


def test_renders_speech_with_phoneme_timings():
    r = espeak.render("Kids are talking by the door.", voice="en-us+f3")
    assert r.sample_rate == 22050 and r.waveform.dtype == np.float32
    assert 0.8 < r.waveform.size / r.sample_rate < 4.0
    assert 0.05 < np.abs(r.waveform).max() <= 1.0
    starts = [s for _, s in r.phonemes]
    assert len(r.phonemes) >= 15 and starts == sorted(starts) and starts[-1] < r.waveform.size
    assert len(r.words) == 6


def test_parameters_change_the_sound():
    # espeak-ng keeps flutter state across calls, so repeats differ by a few samples only
    # (the corpus renders in fresh processes for bit-exact output; see test_synthetic)
    a = espeak.render("The train leaves at noon.", rate=175)
    b = espeak.render("The train leaves at noon.", rate=175)
    assert abs(a.waveform.size - b.waveform.size) < 0.005 * a.waveform.size
    slow = espeak.render("The train leaves at noon.", rate=100)
    assert slow.waveform.size > 1.4 * a.waveform.size
    quiet = espeak.render("The train leaves at noon.", volume=40)
    assert np.sqrt(np.mean(quiet.waveform ** 2)) < 0.6 * np.sqrt(np.mean(a.waveform ** 2))


def test_phonemize_ipa():
    ipa = espeak.phonemize("Hello world")
    assert "w" in ipa and "ˈ" in ipa and " " in ipa


def test_errors_are_specific():
    with pytest.raises(espeak.EspeakError, match="no voice 'zz-nope'"):
        espeak.render("hello", voice="zz-nope")
    with pytest.raises(espeak.EspeakError, match="non-empty text"):
        espeak.render("   ")
    assert espeak.available()
