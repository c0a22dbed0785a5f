"""Tiny, seconds-long training configs for every task, shared by the contract tests: what a user types,
shrunk to debug-size models and a few batches (the data is each task's own default, or a tiny corpus).
Not a conftest.py: a second module named conftest would shadow tests/conftest.py for `from conftest import`."""

from __future__ import annotations

from pathlib import Path

# Every run: CPU, one process, a handful of batches, no sanity check, no progress bar.
COMMON = ["trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=2", "trainer.limit_train_batches=4",
          "trainer.limit_val_batches=2", "trainer.limit_test_batches=2", "trainer.log_every_n_steps=1",
          "trainer.num_sanity_val_steps=0", "trainer.enable_progress_bar=false", "logger.samples=1"]

# Debug-size models; the data is each task's default (embedded files, the installed chatterbot corpus),
# limited, except translation, which reads the tiny reversal corpus (`{pairs}`).
TASKS = {
    "translation": ["task=translation", "data.path={pairs}", "data.valid_size=10", "data.test_size=10",
                    "data.batch_size=8", "model.hidden_size=16", "model.embedding_dim=8", "decoding.beam_size=2"],
    "chatbot": ["task=chatbot", "data.limit=300", "data.valid_size=16", "data.test_size=16", "data.batch_size=16",
                "tokenizer.vocab_size=120", "model.hidden_size=16", "model.embedding_dim=8",
                "decoding.beam_size=2", "decoding.max_len_cap=20"],
    "lm": ["task=lm", "data.limit=6000", "data.batch_size=4", "data.bptt=16", "model.hidden_size=16",
           "model.embedding_dim=8", "decoding.length=10"],
    "ner": ["task=ner", "debug=ner_fast", "data.batch_size=8"],
    "classify": ["task=classify", "data.limit=200", "data.valid_size=20", "data.test_size=20", "data.batch_size=16",
                 "model.hidden_size=16", "model.embedding_dim=8"],
    "forecast": ["task=forecast", "debug=forecast_fast", "data.window=24", "data.horizon=6"],
}


def task_overrides(task: str, pairs: Path, cache: Path, run: Path, *extra: str, cli: bool = False) -> list[str]:
    """The overrides of a tiny ``task`` run writing into ``run`` (``paths.output_dir`` in-process, Hydra's
    run dir on the command line)."""
    own = [o.replace("{pairs}", str(pairs)) for o in TASKS[task]]
    where = f"hydra.run.dir={run}" if cli else f"paths.output_dir={run}"
    return [*own, *COMMON, f"paths.cache_dir={cache}", where, *extra]
