"""The HTTP API (FastAPI): ``POST /v1/predict``, ``GET /v1/info``, ``GET /health`` and the web page at ``/``.

Every refusal is a 4xx answer ``{"error": "<one line: what is wrong and what to send instead>"}``; the
model thread only ever sees requests that passed these checks, so no request can take the server down.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import ClientDisconnect

from seq2seq.errors import Seq2SeqError
from seq2seq.serve.batcher import MicroBatcher
from seq2seq.serve.config import ServeConfig

log = logging.getLogger("seq2seq.serve")
STATIC = Path(__file__).resolve().parent / "static"


class PredictRequest(BaseModel):
    """``{"inputs": [...], "decoding": {...}}``: one output per input, in order."""

    model_config = ConfigDict(extra="forbid")
    inputs: list[Any] = Field(min_length=1)
    decoding: dict[str, Any] = Field(default_factory=dict)


class PredictResponse(BaseModel):
    outputs: list[Any]


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def input_size(item: Any) -> int:
    """Characters of one input: the text itself, or the JSON text of a structured input (a series)."""
    return len(item) if isinstance(item, str) else len(json.dumps(item))


def check_request(req: PredictRequest, settings: ServeConfig, decoding_keys: frozenset[str]) -> None:
    if len(req.inputs) > settings.max_inputs:
        raise ApiError(
            413,
            f"{len(req.inputs)} inputs in one request; send at most max_inputs="
            f"{settings.max_inputs} (split the list over several requests)",
        )
    for number, item in enumerate(req.inputs):
        if input_size(item) > settings.max_input_chars:
            raise ApiError(
                413,
                f"inputs[{number}] has {input_size(item)} characters; at most max_input_chars="
                f"{settings.max_input_chars} are accepted (shorten or split it)",
            )
    unknown = sorted(set(req.decoding) - decoding_keys)
    if unknown:
        raise ApiError(
            422,
            f"unknown decoding key '{unknown[0]}'; this model accepts: "
            f"{', '.join(sorted(decoding_keys)) or '(none)'}",
        )


def validation_message(err: RequestValidationError) -> tuple[int, str]:
    """FastAPI's list of validation errors → one status and one line."""
    first = err.errors()[0] if err.errors() else {"type": "", "msg": "invalid request", "loc": ()}
    if first.get("type") == "json_invalid":
        return 400, (
            "the request body is not valid JSON; send "
            '{"inputs": ["..."], "decoding": {}} with Content-Type: application/json'
        )
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return 422, f'{where}: {first.get("msg")}; send {{"inputs": ["..."], "decoding": {{}}}}'


def chat_settings(predictor) -> dict:
    """A chatbot's context window, for the web page: it keeps the conversation and sends the last
    ``context_turns`` turns joined by ``separator``, as the model was trained."""
    if predictor.task != "chatbot" or not hasattr(predictor, "chat"):
        return {}
    session = predictor.chat()
    return {"context_turns": session.context_turns, "separator": session.separator}


class ArrivalCounter:
    """ASGI middleware: tells the batcher that a predict request is being received and parsed, so the
    model thread waits for it instead of starting a batch without it. Refuses a body announced larger than
    ``max_bytes`` before reading it, and a body sent without a length (chunked) once more than ``max_bytes``
    of it arrived: memory stays bounded whatever a client sends."""

    def __init__(self, app, batcher: MicroBatcher, max_bytes: int):
        self.app, self.batcher, self.max_bytes = app, batcher, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/v1/predict":
            return await self.app(scope, receive, send)
        size = dict(scope["headers"]).get(b"content-length", b"0")
        if size.isdigit() and int(size) > self.max_bytes:
            message = f"the request body has {int(size)} bytes; at most {self.max_bytes} are read (send fewer inputs)"
            return await error(413, message)(scope, receive, send)
        limit = BodyLimit(scope, receive, send, self.max_bytes)
        arrival = self.batcher.arrival()
        scope.setdefault("state", {})["arrival"] = arrival
        try:
            await self.app(scope, limit.receive, limit.send)
        except ClientDisconnect:
            if not limit.refused:  # a client that really went away
                raise
        finally:
            arrival.done()


class BodyLimit:
    """Counts the body bytes the app reads; past ``max_bytes`` it answers 413 itself, tells the app the
    client left (so it stops reading) and drops whatever the app then tries to send."""

    def __init__(self, scope, receive, send, max_bytes: int):
        self.scope, self._receive, self._send, self.max_bytes = scope, receive, send, max_bytes
        self.read, self.refused = 0, False

    async def receive(self):
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.read += len(message.get("body", b""))
            if self.read > self.max_bytes:
                self.refused = True
                text = (f"the request body has more than {self.max_bytes} bytes; at most {self.max_bytes} are read "
                        "(send fewer inputs)")
                await error(413, text)(self.scope, self._receive, self._send)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message):
        if not self.refused:
            await self._send(message)


def create_app(predictor, settings: ServeConfig) -> FastAPI:
    """The app around a loaded ``predictor`` (``seq2seq.load``'s surface: task, info(), predict(),
    decoding_keys)."""
    batcher = MicroBatcher(predictor, settings.max_batch, settings.max_wait_ms)
    decoding_keys = frozenset(predictor.decoding_keys)
    info = {
        **predictor.info(),
        "task": predictor.task,
        "decoding_keys": sorted(decoding_keys),
        "limits": {
            "max_inputs": settings.max_inputs,
            "max_input_chars": settings.max_input_chars,
            "max_batch": settings.max_batch,
            "max_wait_ms": settings.max_wait_ms,
        },
        **chat_settings(predictor),
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        batcher.close()  # uvicorn has answered the in-flight requests by now

    app = FastAPI(title="seq2seq", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.batcher = batcher
    # JSON may escape a character as six bytes (\uXXXX); 64 KiB for the rest of the body.
    max_bytes = settings.max_inputs * (6 * settings.max_input_chars + 16) + 65_536
    app.add_middleware(ArrivalCounter, batcher=batcher, max_bytes=max_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError):
        return error(*validation_message(err))

    @app.exception_handler(ApiError)
    async def refused(request: Request, err: ApiError):
        return error(err.status, str(err))

    @app.exception_handler(Seq2SeqError)
    async def bad_input(request: Request, err: Seq2SeqError):
        return error(422, str(err))  # the predictor's own check of an input or a decoding value

    @app.exception_handler(Exception)
    async def failed(request: Request, err: Exception):
        log.error("predict failed", exc_info=err)
        return error(500, f"internal error ({type(err).__name__}: {err}); the server keeps running")

    @app.post("/v1/predict", response_model=PredictResponse)
    async def predict(req: PredictRequest, request: Request):
        try:
            check_request(req, settings, decoding_keys)
        finally:
            request.state.arrival.done()
        return {"outputs": await batcher.submit(req.inputs, req.decoding)}

    @app.get("/v1/info")
    async def get_info():
        return info

    @app.get("/health")
    async def health():
        return {"status": "ok", "task": predictor.task}

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
