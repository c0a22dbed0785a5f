"""Starting the server: load the checkpoint, build the app, hand it to uvicorn.

With ``workers=1`` the model loads here, before the port opens, so a bad checkpoint is a one-line error.
With ``workers>1`` uvicorn starts that many processes; each builds its own app (and model copy) through
``app_from_env`` from the settings passed in ``SEQ2SEQ_SERVE`` (uvicorn cannot share one app object
between processes). Either way SIGTERM/SIGINT stop accepting connections, answer the requests in flight,
then stop the model thread.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

from omegaconf import DictConfig

from seq2seq.errors import CheckpointError
from seq2seq.serve.config import ServeConfig, serve_config

log = logging.getLogger("seq2seq.serve")
SETTINGS_ENV = "SEQ2SEQ_SERVE"


def load_predictor(settings: ServeConfig):
    """``seq2seq.load`` on the configured checkpoint and device."""
    import torch

    from seq2seq import load

    device = settings.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return load(settings.ckpt_path, device=device)


def build_app(settings: ServeConfig):
    from seq2seq.serve.app import create_app

    return create_app(load_predictor(settings), settings)


def app_from_env():
    """The uvicorn factory used by each worker process when ``workers > 1``."""
    return build_app(ServeConfig(**json.loads(os.environ[SETTINGS_ENV])))


def serve(cfg: DictConfig | dict) -> None:
    import uvicorn
    from hydra.utils import to_absolute_path

    settings = serve_config(cfg)
    settings = dataclasses.replace(settings, ckpt_path=to_absolute_path(settings.ckpt_path))
    common = {"host": settings.host, "port": settings.port, "log_level": "info"}
    if settings.workers == 1:
        uvicorn.run(build_app(settings), **common)
        return
    if not Path(settings.ckpt_path).is_file():
        raise CheckpointError(
            f"{settings.ckpt_path}: no such checkpoint file; pass ckpt_path=<run>/checkpoints/best.ckpt"
        )
    os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
    log.info("starting %d worker processes, each with its own copy of the model", settings.workers)
    uvicorn.run("seq2seq.serve.run:app_from_env", factory=True, workers=settings.workers, **common)
