import librosa
import numpy as np
import tensorflow as tf

from ser_synth.audio.io import trim_silence
from ser_synth.audio.trim import trim_silence_tf
from tests.conftest import tone

SR = 16000


def voiced(seconds: float, amp: float = 0.3) -> np.ndarray:
    """A tone with a syllable-rate envelope (4 Hz), never below half its amplitude."""
    y = tone(220, seconds, sr=SR, amp=amp)
    return y * (0.75 + 0.25 * np.sin(2 * np.pi * 4 * np.arange(y.size) / SR)).astype(np.float32)


def trimmed(y: np.ndarray, **kw) -> np.ndarray:
    return trim_silence_tf(tf.constant(y, tf.float32), 30.0, **kw).numpy()


def test_digital_silence_is_cut():
    y = np.concatenate([np.zeros(4000), tone(300, 0.5), np.zeros(4000)]).astype(np.float32)
    out = trim_silence_tf(tf.constant(y), 30.0).numpy()
    assert 3800 < out.size < 5200


def test_noise_only_edges_are_cut():
    speech = voiced(1.0)
    y = np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(8000, np.float32)])
    noise = np.random.default_rng(0).standard_normal(y.size).astype(np.float32)
    noisy = y + noise * np.sqrt(np.mean(speech ** 2) / 100)  # 20 dB SNR: the noise is 20 dB below the speech
    assert trimmed(noisy, edge_noise=False).size > 30000  # the peak-relative rule keeps the noise
    out = trimmed(noisy)
    assert abs(out.size - speech.size) <= 1024, out.size  # the speech, to within a frame
    starts = [i for i in range(noisy.size - out.size + 1) if noisy[i] == out[0] and np.array_equal(noisy[i:i + out.size], out)]
    assert len(starts) == 1 and abs(starts[0] - 8000) <= 512, starts


def test_studio_silence_is_cut_as_librosa_cuts_it():
    y = np.concatenate([np.zeros(6000), 1e-4 * np.random.default_rng(1).standard_normal(3000), voiced(0.8),
                        np.zeros(5000)]).astype(np.float32)
    ref, _ = librosa.effects.trim(y, top_db=30.0, frame_length=1024, hop_length=256)
    np.testing.assert_array_equal(trimmed(y), ref)
    np.testing.assert_array_equal(trimmed(y), trimmed(y, edge_noise=False))
    np.testing.assert_array_equal(trim_silence(y), trimmed(y))  # the NumPy entry point is the same rule


def test_steady_but_loud_edges_are_speech_and_stay():
    # a held note 8 dB under the peak is steady like noise, but too loud to be taken for it
    y = np.concatenate([voiced(0.6, amp=0.3 * 10 ** (-8 / 20)), voiced(0.8)]).astype(np.float32)
    y[:9600] = 0.3 * 10 ** (-8 / 20) * np.sin(2 * np.pi * 220 * np.arange(9600) / SR)
    assert trimmed(y).size == y.size


def test_short_clips_skip_the_edge_rule():
    y = voiced(0.3)
    assert trimmed(y).size == trimmed(y, edge_noise=False).size > 0
