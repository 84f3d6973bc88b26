import numpy as np
import pytest
import tensorflow as tf

from ser_synth.data.augment import AugmentConfig, augment_waveform, change_speed, mixup_batches, reverberate
from ser_synth.data.pipeline import class_weights, crop_or_pad, decoded_dataset, training_dataset
from ser_synth.exceptions import ConfigError
from tests.conftest import tone, write_wav


def test_decode_once_and_cache(tmp_path, tiny_audio_config):
    paths = [write_wav(tmp_path / f"{i}.wav", tone(200 + 100 * i, 0.3)) for i in range(3)]
    ds = decoded_dataset(paths, tiny_audio_config, trim_db=None)
    first = [y.numpy() for y in ds]
    for p in paths:  # cached: deleting the files does not change the second pass
        p.unlink()
    second = [y.numpy() for y in ds]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert first[0].size == 2400


def test_crop_or_pad_tiles_short_clips():
    y = tf.range(10, dtype=tf.float32)
    out = crop_or_pad(y, 25).numpy()
    assert out.size == 25 and np.array_equal(out[:15], out[10:25]) and set(out[:10]) == set(range(10))
    long = crop_or_pad(tf.range(100, dtype=tf.float32), 30, seed=tf.constant([1, 2], tf.int64)).numpy()
    assert long.size == 30 and np.all(np.diff(long) == 1)


def test_augmentation_is_seeded_and_changes_audio():
    y = tf.constant(tone(300, 0.5))
    cfg = AugmentConfig(noise_prob=1.0, speed_prob=1.0)
    a = augment_waveform(y, tf.constant([1, 2], tf.int64), cfg).numpy()
    b = augment_waveform(y, tf.constant([1, 2], tf.int64), cfg).numpy()
    c = augment_waveform(y, tf.constant([3, 4], tf.int64), cfg).numpy()
    assert np.array_equal(a, b) and not np.array_equal(a[:100], c[:100])
    assert not np.allclose(a[: y.shape[0]][:1000], y.numpy()[:1000])
    assert change_speed(y, 1.25).shape[0] == int(4000 / 1.25)
    with pytest.raises(ConfigError, match="noise_prob"):
        AugmentConfig(noise_prob=1.5)


def test_reverberate_gives_the_asked_room():
    sr, rt60 = 8000, 0.5
    y = np.zeros(sr, np.float32)
    y[100] = 0.5
    out = reverberate(tf.constant(y), tf.constant([5, 6], tf.int64), sample_rate=sr, rt60=(rt60, rt60), drr_db=(0.0, 0.0)).numpy()
    assert out.shape == y.shape and np.isclose(np.abs(out).max(), 0.5, rtol=1e-5)
    assert np.allclose(out[:99], 0.0, atol=1e-6)  # causal: nothing before the direct path
    # direct-to-reverberant energy ratio 0 dB: the tail (4800 samples) fits in the clip
    drr = 10 * np.log10(out[100] ** 2 / np.sum(out[101:] ** 2))
    assert abs(drr) < 1.0, drr
    # -60 dB per RT60: 0.3 s later the tail is 36 dB weaker (noise: a few dB either way)
    band = lambda a, b: np.mean(out[100 + int(a * sr):100 + int(b * sr)] ** 2)
    decay = 10 * np.log10(band(0.05, 0.1) / band(0.35, 0.4))
    assert 30 < decay < 42, decay
    again = reverberate(tf.constant(y), tf.constant([5, 6], tf.int64), sample_rate=sr, rt60=(rt60, rt60), drr_db=(0.0, 0.0)).numpy()
    other = reverberate(tf.constant(y), tf.constant([7, 8], tf.int64), sample_rate=sr, rt60=(rt60, rt60), drr_db=(0.0, 0.0)).numpy()
    assert np.array_equal(out, again) and not np.allclose(out, other)


def test_room_augmentation_is_seeded_and_needs_the_rate():
    y = tf.constant(tone(300, 0.5))
    plain = AugmentConfig(noise_prob=0.0, speed_prob=0.0, shift_fraction=0.0, gain_db=(0.0, 0.0))
    room = AugmentConfig(noise_prob=0.0, speed_prob=0.0, shift_fraction=0.0, gain_db=(0.0, 0.0), reverb_prob=1.0)
    seed = tf.constant([1, 2], tf.int64)
    np.testing.assert_array_equal(augment_waveform(y, seed, plain, sample_rate=8000).numpy(), y.numpy())
    a = augment_waveform(y, seed, room, sample_rate=8000).numpy()
    assert a.shape == y.shape and not np.allclose(a, y.numpy(), atol=1e-3)
    np.testing.assert_array_equal(a, augment_waveform(y, seed, room, sample_rate=8000).numpy())
    # the room's draws are its own: a room with a barely audible tail (60 dB under the direct path)
    # leaves speed, shift, gain and noise as they were without it
    faint = AugmentConfig(noise_prob=1.0, speed_prob=1.0, reverb_prob=1.0, reverb_drr_db=(60.0, 60.0))
    no_room = AugmentConfig(noise_prob=1.0, speed_prob=1.0)
    with_faint = augment_waveform(y, seed, faint, sample_rate=8000).numpy()
    without = augment_waveform(y, seed, no_room).numpy()
    assert with_faint.shape == without.shape
    np.testing.assert_allclose(with_faint, without, atol=5e-3)
    with pytest.raises(ConfigError, match="reverb_prob=1.0 needs the sample rate"):
        augment_waveform(y, seed, room)
    with pytest.raises(ConfigError, match="reverb_prob"):
        AugmentConfig(reverb_prob=1.5)
    with pytest.raises(ConfigError, match="reverb_rt60"):
        AugmentConfig(reverb_rt60=(0.0, 1.0))


def test_training_dataset_shapes_and_weights():
    waves = tf.data.Dataset.from_generator(lambda: iter([tone(300, 0.2 + 0.1 * i) for i in range(5)]), output_signature=tf.TensorSpec([None], tf.float32))
    labels = [0, 1, 1, 1, 0]
    w = class_weights(labels, 3)
    np.testing.assert_allclose(w, [5 / 6, 5 / 9, 0.0])
    ds = training_dataset(waves, labels, crop_samples=1600, batch_size=2, seed=0, augment=AugmentConfig(), sample_weights=w[labels], speakers=[0, 1, 0, 1, 0])
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(2, 1600), (2, 1600), (1, 1600)]
    assert set(batches[0][1]) == {"emotion", "speaker"}
    again = list(training_dataset(waves, labels, crop_samples=1600, batch_size=2, seed=0, augment=AugmentConfig(), sample_weights=w[labels]))
    assert np.array_equal(batches[0][0].numpy(), again[0][0].numpy())  # seeded


def test_mixup_mixes_waveforms_labels_and_weights_consistently():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 50)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[np.arange(8) % 4]
    w = np.arange(1, 9, dtype=np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, {"emotion": y, "speaker": np.arange(8)}, w)).batch(8)
    mx, targets, mw = next(iter(mixup_batches(ds, 0.4, seed=1)))
    soft, mx, mw = targets["emotion"].numpy(), mx.numpy(), mw.numpy()
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(soft.max(axis=1) >= 0.5 - 1e-6)  # a dominant example in every mix
    assert np.any(soft.max(axis=1) < 0.99)  # and some real mixing
    np.testing.assert_array_equal(targets["speaker"].numpy(), np.arange(8))  # other targets untouched
    for i in range(8):
        # the dominant label's share is lam; the waveform and the weight use the same lam and partner
        lam, own = soft[i].max(), soft[i].argmax()
        assert own == i % 4 or lam < 0.5 + 1e-6
        if lam > 0.999:
            np.testing.assert_allclose(mx[i], x[i], atol=1e-4)
            continue
        partner = [j for j in range(8) if np.allclose(mx[i], lam * x[i] + (1 - lam) * x[j], atol=1e-4)]
        assert partner and np.isclose(mw[i], lam * w[i] + (1 - lam) * w[partner[0]], atol=1e-4)
    again = next(iter(mixup_batches(ds, 0.4, seed=1)))[0].numpy()
    np.testing.assert_array_equal(again, mx)  # seeded
    with pytest.raises(ConfigError, match="alpha"):
        mixup_batches(ds, 0.0)
