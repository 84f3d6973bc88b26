"""SavedModel export: TF Serving layout, signatures, parity with the in-process models, no tfio ops."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from ser_synth.exceptions import ConfigError, ModelError
from ser_synth.serving import export_model

from tests.helpers import run_recognizer_export_test, saved_model_op_types


def _bundled_clips() -> list[np.ndarray]:
    import librosa

    return [librosa.load(p, sr=16000)[0] for p in sorted((Path(__file__).resolve().parents[2] / "data" / "emodb_cc0").glob("*.flac"))[:3]]


@pytest.fixture(scope="module")
def recognizer_export(tmp_path_factory):
    return export_model("core4", tmp_path_factory.mktemp("serve") / "core4", version=3)


def test_recognizer_signatures_match_the_model(recognizer_export):
    from ser_synth.recognition import EmotionRecognizer

    assert recognizer_export.name == "3" and (recognizer_export / "saved_model.pb").is_file() and (recognizer_export / "variables").is_dir()
    rec = EmotionRecognizer.pretrained("core4")
    loaded = tf.saved_model.load(str(recognizer_export))
    assert set(loaded.signatures) == {"serving_default", "with_lengths", "recognize_wav"}
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 24000))).astype(np.float32)
    out = loaded.signatures["serving_default"](waveform=tf.constant(x))
    expected = rec.predict_proba(list(x))  # each row trimmed and scored as the facade scores its clip
    np.testing.assert_allclose(out["probabilities"].numpy(), expected, atol=1e-5)
    assert [s.decode() for s in out["label"].numpy()] == rec.classes_[expected.argmax(1)].tolist()
    # clips of different lengths in one zero-padded batch, with their lengths: each gets its own answer
    clips = [np.concatenate([np.zeros(4000, np.float32), x[0], np.zeros(4000, np.float32)]), x[1, :16000]]
    batch = np.stack([clips[0], np.pad(clips[1], (0, len(clips[0]) - len(clips[1])))])
    padded = loaded.signatures["with_lengths"](waveform=tf.constant(batch), lengths=tf.constant([len(c) for c in clips]))
    np.testing.assert_allclose(padded["probabilities"].numpy(), rec.predict_proba(clips), atol=1e-5)
    for lengths, message in [([32000], "one entry per waveform row"), ([32000, 100], "at least one analysis frame"),
                             ([32000, 40000], "must not exceed")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            loaded.signatures["with_lengths"](waveform=tf.constant(batch), lengths=tf.constant(lengths))
    # WAV bytes: decoded, trimmed and scored like the Python facade does
    clip = clips[0]
    wav = tf.audio.encode_wav(tf.constant(clip[:, None]), 16000)
    by_wav = loaded.signatures["recognize_wav"](wav=wav)["probabilities"].numpy()
    np.testing.assert_allclose(by_wav, rec.predict_proba([clip]), atol=2e-3)
    assert not any(op.startswith("IO>") for op in saved_model_op_types(recognizer_export))  # no tensorflow-io kernels
    for bad, message in [(np.zeros((1, 10), np.float32), r"at least one analysis frame \(400 samples\)"),
                         (np.full((1, 16000), np.nan, np.float32), "NaN or inf samples")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            loaded.signatures["serving_default"](waveform=tf.constant(bad))


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
    good = {"text": ["hi."], "emotion": ["happy"], "intensity": [1.0], "griffin_lim_iters": 4}
    joy = loaded.signatures["serving_default"](text=tf.constant(["hi."]), emotion=tf.constant(["Joy"]), intensity=tf.constant([1.0]),
                                               griffin_lim_iters=tf.constant(4))  # an alias, as the facade takes it
    happy = syn.synthesize_batch(["hi."], emotions="happy", return_mel=True)[1][0]
    np.testing.assert_allclose(joy["log_mel"][0, :len(happy)].numpy(), happy, atol=1e-3)
    for bad, message in [({"emotion": ["joyful"]}, "unknown emotion; this synthesizer speaks neutral"),
                         ({"emotion": ["happy", "sad"]}, "emotion needs one entry per text"),
                         ({"intensity": [float("nan")]}, r"intensity must be a number in \[0, 1\]"),
                         ({"intensity": [1.5]}, r"intensity must be a number in \[0, 1\]"),
                         ({"griffin_lim_iters": 100_000}, r"griffin_lim_iters must be in \[0, 1000\]"),
                         ({"text": ["?!"]}, "nothing speakable"),
                         ({"text": [], "emotion": [], "intensity": []}, "empty batch")]:
        request = {**good, **bad}
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            loaded.signatures["serving_default"](text=tf.constant(request["text"], tf.string), emotion=tf.constant(request["emotion"], tf.string),
                                                 intensity=tf.constant(request["intensity"], tf.float32),
                                                 griffin_lim_iters=tf.constant(request["griffin_lim_iters"]))
    if importlib.util.find_spec("tensorflow_serving") is not None:  # the same call as a TF Serving PredictRequest
        from ser_synth.serving.tf_serving import predict_request, request_inputs

        req = _round_trip(predict_request(dest, {"text": texts, "emotion": emotions, "intensity": [1.0, 0.5], "griffin_lim_iters": 32},
                                          model_name="synthesizer"))
        again = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in request_inputs(req).items()})
        np.testing.assert_allclose(again["waveform"].numpy(), out["waveform"].numpy(), atol=1e-5)
    assert not any(op.startswith("IO>") for op in saved_model_op_types(dest))


def test_export_errors(tmp_path):
    with pytest.raises(ModelError, match="no pretrained model named 'nope'"):
        export_model("nope", tmp_path / "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="neither a saved recognizer nor a saved synthesizer"):
        export_model(tmp_path / "empty", tmp_path / "x")
    with pytest.raises(ConfigError, match="version must be a positive int, got 0"):
        export_model("core4", tmp_path / "x", version=0)


def test_prosodic_judge_exports(tmp_path):
    run_recognizer_export_test("judge4", _bundled_clips(), 16000, tmp_path, atol=1e-5)


def test_prosodic_perceptron_exports(tiny_audio_config, tmp_path):
    from ser_synth.recognition import ProsodicRecognizer
    from tests.conftest import tone

    clips = [tone(f, 0.6, amp=a, seed=i) for i, (f, a) in enumerate([(120, 0.3), (130, 0.3), (300, 0.05), (320, 0.05), (200, 0.15), (210, 0.15)])]
    rec = ProsodicRecognizer(audio_config=tiny_audio_config, hidden_units=8).fit(clips, ["sad", "sad", "angry", "angry", "happy", "happy"])
    run_recognizer_export_test(rec.save(tmp_path / "mlp"), clips[::2], 8000, tmp_path, atol=1e-4)


@pytest.mark.slow
def test_fused_recognizer_exports(tmp_path):
    # the CRNN + prosodic fusion as one SavedModel (the prosodic statistics as TF ops)
    run_recognizer_export_test("core4_fused", _bundled_clips(), 16000, tmp_path, atol=1e-4)


def _round_trip(message):
    """Serialize and parse a proto, as the gRPC channel would."""
    again = type(message)()
    again.ParseFromString(message.SerializeToString())
    return again


def test_tf_serving_predict_request(recognizer_export):
    pytest.importorskip("tensorflow_serving.apis", reason="needs tensorflow-serving-api (requirements/*.txt)")
    from ser_synth.serving.tf_serving import predict_request, predict_response, request_inputs, response_outputs

    x = (0.1 * np.random.default_rng(2).standard_normal((2, 20000))).astype(np.float64)  # cast to the signature's float32
    req = _round_trip(predict_request(recognizer_export, {"waveform": x}, model_name="core4", version=3))
    assert (req.model_spec.name, req.model_spec.signature_name, req.model_spec.version.value) == ("core4", "serving_default", 3)
    assert req.inputs["waveform"].dtype == tf.float32.as_datatype_enum
    assert [d.size for d in req.inputs["waveform"].tensor_shape.dim] == [2, 20000]
    # what the server does with it: the signature on the decoded inputs; then the response's way back
    loaded = tf.saved_model.load(str(recognizer_export))
    out = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in request_inputs(req).items()})
    resp = _round_trip(predict_response({k: v.numpy() for k, v in out.items()}, model_name="core4"))
    got = response_outputs(resp)
    np.testing.assert_allclose(got["probabilities"], out["probabilities"].numpy())
    from ser_synth.recognition import EmotionRecognizer

    rec = EmotionRecognizer.pretrained("core4")
    np.testing.assert_allclose(got["probabilities"], rec.model_(x.astype(np.float32), training=False)["emotion"].numpy(), atol=1e-5)
    assert [s.decode() for s in got["label"]] == rec.classes_[got["probabilities"].argmax(1)].tolist()
    wav = tf.audio.encode_wav(tf.constant(x[0, :, None], tf.float32), 16000).numpy()
    req = _round_trip(predict_request(recognizer_export, {"wav": wav}, model_name="core4", signature_name="recognize_wav"))
    assert request_inputs(req)["wav"].item() == wav
    by_wav = loaded.signatures["recognize_wav"](**{k: tf.constant(v) for k, v in request_inputs(req).items()})["probabilities"]
    np.testing.assert_allclose(by_wav.numpy(), rec.predict_proba([x[0]]), atol=2e-3)
    with pytest.raises(ConfigError, match=r"takes inputs \['waveform'\]; missing \['waveform'\], unexpected \['audio'\]"):
        predict_request(recognizer_export, {"audio": x}, model_name="core4")
    with pytest.raises(ConfigError, match=r"input 'waveform' must have rank 2 .* got shape \(20000,\)"):
        predict_request(recognizer_export, {"waveform": x[0]}, model_name="core4")
    with pytest.raises(ConfigError, match=r"signature 'predict' is not in .* it has \['recognize_wav', 'serving_default', 'with_lengths'\]"):
        predict_request(recognizer_export, {"waveform": x}, model_name="core4", signature_name="predict")
