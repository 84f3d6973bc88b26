import struct

import numpy as np
import pytest
import soundfile as sf

from ser_synth.audio import check_audio, load_audio, normalize, save_audio
from ser_synth.audio.config import AudioConfig
from ser_synth.exceptions import AudioError, AudioFileNotFoundError, AudioFormatError, ConfigError, OutputPathError, SilentAudioWarning, SerSynthError
from tests.conftest import RAVDESS_RAW, needs_ravdess_raw, tone, write_wav


@pytest.mark.parametrize("fmt, subtype", [("wav", "PCM_16"), ("wav", "PCM_24"), ("wav", "FLOAT"), ("flac", "PCM_16"), ("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")])
def test_load_formats_from_path_and_bytes(tmp_path, fmt, subtype):
    y = tone(440, 0.5, 16000)
    path = tmp_path / f"a.{fmt}"
    try:
        sf.write(str(path), y, 16000, subtype=subtype)
    except Exception as exc:  # libsndfile built without MP3 write support
        pytest.skip(f"this libsndfile cannot write {fmt}: {exc}")
    out = load_audio(path, sample_rate=16000)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(out.size - y.size) < 2000  # lossy codecs add priming samples
    if fmt in ("wav", "flac"):  # lossless: sample-aligned
        assert np.corrcoef(out[:4000], y[:4000])[0, 1] > 0.99
    else:  # lossy codecs shift and smear samples: compare level instead
        assert abs(np.sqrt(np.mean(out ** 2)) - np.sqrt(np.mean(y ** 2))) < 0.05
    assert np.allclose(load_audio(path.read_bytes(), sample_rate=16000), out)


def test_downmix_and_resample(tmp_path):
    left, right = tone(300, 1.0, 48000), tone(300, 1.0, 48000) * 0.5
    path = tmp_path / "stereo.wav"
    sf.write(str(path), np.stack([left, right], axis=1), 48000)
    out = load_audio(path, sample_rate=16000)
    assert out.size == 16000
    ref = load_audio((left + right) / 2, orig_sr=48000, sample_rate=16000)
    assert np.max(np.abs(out - ref)) < 1e-3


def test_array_input_needs_rate_and_validates():
    with pytest.raises(ConfigError, match="orig_sr"):
        load_audio(tone(300))
    out = load_audio(tone(300, 1.0, 8000), orig_sr=8000, sample_rate=16000)
    assert out.size == 16000


def test_trim_and_normalization():
    y = np.concatenate([np.zeros(8000), tone(300, 0.5, 8000), np.zeros(8000)]).astype(np.float32)
    trimmed = load_audio(y, orig_sr=8000, sample_rate=8000, trim=True)
    assert 3500 < trimmed.size < 6500
    peak = load_audio(y, orig_sr=8000, sample_rate=8000, normalization="peak", target_db=-6.0)
    assert np.isclose(np.max(np.abs(peak)), 10 ** (-6 / 20), atol=1e-3)
    loud = normalize(tone(300, 0.5), method="loudness", target_db=-20.0)
    assert np.isclose(20 * np.log10(np.sqrt(np.mean(loud ** 2))), -20.0, atol=0.1)


def test_errors_are_specific(tmp_path):
    with pytest.raises(AudioFileNotFoundError, match="nope.wav"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "text.wav").write_text("hello, not audio")
    with pytest.raises(AudioFormatError, match="not a readable audio file"):
        load_audio(tmp_path / "text.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioFormatError, match="zero-length"):
        load_audio(tmp_path / "empty.wav")
    with pytest.raises(AudioFormatError, match="empty"):
        load_audio(b"")
    short = write_wav(tmp_path / "short.wav", tone(300, 0.01, 16000), 16000)
    with pytest.raises(AudioError, match="shorter than one analysis frame"):
        load_audio(short, config=AudioConfig())
    assert issubclass(AudioFileNotFoundError, SerSynthError) and issubclass(AudioFileNotFoundError, FileNotFoundError)


def _wav_with_width(bits: int) -> bytes:
    data = b"\x00" * 300
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 16000 * bits // 8, bits // 8 or 1, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_unsupported_sample_width():
    with pytest.raises(AudioFormatError, match="sample width 12 bits"):
        load_audio(_wav_with_width(12))


def test_check_audio_cases():
    with pytest.raises(AudioError, match="floating dtype"):
        check_audio(np.zeros(100, np.int16))
    with pytest.raises(AudioError, match="mono"):
        check_audio(np.zeros((2, 100), np.float32))
    with pytest.raises(AudioError, match="empty"):
        check_audio(np.zeros(0, np.float32))
    bad = tone(300)
    bad[10] = np.nan
    with pytest.raises(AudioError, match="non-finite"):
        check_audio(bad)
    with pytest.raises(AudioError, match="numpy array"):
        check_audio([0.0, 1.0])
    with pytest.raises(AudioError, match="shorter"):
        check_audio(tone(300)[:10], min_samples=400)
    with pytest.warns(SilentAudioWarning):
        out = check_audio(np.zeros(1000, np.float64))
    assert out.dtype == np.float32


def test_save_audio_atomic_roundtrip(tmp_path):
    y = tone(300, 0.5, 8000)
    path = save_audio(tmp_path / "x.wav", y, 8000)
    assert not list(tmp_path.glob(".*tmp"))
    assert np.allclose(load_audio(path, sample_rate=8000), y, atol=1e-3)
    with pytest.raises(OutputPathError, match="it is a folder"):
        save_audio(tmp_path, y, 8000)
    with pytest.raises(ConfigError, match=r"'.*new/x\.mp4': the name must end in \.wav, \.flac or \.ogg"):
        save_audio(tmp_path / "new" / "x.mp4", y, 8000)
    assert not (tmp_path / "new").exists()  # nothing is created for a name that cannot be written


@needs_ravdess_raw
@pytest.mark.slow
def test_reads_raw_ravdess_originals():
    files = sorted(RAVDESS_RAW.glob("Actor_*/*.wav"))
    assert len(files) == 8
    channels = []
    for f in files:
        info = sf.info(str(f))
        channels.append(info.channels)
        assert info.samplerate == 48000
        y = load_audio(f, sample_rate=16000)
        assert y.size == pytest.approx(info.frames / 3, abs=2)
        assert 0.001 < np.sqrt(np.mean(y ** 2)) < 0.5
    assert channels.count(2) == 3
