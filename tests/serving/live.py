"""Helpers for tests that talk to a live service on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

# straight to 127.0.0.1, whatever proxy the environment names
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SAMPLE = sorted((Path(__file__).resolve().parents[2] / "data" / "emodb_cc0").glob("*.flac"))[0]


def post(url: str, path: str, body: bytes, content_type: str) -> tuple[int, str | None, bytes]:
    """POST ``body``; returns (status, content type, response bytes), also for 4xx/5xx."""
    req = urllib.request.Request(f"http://{url}{path}", data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with OPENER.open(req, timeout=120) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


@contextmanager
def running_service(**config):
    """``host:port`` of the service with these ``ServiceConfig`` fields, on a free port of 127.0.0.1."""
    import uvicorn

    from ser_synth.serving.service import ServiceConfig, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(**config)), host="127.0.0.1", port=port,
                                           log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
