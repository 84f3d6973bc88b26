import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _check_demo(out: Path, synthesizers: list[str]) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    assert summary["speaker_disjoint"] and sorted(summary["synthesizers"]) == sorted(synthesizers)
    for s in summary["synthesizers"].values():
        assert 0 <= s["critic_accuracy"] <= 1 and 0 <= s["judge_accuracy"] <= 1 and s["mcd_db"] > 0 and s["n"] > 0
        assert 0 <= s["vocoder_judge_accuracy"] <= 1  # the second judge, judge4v
    for kind in ("recognizer", "synthesizer"):
        export = Path(summary["exports"][kind]["dir"])
        assert (export / "saved_model.pb").is_file() and export.name == "1"
    assert summary["exports"]["recognizer"]["max_abs_diff"] < 1e-4 and summary["exports"]["synthesizer"]["max_abs_diff_log_mel"] < 1e-3
    page = (out / "report.html").read_text()
    for e in ("neutral", "happy", "sad", "angry"):
        for k in ("0.25", "0.50", "1.00"):
            assert f'src="players/audio/{e}_{k}.wav"' in page and (out / "players" / "audio" / f"{e}_{k}.wav").is_file()
    assert 'src="players/spectrograms.png"' in page and "judge_confusion.png" in page and 'src="/' not in page  # media links are relative
    return summary


@pytest.mark.slow
def test_demo_quick(tmp_path):
    proc = _run("demo.py", "--quick", "--out", str(tmp_path))
    summary = _check_demo(tmp_path, ["shipped"])
    assert list(summary["recognizers"]) == ["core4 (shipped)"] and summary["recognizers"]["core4 (shipped)"]["n"] == 16
    assert "[demo 4/4" in proc.stdout and "report.html" in proc.stdout


@pytest.mark.slow
def test_demo_full_pipeline_tiny(tmp_path):
    """Every stage of `make demo` at toy sizes (the real settings are timed by running it)."""
    proc = _run("demo.py", "--out", str(tmp_path), "--corpus-sentences", "3", "--recognizer-epochs", "2", "--synth-steps", "6",
                "--finetune-steps", "4", "--critique-n", "2", "--quality-n", "1")
    summary = _check_demo(tmp_path, ["before fine-tuning", "critic fine-tuned", "control (no critic)"])
    assert summary["synthesizers"]["critic fine-tuned"]["critic_weight"] > 0 == summary["synthesizers"]["control (no critic)"]["critic_weight"]
    assert sorted(summary["recognizers"]) == ["core4 (shipped)", "trained"]
    assert (tmp_path / "models" / "synthesizer" / "model.keras").is_file() and (tmp_path / "models" / "recognizer").is_dir()
    assert "[demo 7/7" in proc.stdout and "Epoch 1/" in proc.stdout  # progress is shown


@pytest.mark.slow
def test_generate_emotional_speech(tmp_path):
    _run("generate_emotional_speech.py", "--out", str(tmp_path), "--emotions", "neutral,sad", "--intensities", "1.0", "--text", "Good morning.")
    assert sorted(p.name for p in (tmp_path / "audio").iterdir()) == ["neutral_1.00.wav", "sad_1.00.wav"]
    page = (tmp_path / "index.html").read_text()
    assert (tmp_path / "spectrograms.png").is_file() and 'src="audio/sad_1.00.wav"' in page and 'src="spectrograms.png"' in page


def test_example_user_errors_are_one_line_and_write_nothing(tmp_path):
    out = tmp_path / "gen"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # TensorFlow's start-up lines are silenced anyway
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "generate_emotional_speech.py"), "--out", str(out),
                           "--model", "rule-based", "--emotions", "happy,joyful"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr == ("generate_emotional_speech.py: error: unknown emotion 'joyful'; this synthesizer speaks "
                           "angry, calm, disgust, fearful, happy, neutral, sad, surprised\n"), proc.stderr
