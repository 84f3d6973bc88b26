import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_recognition_demo_quick(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "recognition_demo.py"), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["speaker_disjoint"] and summary["pretrained_core4"]["n"] == 16
    assert (tmp_path / "plots" / "pretrained_core4_confusion.png").is_file()


@pytest.mark.slow
def test_generate_emotional_speech(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "generate_emotional_speech.py"), "--out", str(tmp_path),
                           "--emotions", "neutral,sad", "--intensities", "1.0", "--text", "Good morning."],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "audio").iterdir()) == ["neutral_1.00.wav", "sad_1.00.wav"]
    page = (tmp_path / "index.html").read_text()
    assert (tmp_path / "spectrograms.png").is_file() and 'src="audio/sad_1.00.wav"' in page and 'src="spectrograms.png"' in page
