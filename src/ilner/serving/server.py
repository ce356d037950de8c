"""Running the service: load the models, build the app, hand it to uvicorn.

With ``workers > 1`` uvicorn starts that many processes on one socket; each builds its app from
the settings this process leaves in ``ILNER_SERVE_SETTINGS`` (``app_from_environment``) and
loads the models itself. On SIGTERM (or Ctrl+C) uvicorn stops taking connections and lets the
requests in flight finish (at most ``graceful_seconds``); a request that still reaches the app
meanwhile gets 503 (``ilner.serving.app``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ilner.serving.app import Limits, ServiceSettings, create_app
from ilner.serving.models import ModelSet

SETTINGS_ENV = "ILNER_SERVE_SETTINGS"


@dataclass
class ServeOptions:
    """Everything ``ilner serve`` was told: the models and the service's settings."""

    models: list[str]
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    backend: str = "torch"
    service: ServiceSettings = field(default_factory=ServiceSettings)
    graceful_seconds: int = 30
    log_level: str = "info"

    def to_json(self) -> str:
        values = asdict(self)
        values["service"].pop("api_key")  # passed to workers by ILNER_API_KEY, not in this variable
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        values = json.loads(text)
        service = values.pop("service")
        limits = Limits(**service.pop("limits"))
        api_key = os.environ.get("ILNER_API_KEY") or None
        return cls(**values, service=ServiceSettings(**service, limits=limits, api_key=api_key))


def load_models(options: ServeOptions) -> ModelSet:
    from ilner.inference.tagger import Tagger

    return ModelSet.load(options.models, lambda source: Tagger.load(source, backend=options.backend))


def app_from_environment():
    """The app of one worker process (uvicorn's factory), from ``ILNER_SERVE_SETTINGS``."""
    options = ServeOptions.from_json(os.environ[SETTINGS_ENV])
    return create_app(load_models(options), options.service)


def serve(options: ServeOptions, models: ModelSet | None) -> None:
    """Serve until stopped: ``models`` in this process, or with ``workers > 1`` (``models`` None)
    in worker processes that each load their own."""
    import uvicorn

    common = dict(host=options.host, port=options.port, log_level=options.log_level,
                  timeout_graceful_shutdown=options.graceful_seconds, limit_concurrency=1024,
                  h11_max_incomplete_event_size=65_536)
    if options.workers > 1:
        os.environ[SETTINGS_ENV] = options.to_json()
        if options.service.api_key:
            os.environ["ILNER_API_KEY"] = options.service.api_key
        uvicorn.run("ilner.serving.server:app_from_environment", factory=True, workers=options.workers, **common)
    else:
        uvicorn.run(create_app(models, options.service), **common)
