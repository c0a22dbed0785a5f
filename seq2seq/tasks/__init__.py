"""Registry of task kinds: each names its LightningModule and its LightningDataModule.

A new task (tagging, language model, classification, forecasting) is one entry here plus a config
bundle under ``conf/task/``; train/evaluate/predict dispatch through this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from seq2seq.data import dialog_config  # noqa: F401  (registers data.kind=dialog)
from seq2seq.data.datamodule import PairDataModule
from seq2seq.errors import ConfigError
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.forecast import ForecastDataModule, ForecastTask
from seq2seq.tasks.classify import ClassifyTask, LabeledDataModule
from seq2seq.tasks.lm import LanguageModelTask, TextDataModule
from seq2seq.tasks.seq2seq import Seq2SeqTask
from seq2seq.tasks.tagging import ConllDataModule, TaggingTask


@dataclass(frozen=True)
class TaskKind:
    module: type[BaseTask]
    datamodule: type


TASK_KINDS: dict[str, TaskKind] = {
    "seq2seq": TaskKind(Seq2SeqTask, PairDataModule),
    "tagging": TaskKind(TaggingTask, ConllDataModule),
    "forecast": TaskKind(ForecastTask, ForecastDataModule),
    "classify": TaskKind(ClassifyTask, LabeledDataModule),
    "lm": TaskKind(LanguageModelTask, TextDataModule),
}


def task_kind(name: str) -> TaskKind:
    if name not in TASK_KINDS:
        raise ConfigError(f"task.kind={name!r} is unknown; choose one of {sorted(TASK_KINDS)}")
    return TASK_KINDS[name]
