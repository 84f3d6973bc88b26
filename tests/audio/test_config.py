import pytest

from ser_synth.audio.config import AudioConfig
from ser_synth.exceptions import ConfigError


def test_defaults_valid_and_roundtrip():
    cfg = AudioConfig()
    assert AudioConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.fmax_hz == 8000 and cfg.n_bins == 257


@pytest.mark.parametrize("kwargs, word", [
    ({"sample_rate": 0}, "sample_rate"), ({"win_length": 1024}, "win_length"), ({"window": "kaiser"}, "window"),
    ({"fmax": 9000.0}, "fmax"), ({"fmin": 500.0, "fmax": 400.0}, "fmin"), ({"n_mfcc": 100}, "n_mfcc"),
    ({"log_floor": 0.0}, "log_floor"), ({"hop_length": 1.5}, "hop_length"), ({"n_mels": 400}, "n_mels"),
])
def test_invalid_values_name_the_field(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        AudioConfig(**kwargs)


def test_frozen_and_unknown_keys():
    cfg = AudioConfig()
    with pytest.raises(Exception):
        cfg.sample_rate = 8000
    with pytest.raises(ConfigError, match="unknown AudioConfig keys"):
        AudioConfig.from_dict({"samplerate": 8000})


def test_num_frames_matches_centered_stft():
    cfg = AudioConfig(sample_rate=8000, n_fft=256, win_length=200, hop_length=80, n_mels=16, n_mfcc=13)
    assert cfg.num_frames(8000) == 101
