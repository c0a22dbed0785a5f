"""``python -m seq2seq.bench [key=value ...]``: see ``conf/bench.yaml`` and ``seq2seq/bench/run.py``."""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from seq2seq.bench.run import run_bench
from seq2seq.cli import one_line_errors
from seq2seq.hydra_schemas import config_dir


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="bench")
@one_line_errors
def main(cfg: DictConfig) -> None:
    run_bench(cfg, [sys.executable, "-m", "seq2seq.bench", *sys.argv[1:]])


if __name__ == "__main__":
    main()
