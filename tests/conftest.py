"""Shared fixtures: a tiny parallel corpus and Hydra composition of the real configs."""

from __future__ import annotations

import inspect
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from seq2seq.hydra_schemas import config_dir, schema_defaults

# Small recurrent models run fastest on one thread, and two threads spinning at every op's barrier make
# them many times slower when the cores are shared. Subprocesses (CLI tests) inherit the variable.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

ROOT = Path(__file__).resolve().parent.parent
CONF = Path(config_dir())  # the entry points' primary config directory (the checkout's conf/ here)
SHARED_DATA = ROOT.parent / "shared" / "data"


def make_reversal_pairs(n: int, seed: int = 0, alphabet: str = "abcdefgh", lo: int = 2, hi: int = 6):
    rng = random.Random(seed)
    seen, pairs = set(), []
    while len(pairs) < n:
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))
        if s not in seen:
            seen.add(s)
            pairs.append((s, s[::-1]))
    return pairs


def model_from_schema(cls: type, schema: type, *sizes, **overrides):
    """``cls(*sizes, ...)``, a model whose constructor has no defaults, with the schema's default for every
    argument not in ``overrides`` (an unknown override still fails in the constructor)."""
    params = inspect.signature(cls).parameters
    defaults = {k: v for k, v in schema_defaults(schema).items() if k in params}
    return cls(*sizes, **{**defaults, **overrides})


@pytest.fixture(autouse=True)
def _restore_root_log_handlers():
    """A test that runs a Hydra main in-process leaves Hydra's handlers on the root logger, writing to
    pytest's captured stream; once that stream closes, every later log line (TensorBoard's reader logs
    at INFO) prints a 'Logging error' traceback. Put the root logger back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in set(root.handlers) - set(handlers):
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """120 tab-separated pairs (string → reversed string)."""
    path = tmp_path / "tiny.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")
    return path


def compose_cfg(config_name: str, overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name=config_name, overrides=overrides)


@pytest.fixture
def train_overrides(tmp_path: Path, tiny_corpus: Path) -> list[str]:
    """Overrides for a seconds-long training run on the tiny corpus, writing under tmp_path."""
    return [
        f"data.path={tiny_corpus}",
        "data.valid_size=20",
        "data.test_size=20",
        "data.batch_size=16",
        f"paths.output_dir={tmp_path / 'run'}",
        f"paths.cache_dir={tmp_path / 'cache'}",
        "debug=fast",
        "trainer.accelerator=cpu",
        "trainer.devices=1",
    ]


@pytest.fixture
def one_thread():
    """One intra-op thread for the test (tiny tensors: fastest, and float reductions reproducible), whatever
    the process had."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run_cli(module: str, args: list[str], cwd: Path, stdin: str | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` as a user types it, one thread, Hydra's one-line errors."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)


def tb_scalars(run_dir: Path, prefixes: tuple[str, ...] = ("train/loss", "val/")) -> dict[str, list]:
    """Every TensorBoard scalar of a run whose tag starts with one of ``prefixes``, as ``tag → [(step,
    value), ...]`` in logging order (a validation logged twice at one step shows up twice)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0}).Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]
            if tag.startswith(prefixes)}


@pytest.fixture(scope="session")
def pairs(tmp_path_factory) -> Path:
    """100 tab-separated pairs (string → reversed string), shared by a whole session (contract tests)."""
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100, lo=3, hi=5)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """A prepared-data cache shared by a whole session."""
    return tmp_path_factory.mktemp("cache")


# A short English text for language-model runs (tests/tasks/lm, tests/unit/config/test_histograms.py).
LM_TEXT = ("Alice was beginning to get very tired of sitting by her sister on the\n"
           "bank, and of having nothing to do: once or twice she had peeped into\n"
           "the book her sister was reading.\n\n"
           "So she was considering in her own mind (as well as she could, for the\n"
           "hot day made her feel very sleepy and stupid), whether the pleasure\n"
           "of making a daisy-chain would be worth the trouble.\n")


def lm_overrides(tmp: Path, corpus: Path, *extra: str) -> list[str]:
    """A language-model run of seconds on ``corpus`` under ``tmp``."""
    return ["task=lm", f"data.path={corpus}", "data.batch_size=4", "data.eval_batch_size=2", "data.bptt=32",
            "model.embedding_dim=16", "model.hidden_size=32", f"paths.output_dir={tmp / 'run'}",
            f"paths.cache_dir={tmp / 'cache'}", "trainer.accelerator=cpu", "trainer.devices=1",
            "trainer.max_epochs=2", "trainer.limit_train_batches=6", "trainer.log_every_n_steps=1",
            "trainer.num_sanity_val_steps=0", "trainer.enable_progress_bar=false", "logger.samples=2",
            "decoding.length=30", *extra]
