import os

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.audio.backend import audio_backend, probe_file, tf_decode_file, tfio_available
from ser_synth.audio.io import load_audio
from tests.conftest import tone, write_wav


def test_backend_detection_matches_environment():
    expected = os.environ.get("SER_SYNTH_EXPECT_BACKEND")
    backend = audio_backend()
    assert backend in ("tfio", "numpy")
    if expected:
        assert backend == expected, f"expected the {expected} audio backend on this TensorFlow ({tf.__version__})"
    if backend == "tfio":
        assert tf.__version__.startswith("2.16"), "tensorflow-io 0.37 kernels only load on TF 2.16"


@pytest.mark.parametrize("backend", ["numpy", "tfio"])
@pytest.mark.parametrize("orig_sr", [8000, 16000])
def test_graph_decode_matches_host_loader(tmp_path, backend, orig_sr):
    if backend == "tfio" and not tfio_available():
        pytest.skip("tensorflow-io ops do not load on this TensorFlow")
    y = tone(440, 0.5, orig_sr)
    for ext in ("wav", "flac"):
        path = write_wav(tmp_path / f"x.{ext}", y, orig_sr)
        rate, ok = probe_file(str(path))
        assert rate == orig_sr and ok
        graph = tf.function(lambda p, r: tf_decode_file(p, r, 8000, backend=backend))(tf.constant(str(path)), tf.constant(orig_sr, tf.int64)).numpy()
        host = load_audio(path, sample_rate=8000)
        if orig_sr == 8000:
            np.testing.assert_allclose(graph, host, atol=1e-4)
        else:  # different resamplers: compare content, not samples
            assert abs(graph.size - host.size) <= 2
            n = min(graph.size, host.size) - 200
            assert np.corrcoef(graph[100:n], host[100:n])[0, 1] > 0.99


def test_files_tfio_cannot_decode_fall_back_and_bad_files_raise(tmp_path, tiny_audio_config):
    import soundfile as sf

    from ser_synth.data.loading import load_waveforms
    from ser_synth.exceptions import AudioFileNotFoundError, AudioFormatError

    y = tone(440, 0.5, 8000)
    deep = tmp_path / "deep.wav"
    sf.write(str(deep), y, 8000, subtype="PCM_24")
    assert probe_file(str(deep)) == (8000, False)
    [out] = load_waveforms([str(deep)], tiny_audio_config, trim_db=None, verbose=0)
    np.testing.assert_allclose(out, y, atol=1e-4)
    with pytest.raises(AudioFileNotFoundError, match="missing.wav"):
        load_waveforms([str(tmp_path / "missing.wav")], tiny_audio_config, verbose=0)
    (tmp_path / "junk.flac").write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioFormatError, match="junk.flac"):
        load_waveforms([str(tmp_path / "junk.flac")], tiny_audio_config, verbose=0)


@pytest.mark.parametrize("backend", ["numpy", "tfio"])
def test_samples_that_fail_inside_the_pipeline_raise_the_files_own_error(tmp_path, tiny_audio_config, backend):
    # a header that probes fine with NaN samples: only decoding finds them, inside tf.data
    import soundfile as sf

    from ser_synth.data.loading import load_waveforms
    from ser_synth.exceptions import AudioError

    if backend == "tfio" and not tfio_available():
        pytest.skip("tensorflow-io ops do not load on this TensorFlow")
    good = write_wav(tmp_path / "good.wav", tone(440, 0.5, 8000), 8000)
    y = tone(440, 0.5, 8000)
    y[100:103] = np.nan
    sf.write(str(tmp_path / "nan.wav"), y, 8000, subtype="FLOAT")
    paths = [str(good), str(tmp_path / "nan.wav"), str(good)]
    with pytest.raises(AudioError, match=r"nan\.wav' has 3 non-finite samples"):
        load_waveforms(paths, tiny_audio_config, verbose=0, backend=backend)
