"""The REST + WebSocket service, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi", reason="the service needs fastapi + uvicorn (requirements/*.txt)")

from tests.serving.live import OPENER, SAMPLE, post, running_service  # noqa: E402


def test_health_and_docs(url):
    with OPENER.open(f"http://{url}/healthz", timeout=30) as r:
        assert json.loads(r.read())["status"] == "ok"
    with OPENER.open(f"http://{url}/v1/info", timeout=120) as r:
        info = json.loads(r.read())
    assert info["recognizer"]["classes"] == ["angry", "happy", "neutral", "sad"]
    assert "sad" in info["synthesizer"]["emotions"] and info["synthesizer"]["default_speaker"] in info["synthesizer"]["speakers"]
    with OPENER.open(f"http://{url}/", timeout=30) as r:
        assert r.headers.get("Content-Type").startswith("text/html") and b"/v1/synthesize" in r.read()
    with OPENER.open(f"http://{url}/openapi.json", timeout=30) as r:
        assert {"/v1/recognize", "/v1/synthesize", "/healthz"} <= set(json.loads(r.read())["paths"])


def test_recognize_upload(url):
    from ser_synth.recognition import EmotionRecognizer

    status, _, body = post(url, "/v1/recognize", SAMPLE.read_bytes(), "audio/flac")
    assert status == 200, body
    out = json.loads(body)
    expected = EmotionRecognizer.pretrained("core4").predict_proba([str(SAMPLE)])[0]
    assert np.allclose([out["probabilities"][c] for c in sorted(out["probabilities"])], expected, atol=1e-4)
    # the same file as a form field, as `curl -F file=@x.flac` or an HTML form sends it
    boundary = "ser-synth-test-boundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{SAMPLE.name}\"\r\n"
            "Content-Type: audio/flac\r\n\r\n").encode() + SAMPLE.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, _, body = post(url, "/v1/recognize", form, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and json.loads(body)["probabilities"] == out["probabilities"], body
    no_file = f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}--\r\n".encode()
    status, _, body = post(url, "/v1/recognize", no_file, f"multipart/form-data; boundary={boundary}")
    assert status == 400 and "exactly one file field, got 0" in json.loads(body)["detail"]
    status, _, body = post(url, "/v1/recognize", b"not audio at all", "application/octet-stream")
    assert status == 400 and json.loads(body)["detail"] == "audio bytes is not a readable audio file (Format not recognised)"
    status, _, body = post(url, "/v1/recognize", b"\0" * 2_000_001, "application/octet-stream")
    assert status == 413 and "over the limit of 2000000" in json.loads(body)["detail"]



def test_serves_a_fused_recognizer():
    from ser_synth.audio.io import load_audio
    from ser_synth.recognition import load_recognizer

    with running_service(recognizer="core4_fused") as url:
        status, _, body = post(url, "/v1/recognize", SAMPLE.read_bytes(), "audio/flac")
    assert status == 200, body
    fused = load_recognizer("core4_fused")
    # the service decodes the upload and scores the array (each member trims it as for arrays)
    expected = fused.predict_proba([load_audio(SAMPLE, config=fused.audio_config)])[0]
    got = json.loads(body)["probabilities"]
    assert np.allclose([got[c] for c in sorted(got)], expected, atol=1e-4)

def test_synthesize_returns_wav(url):
    req = json.dumps({"text": "Please close the door.", "emotion": "sad", "intensity": 0.8}).encode()
    status, ctype, body = post(url, "/v1/synthesize", req, "application/json")
    assert status == 200 and ctype == "audio/wav"
    y, sr = sf.read(io.BytesIO(body))
    assert sr == 16000 and 0.5 < len(y) / sr < 6
    for bad, code, words in [({"text": "hi", "emotion": "bananas"}, 400, "unknown emotion 'bananas'"),
                             ({"text": "hi", "intensity": 3}, 400, "intensity must be a number in [0, 1]"),
                             ({"text": "x" * 81}, 422, "at most 80 characters"),
                             ({"text": "   "}, 400, "empty")]:
        status, _, body = post(url, "/v1/synthesize", json.dumps(bad).encode(), "application/json")
        assert status == code and words in body.decode(), (bad, body)


def test_stream_rolling_window(url):
    from websockets.sync.client import connect

    from ser_synth.audio.io import load_audio

    y = load_audio(str(SAMPLE), sample_rate=16000)
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2")
    replies = []
    with connect(f"ws://{url}/v1/stream", proxy=None) as ws:
        for i in range(0, 3200 * 8, 3200):  # eight 200 ms chunks
            ws.send(pcm[i:i + 3200].tobytes())
            replies.append(json.loads(ws.recv()))
        ws.send(b"\0\0\0")
        assert "not 16-bit PCM" in json.loads(ws.recv())["error"]
    assert replies[-1]["label"] in ("neutral", "happy", "sad", "angry")
    assert replies[-1]["window_seconds"] == pytest.approx(1.6) and replies[0]["window_seconds"] == pytest.approx(0.2)
