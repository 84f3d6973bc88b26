import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ser_synth.cli import main
from tests.conftest import tone, write_wav

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "emodb_cc0"


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args, message", [
    (["train", "--data", "foo:/x", "--out", "o"], "unknown corpus 'foo'"),
    (["train", "--data", "ravdess:/definitely/missing", "--out", "o"], "folder not found"),
    (["train", "--data", "ravdess:/x", "--emotions", "joyful", "--out", "o"], "unknown emotion 'joyful'"),
    (["evaluate", "--model", "nope", "--data", "ravdess:/x"], "no pretrained model named 'nope'"),
    (["predict", "/missing.wav", "--model", "nope"], "no pretrained model named 'nope'"),
    (["synthesize", "hello", "--emotion", "joyful", "-o", "x.wav"], "unknown emotion 'joyful'"),
    (["synthesize", "hello", "--intensity", "1.5", "-o", "x.wav"], "intensity must be a number in [0, 1], got 1.5"),
    (["synthesize", "hello", "--speaker", "bob", "-o", "x.wav"], "unknown speaker 'bob'"),
    (["synthesize", "   ", "-o", "x.wav"], "text is empty"),
    (["synthesize", "hello", "--model", "nope", "-o", "x.wav"], "neither a saved synthesizer folder, a shipped one ('synthesizer') nor 'rule-based'"),
    (["train-synthesizer", "--data", "synthetic:colour=red", "--out", "o"], "bad synthetic corpus option 'colour=red'"),
    (["critique", "--synthesizer", "nope"], "--synthesizer 'nope' is neither a saved synthesizer folder"),
    (["critique", "--critic", "nope"], "no pretrained model named 'nope'"),
    (["critique", "--emotions", "joyful"], "unknown emotion 'joyful'"),
    (["critique", "--n", "0"], "critique needs n > 0"),
    (["export", "--model", ".", "--out", "x"], "'.' is neither a saved recognizer nor a saved synthesizer"),
    (["export", "--model", "core4", "--out", "x", "--version", "-1"], "version must be a positive int, got -1"),
    (["export", "--model", "judge4", "--out", "x", "--tflite", "none"], "--tflite exports CRNN recognizers only"),
])
def test_user_errors_one_line_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(args, capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err and err.startswith("ser-synth: error:")


def test_output_paths_in_the_way_one_line_exit_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("a file")
    Path("folder").mkdir()
    for args, message in [(["synthesize", "hi", "--model", "rule-based", "-o", "taken/x.wav"], "cannot write to 'taken/x.wav': 'taken' is a file"),
                          (["synthesize", "hi", "--model", "rule-based", "-o", "folder"], "cannot write audio to 'folder': it is a folder"),
                          (["train", "--data", f"emodb:{BUNDLED}", "--out", "taken"], "cannot write to 'taken': 'taken' is a file"),
                          (["export", "--model", "core4", "--out", "taken"], "cannot write to 'taken/1': 'taken' is a file")]:
        code, out, err = _run(args, capsys)
        assert code == 2 and err.count("\n") == 1 and message in err, (args, err)
    assert Path("taken").read_text() == "a file"


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--data", "x"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_console_script_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "ser_synth", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "train" in proc.stdout and "evaluate" in proc.stdout and "predict" in proc.stdout


def test_user_error_in_a_fresh_process_is_one_line_on_stderr(tmp_path):
    # TensorFlow's C++ start-up lines go to file descriptor 2, out of capsys's reach
    (tmp_path / "notes.wav").write_text("not audio")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-m", "ser_synth", "predict", str(tmp_path / "notes.wav"), "--model", "ravdess8"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("ser-synth: error: ") and "notes.wav" in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def _tiny_corpus_and_config(tmp_path, epochs=10):
    root = tmp_path / "urdu"
    for spk in ("SM1", "SF2", "SM3", "SF4"):
        for k in range(4):
            write_wav(root / "Sad" / f"{spk}_F1_S{k:02d}.wav", tone(180 + 10 * k, 0.6, seed=k + len(spk)))
            write_wav(root / "Angry" / f"{spk}_F1_A{k:02d}.wav", tone(900 + 20 * k, 0.6, seed=k + 7))
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("audio: {sample_rate: 8000, n_fft: 256, win_length: 200, hop_length: 80, n_mels: 16, n_mfcc: 13}\n"
                   "model: {conv_filters: [8, 16], rnn_units: 16, spec_augment: [0, 0, 0, 0]}\n"
                   f"train: {{epochs: {epochs}, batch_size: 8, learning_rate: 0.005, crop_seconds: 0.5, augment: null, validation_fraction: 0.34}}\n")
    return root, cfg


@pytest.mark.slow
def test_train_with_folds_writes_cv_summary(tmp_path, capsys):
    root, cfg = _tiny_corpus_and_config(tmp_path, epochs=2)
    out = tmp_path / "cv"
    code, stdout, err = _run(["train", "--data", f"urdu:{root}", "--folds", "2", "--out", str(out), "--config", str(cfg), "--verbose", "0"], capsys)
    assert code == 0, err
    cv = json.loads((out / "cv.json").read_text())
    assert len(cv["folds"]) == 2 and cv["speaker_disjoint"]
    assert sorted(s for f in cv["folds"] for s in f["test_speakers"]) == ["urdu/SF2", "urdu/SF4", "urdu/SM1", "urdu/SM3"]
    assert "2-fold speaker-disjoint CV: UAR" in stdout and (out / "model" / "model.keras").is_file()


@pytest.mark.slow
def test_train_evaluate_predict_on_tiny_corpus(tmp_path, capsys):
    root, cfg = _tiny_corpus_and_config(tmp_path)
    out = tmp_path / "run"
    code, stdout, err = _run(["train", "--data", f"urdu:{root}", "--holdout-speakers", "SM3", "--out", str(out), "--config", str(cfg), "--verbose", "0"], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 8 and set(metrics["per_speaker"]) == {"urdu/SM3"} and metrics["speaker_disjoint"]
    assert json.loads((out / "config.json").read_text())["train"]["epochs"] == 10
    assert (out / "plots" / "confusion.png").is_file()
    code, stdout, err = _run(["evaluate", "--model", str(out / "model"), "--data", f"urdu:{root}", "--json", str(tmp_path / "e.json"), "--plots", str(tmp_path / "p")], capsys)
    assert code == 0, err
    rep = json.loads((tmp_path / "e.json").read_text())
    assert {"uar", "wa", "macro_f1", "n", "labels", "confusion", "per_speaker"} <= set(rep)
    assert rep["n"] == 32 and "not speaker-disjoint" in stdout
    assert rep["speaker_adapted"] is False
    code, stdout, err = _run(["evaluate", "--model", str(out / "model"), "--data", f"urdu:{root}", "--speaker-adapt", "--json", str(tmp_path / "a.json")], capsys)
    assert code == 0, err
    adapted = json.loads((tmp_path / "a.json").read_text())
    assert adapted["speaker_adapted"] is True and adapted["n"] == 32 and "speaker-adapted" in stdout
    code, stdout, err = _run(["predict", str(root / "Angry" / "SM3_F1_A00.wav"), "--model", str(out / "model"), "--json", str(tmp_path / "p.json")], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "p.json").read_text())[0]["label"] in ("angry", "sad")


@pytest.mark.parametrize("text, message", [
    ("model: {conv_filters: 8}\n", "bad ModelConfig value"),
    ("model: [unclosed\n", "not valid YAML"),
    ("optimizer: {lr: 1}\n", "sections audio/model/train"),
    ("audio: {sample_rate: 100}\n", "sample_rate must be >= 4000"),
])
def test_bad_config_file_one_line_exit_2(tmp_path, capsys, text, message):
    root = tmp_path / "urdu" / "Sad"
    write_wav(root / "SM1_F1_S01.wav", tone(200, 0.3))
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(text)
    code, out, err = _run(["train", "--data", f"urdu:{tmp_path / 'urdu'}", "--out", str(tmp_path / "o"), "--config", str(cfg)], capsys)
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_synthesize_rule_based_writes_audio(tmp_path, capsys):
    import soundfile as sf

    code, out, err = _run(["synthesize", "The train leaves at 10:30.", "--emotion", "sad", "--intensity", "0.5",
                           "--model", "rule-based", "-o", str(tmp_path / "s.wav")], capsys)
    assert code == 0 and "wrote" in out
    y, sr = sf.read(tmp_path / "s.wav")
    assert sr == 16000 and len(y) / sr > 1.0


def test_synthesize_default_is_the_shipped_model(tmp_path, capsys):
    import soundfile as sf

    with pytest.raises(SystemExit):
        _run(["synthesize", "--help"], capsys)
    assert "'synthesizer'" in capsys.readouterr().out.replace("\n", " ")
    code, out, err = _run(["synthesize", "Please close the door.", "--emotion", "angry", "-o", str(tmp_path / "s.wav")], capsys)
    assert code == 0, err
    y, sr = sf.read(tmp_path / "s.wav")
    assert sr == 16000 and 0.5 < len(y) / sr < 5.0 and np.abs(y).max() > 0.01


@pytest.mark.slow
def test_train_synthesizer_then_synthesize(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SER_SYNTH_CACHE", str(tmp_path / "cache"))
    cfg = tmp_path / "syn.yaml"
    cfg.write_text("audio: {sample_rate: 8000, n_fft: 256, win_length: 200, hop_length: 80, n_mels: 16, n_mfcc: 13}\n"
                   "model: {encoder_dim: 16, encoder_convs: 1, decoder_units: 16, decoder_layers: 1, postnet_layers: 1,"
                   " postnet_channels: 8, linear_channels: 8, duration_channels: 8, emotion_dim: 4, speaker_dim: 4}\n"
                   "train: {batch_size: 4}\n")
    code, out, err = _run(["train-synthesizer", "--data", "synthetic:n_sentences=3,emotions=neutral+sad,intensities=1.0,sample_rate=8000",
                           "--out", str(tmp_path / "run"), "--config", str(cfg), "--steps", "10", "--verbose", "0"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["steps"] == 10
    code, out, err = _run(["synthesize", "Good morning.", "--emotion", "sad", "--model", str(tmp_path / "run" / "model"),
                           "-o", str(tmp_path / "out.wav")], capsys)
    assert code == 0 and (tmp_path / "out.wav").is_file(), err


@pytest.mark.slow
def test_critique_with_shipped_models(tmp_path, capsys):
    code, out, err = _run(["critique", "--n", "2", "--json", str(tmp_path / "c.json"), "--plots", str(tmp_path / "p")], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "c.json").read_text())
    assert result["critic"] == "ravdess8" and result["judge"] == "judge4" and result["n"] == 8
    assert {"critic_accuracy", "judge_accuracy", "confusion", "prob_by_intensity"} <= set(result)
    # the second default judge hears the same utterances
    assert list(result["more_judges"]) == ["judge4v"] and sum(map(sum, result["more_judges"]["judge4v"]["confusion"])) == 8
    assert (tmp_path / "p" / "index.html").is_file() and "judge (judge4)" in out and "judge (judge4v)" in out
    assert (tmp_path / "p" / "judge_judge4v_confusion.png").is_file()


@pytest.mark.slow
def test_critique_rule_based_baseline_in_chosen_voices(tmp_path, capsys):
    args = ["critique", "--synthesizer", "rule-based:naive", "--n", "1", "--judge", "judge4v", "--json", str(tmp_path / "c.json")]
    code, out, err = _run(args + ["--speakers", "espeak/f1,espeak/m1"], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "c.json").read_text())
    assert result["speakers"] == ["espeak/f1", "espeak/m1"] and result["judge"] == "judge4v" and "more_judges" not in result
    code, out, err = _run(args + ["--speakers", "espeak/"], capsys)  # a prefix: all espeak-ng voices, cycled
    assert code == 0, err
    assert len(json.loads((tmp_path / "c.json").read_text())["speakers"]) == 4
    code, out, err = _run(args + ["--speakers", "espeak/f"], capsys)  # no voice, and no prefix without the '/'
    assert code == 2 and "['espeak/f'] are not among the synthesizer's voices" in err
    code, out, err = _run(["critique", "--synthesizer", "rule-based:acted", "--n", "1"], capsys)
    assert code == 2 and "profiles must be one of" in err


def test_export_recognizer_layout(tmp_path, capsys):
    code, out, err = _run(["export", "--model", "ravdess8", "--out", str(tmp_path / "models" / "ravdess8"), "--version", "2"], capsys)
    assert code == 0, err
    assert (tmp_path / "models" / "ravdess8" / "2" / "saved_model.pb").is_file() and "exported ravdess8" in out


def test_export_tflite(tmp_path, capsys):
    code, out, err = _run(["export", "--model", "core4", "--out", str(tmp_path), "--tflite", "none", "--seconds", "1"], capsys)
    assert code == 0, err
    assert (tmp_path / "model_none.tflite").is_file() and "[1, 16000]" in out
    code, out, err = _run(["export", "--model", "core4", "--out", str(tmp_path), "--tflite", "int8", "--seconds", "1"], capsys)
    assert code == 2 and "calibration waveforms are needed" in err and len(err.strip().splitlines()) == 1
    code, out, err = _run(["export", "--model", "core4", "--out", str(tmp_path), "--tflite", "int8", "--seconds", "1",
                           "--calibration", f"emodb:{BUNDLED}"], capsys)
    assert code == 0, err
    assert (tmp_path / "model_int8.tflite").is_file()
    code, out, err = _run(["export", "--model", "core4", "--out", str(tmp_path / "sm"), "--calibration", f"emodb:{BUNDLED}"], capsys)
    assert code == 2 and "--calibration is for --tflite int8 only, got --tflite None" in err
