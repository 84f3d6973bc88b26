"""SavedModel export: TF Serving layout, signatures, parity with the in-process models, no tfio ops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.exceptions import ConfigError, ModelError
from ser_synth.serving import export_model


def _op_types(path: Path) -> set[str]:
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((path / "saved_model.pb").read_bytes())
    graph = sm.meta_graphs[0].graph_def
    ops = {n.op for n in graph.node}
    for f in graph.library.function:
        ops |= {n.op for n in f.node_def}
    return ops


@pytest.fixture(scope="module")
def recognizer_export(tmp_path_factory):
    return export_model("core4", tmp_path_factory.mktemp("serve") / "core4", version=3)


def test_recognizer_signatures_match_the_model(recognizer_export):
    from ser_synth.recognition import EmotionRecognizer

    assert recognizer_export.name == "3" and (recognizer_export / "saved_model.pb").is_file() and (recognizer_export / "variables").is_dir()
    rec = EmotionRecognizer.pretrained("core4")
    loaded = tf.saved_model.load(str(recognizer_export))
    assert set(loaded.signatures) == {"serving_default", "recognize_wav"}
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 24000))).astype(np.float32)
    out = loaded.signatures["serving_default"](waveform=tf.constant(x))
    expected = rec.model_(tf.constant(x), training=False)["emotion"].numpy()
    np.testing.assert_allclose(out["probabilities"].numpy(), expected, atol=1e-5)
    assert [s.decode() for s in out["label"].numpy()] == rec.classes_[expected.argmax(1)].tolist()
    # WAV bytes: decoded, trimmed and scored like the Python facade does
    clip = np.concatenate([np.zeros(4000, np.float32), x[0], np.zeros(4000, np.float32)])
    wav = tf.audio.encode_wav(tf.constant(clip[:, None]), 16000)
    by_wav = loaded.signatures["recognize_wav"](wav=wav)["probabilities"].numpy()
    np.testing.assert_allclose(by_wav, rec.predict_proba([clip]), atol=2e-3)
    assert not any(op.startswith("IO>") for op in _op_types(recognizer_export))  # no tensorflow-io kernels


def test_saved_model_cli_show_and_run(recognizer_export, tmp_path):
    cli = Path(sys.executable).with_name("saved_model_cli")
    if not cli.is_file():
        pytest.skip("saved_model_cli is not installed beside this Python")
    show = subprocess.run([str(cli), "show", "--dir", str(recognizer_export), "--all"], capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-1000:]
    assert "signature_def['serving_default']" in show.stdout and "waveform" in show.stdout and "probabilities" in show.stdout
    np.save(tmp_path / "x.npy", (0.1 * np.random.default_rng(1).standard_normal((1, 16000))).astype(np.float32))
    run = subprocess.run([str(cli), "run", "--dir", str(recognizer_export), "--tag_set", "serve", "--signature_def", "serving_default",
                          "--inputs", f"waveform={tmp_path / 'x.npy'}"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "probabilities" in run.stdout, run.stderr[-1000:]


@pytest.mark.slow
def test_synthesizer_export_matches_in_process(tmp_path):
    from ser_synth.synthesis import EmotionalSynthesizer

    syn = EmotionalSynthesizer.pretrained()
    dest = export_model("synthesizer", tmp_path / "tts")
    assert dest == tmp_path / "tts" / "1"
    assert export_model("synthesizer", tmp_path / "tts").name == "2"  # next version
    loaded = tf.saved_model.load(str(dest))
    texts, emotions = ["hello there.", "please close the door now."], ["sad", "angry"]
    out = loaded.signatures["serving_default"](text=tf.constant(texts), emotion=tf.constant(emotions), intensity=tf.constant([1.0, 0.5]),
                                               griffin_lim_iters=tf.constant(32))
    waves, mels = syn.synthesize_batch(texts, emotions=emotions, intensities=[1.0, 0.5], return_mel=True)
    for i in range(2):
        n = int(out["lengths"][i])
        assert n == len(waves[i])
        np.testing.assert_allclose(out["log_mel"][i, :len(mels[i])].numpy(), mels[i], atol=1e-3)
        np.testing.assert_allclose(out["waveform"][i, :n].numpy(), waves[i], atol=1e-3)
    spk = loaded.signatures["with_speaker"](text=tf.constant(texts[:1]), emotion=tf.constant(["happy"]), intensity=tf.constant([1.0]),
                                            speaker=tf.constant(["ravdess/05"]), griffin_lim_iters=tf.constant(8))
    ref = syn.synthesize_batch(texts[:1], emotions="happy", speakers="ravdess/05", return_mel=True)[1][0]
    np.testing.assert_allclose(spk["log_mel"][0, :len(ref)].numpy(), ref, atol=1e-3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown emotion; this synthesizer speaks neutral"):
        loaded.signatures["serving_default"](text=tf.constant(["hi."]), emotion=tf.constant(["joy"]), intensity=tf.constant([1.0]),
                                             griffin_lim_iters=tf.constant(4))
    assert not any(op.startswith("IO>") for op in _op_types(dest))


def test_export_errors(tmp_path):
    with pytest.raises(ModelError, match="no pretrained model named 'nope'"):
        export_model("nope", tmp_path / "x")
    with pytest.raises(ModelError, match="neither a saved recognizer nor a saved synthesizer"):
        export_model("judge4", tmp_path / "x")
    with pytest.raises(ConfigError, match="version must be a positive int, got 0"):
        export_model("core4", tmp_path / "x", version=0)
