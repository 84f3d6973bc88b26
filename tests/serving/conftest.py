"""A live service on 127.0.0.1 (one per test module), shared by the HTTP and browser tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def url():
    """``host:port`` of a running service with small limits."""
    pytest.importorskip("fastapi", reason="the service needs fastapi + uvicorn (requirements/*.txt)")
    from tests.serving.live import running_service

    with running_service(max_upload_bytes=2_000_000, max_text_chars=80) as address:
        yield address
