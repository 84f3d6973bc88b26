"""A live service on 127.0.0.1 (one per test module), shared by the HTTP and browser tests."""

from __future__ import annotations

import socket
import threading
import time

import pytest


@pytest.fixture(scope="module")
def url():
    """``host:port`` of a running service with small limits."""
    pytest.importorskip("fastapi", reason="the service needs fastapi + uvicorn (requirements/*.txt)")
    import uvicorn

    from ser_synth.serving.service import ServiceConfig, create_app

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


