"""``ilner serve``: a REST service and a web page over trained models."""

from __future__ import annotations

import signal
from typing import Annotated, Optional

import typer

from ilner.cli._app import app, err_console


@app.command("serve")
def serve(
    models: Annotated[list[str], typer.Argument(help="Model directories, each DIR or NAME=DIR (default name: its languages, e.g. hi, ur).", show_default=False)],
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 opens the service to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Processes, each with its own copy of the models.")] = 1,
    backend: Annotated[str, typer.Option(help="torch, torch-bf16, onnx or onnx-int8 (onnx: run `ilner export` first).")] = "torch",
    api_key: Annotated[Optional[str], typer.Option(envvar="ILNER_API_KEY", show_envvar=True, help="Require this key in the X-API-Key header (401 without it).")] = None,
    cors: Annotated[Optional[list[str]], typer.Option("--cors", help="Let pages of this origin call the API (repeatable); off by default.")] = None,
    batch_wait_ms: Annotated[float, typer.Option(min=0, max=1000, help="How long a request waits for others to be tagged with it; 0: no batching.")] = 5.0,
    max_texts: Annotated[int, typer.Option(min=1, help="Texts (or token lists) one request may hold.")] = 128,
    max_chars: Annotated[int, typer.Option(min=1, help="Characters one text may hold.")] = 50_000,
    max_body: Annotated[int, typer.Option(min=1024, help="Bytes one request body may hold.")] = 1_048_576,
    graceful_seconds: Annotated[int, typer.Option(min=0, help="On SIGTERM, how long requests in flight may still run.")] = 30,
) -> None:
    """Serve models over HTTP: an API (POST /v1/ner, GET /v1/models, GET /health, docs at /docs)
    and a page at / to tag text in a browser.

    A request names a model, or gets the one for its text's script (Devanagari: the Hindi model,
    Perso-Arabic: Urdu, ...). Requests that arrive together are tagged in one forward pass.

    Example (after make run): ilner serve runs/fast runs/fast/odia runs/fast/telugu, then
    curl -s localhost:8000/v1/ner -H 'Content-Type: application/json' -d '{"text": "नरेंद्र मोदी दिल्ली में हैं।"}'
    """
    from ilner.inference.tagger import BACKENDS
    from ilner.serving.app import Limits, ServiceSettings
    from ilner.serving.server import ServeOptions, load_models, serve as run_service

    if backend not in BACKENDS:
        raise typer.BadParameter(f"{backend!r}; choose one of {', '.join(BACKENDS)}", param_hint="--backend")
    if api_key is not None and not api_key.strip():
        raise typer.BadParameter("an empty key would let anyone in; leave the option out for no key", param_hint="--api-key")
    settings = ServiceSettings(Limits(max_body, max_texts, max_chars), api_key, list(cors or []), batch_wait_ms)
    options = ServeOptions(list(models), host, port, workers, backend, settings, graceful_seconds)
    loaded = load_models(options)  # every model checked before the port opens
    names = loaded.names
    if workers > 1:
        loaded = None  # only the check: each worker process loads its own copy
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    err_console.print(f"ilner serve: {', '.join(names)} at {where} (page: /, API docs: /docs)"
                      + ("" if api_key else "; no API key") + ("" if host in ("127.0.0.1", "localhost", "::1") else
                      f"; listening on {host}: reachable from other machines"), soft_wrap=True)
    # uvicorn finishes the requests in flight, then raises the SIGTERM again under the handler
    # found at start: this one, so that a service stopped as asked exits 0.
    signal.signal(signal.SIGTERM, _stopped)
    run_service(options, loaded)
    err_console.print("ilner serve: stopped")


def _stopped(sig, frame) -> None:
    err_console.print("ilner serve: stopped")
    raise SystemExit(0)
