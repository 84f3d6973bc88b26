"""The rule-based baseline facade: requests, chunking, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ser_synth.exceptions import ConfigError, DataError
from ser_synth.synthesis import RuleBasedSynthesizer, TextError


def test_synthesize_and_batch(tiny_audio_config):
    syn = RuleBasedSynthesizer(audio_config=tiny_audio_config)
    y = syn.synthesize("Please open the window.", emotion="happy", intensity=0.7, speaker="espeak/f2")
    assert y.dtype == np.float32 and y.ndim == 1 and 0.5 < y.size / 8000 < 4
    batch = syn.synthesize_batch(["One.", "Two words."], emotions=["sad", "angry"], intensities=[1.0, 0.3])
    assert len(batch) == 2 and all(b.size > 1000 for b in batch)


def test_long_text_is_chunked_not_rejected(tiny_audio_config):
    syn = RuleBasedSynthesizer(audio_config=tiny_audio_config)
    y = syn.synthesize("The little dog ran over the hill and far away. " * 12)
    assert y.size / 8000 > 20


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"emotion": "joyful"}, DataError, "unknown emotion 'joyful'.*happy"),
    ({"speaker": "bob"}, DataError, "unknown speaker 'bob'.*espeak/m1"),
    ({"intensity": -0.1}, ConfigError, r"intensity must be a number in \[0, 1\], got -0.1"),
    ({"text": "  "}, TextError, "empty"),
])
def test_bad_requests(kwargs, exc, match):
    syn = RuleBasedSynthesizer()
    kwargs = {"text": "hello", **kwargs}
    with pytest.raises(exc, match=match):
        syn.synthesize(kwargs.pop("text"), **kwargs)


@pytest.mark.parametrize("texts, kwargs, exc, match", [
    ("Hello there.", {}, TextError, "got one str 'Hello there.'; synthesize"),
    ([], {}, DataError, "got no texts"),
    (["One.", "Two."], {"emotions": ["sad"]}, DataError, "got 2 texts, 1 emotions, 2 intensities, 2 speakers"),
])
def test_bad_batches(texts, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RuleBasedSynthesizer().synthesize_batch(texts, **kwargs)


def test_one_emotion_applies_to_every_text(tiny_audio_config):
    syn = RuleBasedSynthesizer(audio_config=tiny_audio_config)
    one = syn.synthesize_batch(["One.", "Two words."], emotions="neutral")
    each = syn.synthesize_batch(["One.", "Two words."], emotions=["neutral", "neutral"])
    sad = syn.synthesize_batch(["One.", "Two words."], emotions=["sad", "sad"])
    # espeak-ng's pitch flutter makes repeated renderings differ by a few samples (see espeak.render)
    assert all(abs(a.size - b.size) < 0.01 * b.size for a, b in zip(one, each))
    assert all(c.size > 1.5 * b.size for b, c in zip(each, sad))  # sad is slower: each emotion was applied
