"""The REST + WebSocket service, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi", reason="the service needs fastapi + uvicorn (requirements/*.txt)")

from ser_synth.serving.service import ServiceConfig, create_app  # noqa: E402

# straight to 127.0.0.1, whatever proxy the environment names
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SAMPLE = sorted((Path(__file__).resolve().parents[2] / "data" / "emodb_cc0").glob("*.flac"))[0]


@pytest.fixture(scope="module")
def url():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(max_upload_bytes=2_000_000, max_text_chars=80)),
                                           host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _post(url, path, body: bytes, content_type: str):
    req = urllib.request.Request(f"http://{url}{path}", data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with _OPENER.open(req, timeout=120) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def test_health_and_docs(url):
    with _OPENER.open(f"http://{url}/healthz", timeout=30) as r:
        assert json.loads(r.read())["status"] == "ok"
    with _OPENER.open(f"http://{url}/openapi.json", timeout=30) as r:
        assert {"/v1/recognize", "/v1/synthesize", "/healthz"} <= set(json.loads(r.read())["paths"])


def test_recognize_upload(url):
    from ser_synth.recognition import EmotionRecognizer

    status, _, body = _post(url, "/v1/recognize", SAMPLE.read_bytes(), "audio/flac")
    assert status == 200, body
    out = json.loads(body)
    expected = EmotionRecognizer.pretrained("core4").predict_proba([str(SAMPLE)])[0]
    assert np.allclose([out["probabilities"][c] for c in sorted(out["probabilities"])], expected, atol=1e-4)
    status, _, body = _post(url, "/v1/recognize", b"not audio at all", "application/octet-stream")
    assert status == 400 and "detail" in json.loads(body)
    status, _, body = _post(url, "/v1/recognize", b"\0" * 2_000_001, "application/octet-stream")
    assert status == 413 and "over the limit of 2000000" in json.loads(body)["detail"]


def test_synthesize_returns_wav(url):
    req = json.dumps({"text": "Please close the door.", "emotion": "sad", "intensity": 0.8}).encode()
    status, ctype, body = _post(url, "/v1/synthesize", req, "application/json")
    assert status == 200 and ctype == "audio/wav"
    y, sr = sf.read(io.BytesIO(body))
    assert sr == 16000 and 0.5 < len(y) / sr < 6
    for bad, code, words in [({"text": "hi", "emotion": "bananas"}, 400, "unknown emotion 'bananas'"),
                             ({"text": "hi", "intensity": 3}, 400, "intensity must be a number in [0, 1]"),
                             ({"text": "x" * 81}, 422, "at most 80 characters"),
                             ({"text": "   "}, 400, "empty")]:
        status, _, body = _post(url, "/v1/synthesize", json.dumps(bad).encode(), "application/json")
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
