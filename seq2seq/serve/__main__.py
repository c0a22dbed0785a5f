"""``python -m seq2seq.serve ckpt_path=... host=127.0.0.1 port=8000``: serve a checkpoint over HTTP."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from seq2seq.cli import one_line_errors
from seq2seq.hydra_schemas import config_dir
from seq2seq.serve.run import serve


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="serve")
@one_line_errors
def main(cfg: DictConfig) -> None:
    serve(cfg)


if __name__ == "__main__":
    main()
