"""The HTTP service: a FastAPI app over a ModelSet and a Batcher.

    GET  /            the page (ilner/serving/static/index.html): type or upload text, see entities
    GET  /health      liveness, and what the service holds
    GET  /v1/models   the models: names, languages, tagset, labels, test scores
    POST /v1/ner      {"text": ...} | {"texts": [...]} | {"tokens": [[...]]}, optional "model",
                      "o_penalty", "format" ("json" or "conll")

Every error is JSON, ``{"error": message, "status": code}``, with a message a person can act
on: 400 for a body that is not UTF-8 or not JSON, 401 without the API key, 413 for a body over
the limit, 422 for a request that breaks a rule (its message says which), 503 while shutting
down. Bad input never reaches the tagger, so it cannot cause a 500.
"""

from __future__ import annotations

import hmac
import json
import math
import signal
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from ilner import __version__
from ilner.data.conll import format_conll
from ilner.data.corpus import Sentence
from ilner.data.jsonl import conll_token_problem, holds_lone_surrogate
from ilner.serving.batching import Batcher, Job
from ilner.serving.models import ModelSet, NoModel

API_KEY_HEADER = "X-API-Key"


@dataclass
class Limits:
    """What one request may hold (each limit is an error with its number, never a cut)."""

    max_body_bytes: int = 1_048_576
    max_texts: int = 128
    max_text_chars: int = 50_000


@dataclass
class ServiceSettings:
    """How the app behaves (``ilner serve``'s options)."""

    limits: Limits = field(default_factory=Limits)
    api_key: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    batch_wait_ms: float = 5.0
    batch_max_texts: int = 256


class NerRequest(BaseModel):
    """The body of ``POST /v1/ner``: exactly one of ``text``, ``texts`` and ``tokens``."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One raw text; entity offsets point into it.")
    texts: list[str] | None = Field(None, description="Raw texts, tagged together.")
    tokens: list[list[str]] | None = Field(None, description="Pre-tokenised sentences; entity start/end are token indices.")
    model: str | None = Field(None, description="A model's name (GET /v1/models); without it, chosen by the text's script.")
    o_penalty: float | None = Field(None, description="Taken off every word's O score: higher finds more entities. Default: the model's.")
    format: Literal["json", "conll"] = Field("json", description="json: entities; conll: token<TAB>tag lines (text/plain).")

    @field_validator("o_penalty")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and abs(value) <= 100):
            raise ValueError("o_penalty must be a number between -100 and 100")
        return value


class EntityOut(BaseModel):
    start: int = Field(description="Character offset into the text (token index for tokens input).")
    end: int = Field(description="End offset, exclusive.")
    label: str
    score: float = Field(description="Mean probability of the entity's tags.")
    text: str


class ResultOut(BaseModel):
    text: str
    entities: list[EntityOut]
    tokens: list[str] | None = None
    tags: list[str] | None = None


class NerResponse(BaseModel):
    model: str = Field(description="The name of the model that answered.")
    results: list[ResultOut]


class RequestProblem(Exception):
    """A request the service refuses: its HTTP status and a message for the person who sent it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def create_app(models: ModelSet, settings: ServiceSettings) -> FastAPI:
    """The service over ``models`` (loaded already: a request never loads anything)."""
    limits = settings.limits
    batcher = Batcher(settings.batch_wait_ms / 1000, settings.batch_max_texts)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        restore = _drain_on_signals(app.state)
        batcher.start()
        yield
        restore()
        await batcher.stop()

    app = FastAPI(title="ilner", version=__version__, lifespan=lifespan,
                  description="Named entities in Indian-language text: offsets into your text, every script, "
                              "Urdu right to left. Errors are JSON: {\"error\": message, \"status\": code}.")
    app.state.draining = False
    app.state.batcher = batcher
    app.add_middleware(_BodyLimit, max_bytes=limits.max_body_bytes)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", API_KEY_HEADER, "Authorization"])
    app.add_middleware(_Draining, app_state=app.state)

    def authorised(request: Request) -> None:
        if settings.api_key is None:
            return
        given = request.headers.get(API_KEY_HEADER) or request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
            raise RequestProblem(401, f"this service needs an API key: send it in the {API_KEY_HEADER} header")

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, error: RequestProblem):
        return error_response(error.status, error.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        message = {404: f"no such endpoint: {request.method} {request.url.path} (see /docs)",
                   405: f"{request.method} is not allowed on {request.url.path} (see /docs)"}.get(error.status_code, str(error.detail))
        return error_response(error.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        return error_response(422, _validation_message(error.errors()))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(resources.files("ilner.serving").joinpath("static/index.html").read_text(encoding="utf-8"))

    @app.get("/health", summary="Liveness: answers while tagging runs")
    async def health() -> dict:
        return {"status": "ok", "models": models.names, "batches": batcher.batches, "version": __version__}

    @app.get("/v1/models", summary="The models this service holds")
    async def list_models(request: Request) -> dict:
        authorised(request)
        return {"models": [m.describe() for m in models.by_name.values()]}

    @app.post("/v1/ner", summary="Find the named entities of texts or token lists", response_model=NerResponse,
              responses={200: {"content": {"text/plain": {}}, "description": "JSON, or CoNLL text with format=conll"},
                         **{code: {"description": what} for code, what in _ERRORS.items()}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": NerRequest.model_json_schema()}}}})
    async def ner(request: Request):
        authorised(request)
        body = parse_body(await request.body(), limits)
        model = _choose(models, body)
        job = Job(model, texts=[body.text] if body.text is not None else body.texts, tokens=body.tokens,
                  o_penalty=body.o_penalty)
        tagged = await batcher.tag(job)
        headers = {"X-Ilner-Model": model.name}
        if body.format == "conll":
            sentences = [Sentence(tuple(t.text for t in r.tokens[a:b]), tuple(r.tags[a:b]))
                         for r in tagged for a, b in r.sentences]
            text = format_conll(sentences) + "\n" if sentences else ""
            return PlainTextResponse(text, headers=headers)
        results = [_result(r, with_tokens=body.tokens is not None) for r in tagged]
        return JSONResponse({"model": model.name, "results": results}, headers=headers)

    return app


_ERRORS = {400: "The body is not UTF-8 or not JSON", 401: "API key missing or wrong",
           413: "The body is over the size limit", 422: "The request breaks a rule (the message says which)",
           503: "The service is shutting down"}


def parse_body(raw: bytes, limits: Limits) -> NerRequest:
    """A request body as a checked NerRequest; RequestProblem (400, 422) otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestProblem(400, f"the request body is not UTF-8 (byte {error.start}); send JSON encoded as UTF-8") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestProblem(400, f"the request body is not valid JSON: {error.msg} at line {error.lineno} "
                                  f"column {error.colno}") from None
    except RecursionError:
        raise RequestProblem(400, "the request body is nested too deeply to read") from None
    if holds_lone_surrogate(value):
        raise RequestProblem(422, "a string holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair), "
                                  "which is no character")
    try:
        body = NerRequest.model_validate(value)
    except ValidationError as error:
        raise RequestProblem(422, _validation_message(error.errors())) from None
    given = [name for name in ("text", "texts", "tokens") if getattr(body, name) is not None]
    if len(given) != 1:
        raise RequestProblem(422, 'send exactly one of "text", "texts" and "tokens"'
                                  + (f" (this request has {' and '.join(given)})" if given else ""))
    inputs = [body.text] if body.text is not None else body.texts if body.texts is not None else body.tokens
    if len(inputs) > limits.max_texts:
        raise RequestProblem(422, f"{len(inputs)} {given[0]} in one request; at most {limits.max_texts}: "
                                  "send them in several requests")
    for index, item in enumerate(inputs):
        where = given[0] if body.text is not None else f"{given[0]}[{index}]"
        size = len(item) if isinstance(item, str) else sum(len(token) + 1 for token in item)
        if size > limits.max_text_chars:
            raise RequestProblem(422, f"{where} has {size} characters; at most {limits.max_text_chars} a text: "
                                      "split it, e.g. at paragraphs")
        if body.tokens is not None:
            _check_tokens(item, where, body.format)
    return body


def _check_tokens(tokens: list[str], where: str, output_format: str) -> None:
    """Tokens as ``ilner predict`` takes them: not blank, and for CoNLL output writable as CoNLL."""
    for position, token in enumerate(tokens):
        if not token.strip():
            raise RequestProblem(422, f"{where}[{position}] is an empty or blank token; leave it out")
        problem = conll_token_problem(token) if output_format == "conll" else None
        if problem:
            raise RequestProblem(422, f"{where}[{position}]: {problem}")


def _choose(models: ModelSet, body: NerRequest):
    texts = [body.text] if body.text is not None else body.texts if body.texts is not None else [" ".join(t) for t in body.tokens]
    try:
        return models.choose(body.model, texts)
    except NoModel as error:
        raise RequestProblem(422, str(error)) from None


def _result(tagged, with_tokens: bool) -> dict:
    result = {"text": tagged.text, "entities": [e.to_dict() for e in tagged.entities]}
    if with_tokens:
        result.update(tokens=[t.text for t in tagged.tokens], tags=tagged.tags)
    return result


def _validation_message(errors: list[dict]) -> str:
    """Pydantic's errors as one line: ``texts[2]: Input should be a valid string; ...``."""
    parts = []
    for error in errors[:3]:
        location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.get("loc", ())
                           if part != "body").lstrip(".")
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "unknown field; the fields are text, texts, tokens, model, o_penalty, format"
        parts.append(f"{location}: {message}" if location else message)
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


class _BodyLimit:
    """Refuses (413) a request whose body is over ``max_bytes``, by its Content-Length or, sent
    in chunks, as soon as it passes the limit; the body is read once and handed on. The rest of
    a refused body is read and dropped (up to ``DRAIN_FACTOR`` times the limit), so that the
    client, still sending, gets the 413 and not a reset connection."""

    DRAIN_FACTOR = 8

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self._refuse(scope, receive, send, more=True)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(scope, receive, send, more=message.get("more_body", False), read=size)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send, more: bool, read: int = 0):
        while more and read <= self.DRAIN_FACTOR * self.max_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            read += len(message.get("body", b""))
            more = message.get("more_body", False)
        response = error_response(413, f"the request body is over {self.max_bytes} bytes; send less text per "
                                       "request", headers={"Connection": "close"})
        await response(scope, receive, send)


def _drain_on_signals(state) -> Callable[[], None]:
    """Set ``state.draining`` on SIGTERM and SIGINT, then let the server's own handler stop it
    (uvicorn's installs before the app starts: stop listening, finish what is in flight).
    Returns what puts the server's handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach only the main thread: an app run by a test client
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def drain(sig, frame):
        state.draining = True
        handler = previous[sig]
        if callable(handler):
            handler(sig, frame)
        else:  # no server's handler: act as before the app started
            signal.signal(sig, handler)
            signal.raise_signal(sig)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, drain)
    return restore


class _Draining:
    """While the service shuts down (SIGTERM), new requests get 503; those in flight finish."""

    def __init__(self, app, app_state):
        self.app = app
        self.state = app_state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.state.draining:
            response = error_response(503, "the service is shutting down; retry on another instance or later",
                                      headers={"Connection": "close", "Retry-After": "5"})
            return await response(scope, receive, send)
        await self.app(scope, receive, send)
