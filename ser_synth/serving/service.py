"""REST + WebSocket service (FastAPI): recognize uploads, synthesize text, stream recognition.

    ser-synth serve [--host 127.0.0.1] [--port 8000]

- ``GET /`` -> a web page: upload or record audio and see the emotion bars; type a text, pick
  an emotion, an intensity and a voice, and play the result with its spectrogram.
- ``GET /healthz`` -> ``{"status": "ok", ...}``
- ``GET /v1/info`` -> the recognizer's classes and the synthesizer's emotions and voices.
- ``POST /v1/recognize``: the request body is an audio file (WAV/FLAC/OGG/MP3 bytes), or a
  ``multipart/form-data`` form with one file field (``curl -F file=@x.wav``) ->
  ``{"label", "probabilities": {emotion: p}, "seconds"}``
- ``POST /v1/synthesize``: JSON ``{"text", "emotion", "intensity", "speaker"?}`` -> ``audio/wav``
- ``WebSocket /v1/stream``: send 16-bit little-endian PCM chunks (mono, the recognizer's rate,
  e.g. 200 ms = 3200 samples at 16 kHz); after each chunk the server answers with the emotion
  of the last ``window_seconds`` (a rolling window) as JSON.
- OpenAPI docs at ``/docs``.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at run
time, and the request types are imported inside :func:`create_app`.

Bad requests get a 4xx with ``{"detail": "<the ser_synth error message>"}``; uploads over
``max_upload_bytes`` get 413, text over ``max_text_chars`` 422, and work over
``request_timeout_s`` 503.
"""


import asyncio
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ser_synth.utils import DictConfig, check_fields

_PAGE = Path(__file__).with_name("static") / "index.html"


def upload_bytes(body: bytes, content_type: str | None) -> bytes:
    """The audio file in a request: the body itself, or the one file field of a
    ``multipart/form-data`` form (the standard library parses it, so the service needs no
    ``python-multipart``).

    Raises
    ------
    DataError
        A form with no file field, or with more than one.
    """
    if not (content_type or "").lower().startswith("multipart/form-data"):
        return body
    from email.parser import BytesParser
    from email.policy import HTTP

    from ser_synth.exceptions import DataError

    form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    files = [p for p in form.iter_parts() if p.get_filename() is not None] if form.is_multipart() else []
    if len(files) != 1:
        raise DataError(f"a multipart upload needs exactly one file field, got {len(files)}; "
                        "or send the audio file itself as the request body")
    return files[0].get_payload(decode=True) or b""


@dataclass(frozen=True)
class ServiceConfig(DictConfig):
    """Models and limits of the service.

    Parameters
    ----------
    recognizer, synthesizer : str
        Shipped names or saved folders.
    max_upload_bytes : int
    max_text_chars : int
    request_timeout_s : float
    window_seconds : float
        Rolling window of the streaming recognizer.
    """

    recognizer: str = "core4"
    synthesizer: str = "synthesizer"
    max_upload_bytes: int = 10_000_000
    max_text_chars: int = 500
    request_timeout_s: float = 30.0
    window_seconds: float = 2.0

    def __post_init__(self):
        check_fields(self, ("max_upload_bytes", "max_text_chars"), "positive int")
        check_fields(self, ("request_timeout_s", "window_seconds"), "> 0")


def create_app(config: "ServiceConfig | dict | None" = None):
    """The FastAPI application (models load once, at the first request that needs them)."""
    from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from pydantic import BaseModel, Field

    from ser_synth.exceptions import SerSynthError

    cfg = ServiceConfig.from_dict(config)
    app = FastAPI(title="ser_synth", description="Emotional speech: recognition and synthesis.")
    models: dict = {}
    lock = asyncio.Lock()  # one model call at a time: TF already uses every core

    def recognizer():
        if "rec" not in models:
            from ser_synth.recognition import load_recognizer

            models["rec"] = load_recognizer(cfg.recognizer)  # a CRNN, a fusion or a prosodic classifier
        return models["rec"]

    def synthesizer():
        if "syn" not in models:
            from ser_synth.synthesis import EmotionalSynthesizer

            models["syn"] = EmotionalSynthesizer.load_any(cfg.synthesizer)
        return models["syn"]

    async def run(fn, *args):
        async with lock:
            try:
                return await asyncio.wait_for(asyncio.to_thread(fn, *args), cfg.request_timeout_s)
            except asyncio.TimeoutError:
                raise HTTPException(503, f"the request took longer than {cfg.request_timeout_s:g} s") from None

    @app.exception_handler(SerSynthError)
    async def bad_input(request, exc):
        return JSONResponse({"detail": str(exc).splitlines()[0]}, status_code=400)

    def _proba(rec, y):
        p = rec.predict_proba([y])[0]
        return {"label": str(rec.classes_[int(p.argmax())]), "probabilities": {str(c): float(v) for c, v in zip(rec.classes_, p)}}

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "recognizer": cfg.recognizer, "synthesizer": cfg.synthesizer}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse(_PAGE.read_text(encoding="utf-8"))

    @app.get("/v1/info", summary="the recognizer's classes and the synthesizer's emotions and voices")
    async def info():
        def work():
            rec, syn = recognizer(), synthesizer()
            return {"recognizer": {"name": cfg.recognizer, "classes": [str(c) for c in rec.classes_],
                                   "sample_rate": rec.audio_config.sample_rate},
                    "synthesizer": {"name": cfg.synthesizer, "emotions": list(syn.emotions_),
                                    "speakers": list(syn.speakers_), "default_speaker": syn.default_speaker_,
                                    "sample_rate": syn.audio_config.sample_rate},
                    "limits": {"max_upload_bytes": cfg.max_upload_bytes, "max_text_chars": cfg.max_text_chars}}

        return await run(work)

    @app.post("/v1/recognize", summary="emotion of an uploaded audio file (request body: the file's bytes)")
    async def recognize(request: Request):
        from ser_synth.audio.io import load_audio

        body = await request.body()
        if len(body) > cfg.max_upload_bytes:
            raise HTTPException(413, f"upload of {len(body)} bytes is over the limit of {cfg.max_upload_bytes}")
        if not body:
            raise HTTPException(400, "empty upload: send the audio file as the request body")
        content_type = request.headers.get("content-type")

        def work():
            rec = recognizer()
            y = load_audio(upload_bytes(body, content_type), config=rec.audio_config)
            return {**_proba(rec, y), "seconds": len(y) / rec.audio_config.sample_rate}

        return await run(work)

    class SynthesisRequest(BaseModel):
        text: str = Field(..., description="what to say", max_length=cfg.max_text_chars)
        emotion: str = "neutral"
        intensity: float = 1.0
        speaker: str | None = None

    @app.post("/v1/synthesize", summary="speak a text with an emotion -> audio/wav",
              responses={200: {"content": {"audio/wav": {}}}})
    async def synthesize(req: SynthesisRequest):
        import soundfile as sf

        def work():
            syn = synthesizer()
            y = syn.synthesize(req.text, emotion=req.emotion, intensity=req.intensity, speaker=req.speaker)
            buf = io.BytesIO()
            sf.write(buf, y, syn.audio_config.sample_rate, format="WAV", subtype="PCM_16")
            return buf.getvalue()

        return Response(await run(work), media_type="audio/wav")

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket):
        await ws.accept()
        rec = await run(recognizer)
        rate = rec.audio_config.sample_rate
        window = np.zeros(0, np.float32)
        keep = int(cfg.window_seconds * rate)
        try:
            while True:
                chunk = await ws.receive_bytes()
                if len(chunk) % 2:
                    await ws.send_json({"error": f"a chunk of {len(chunk)} bytes is not 16-bit PCM (even length)"})
                    continue
                pcm = np.frombuffer(chunk, "<i2").astype(np.float32) / 32768.0
                window = np.concatenate([window, pcm])[-keep:]
                if len(window) < rec.audio_config.min_samples:
                    await ws.send_json({"window_seconds": len(window) / rate, "label": None})
                    continue
                t = time.perf_counter()
                out = await run(_proba, rec, window)
                await ws.send_json({**out, "window_seconds": len(window) / rate, "latency_ms": 1000 * (time.perf_counter() - t)})
        except WebSocketDisconnect:
            return

    return app


def serve(*, host: str = "127.0.0.1", port: int = 8000, config: "ServiceConfig | dict | None" = None) -> None:
    """Run the service with uvicorn (blocks)."""
    import uvicorn

    print(f"ser_synth service: web page http://{host}:{port}/, API docs http://{host}:{port}/docs", flush=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")
