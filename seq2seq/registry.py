"""Task kinds, each registered here explicitly: name → data and model schemas (with the rules between their
keys), training module, datamodule and predictor.

Entries are ``"module:attribute"`` references, imported when used: validating a config imports only the
schemas, and the inference side (``seq2seq.inference``) looks up a predictor without importing Lightning.
Adding a task is one ``register_task`` call below (ARCHITECTURE.md, "Add a task").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from seq2seq.errors import ConfigError


def resolve(ref: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Schema:
    """A ``data.kind`` or ``model.kind``: its dataclass and, optionally, ``rules(cfg)`` between keys (called
    with the whole validated config)."""

    schema: str
    rules: str | None = None

    def load(self) -> tuple[type, Callable[[dict], None] | None]:
        return resolve(self.schema), resolve(self.rules) if self.rules else None


@dataclass(frozen=True)
class TaskKind:
    name: str
    training: str  # the LightningModule
    data_module: str  # the LightningDataModule
    predictor_ref: str  # plain PyTorch: checkpoint → outputs
    tokenizers: tuple[str, ...]  # the tokenizers a checkpoint of this kind holds (checkpoint["seq2seq"])
    user_name: str  # what the user calls the task (seq2seq: translation or chatbot, refined by the data)
    data: dict[str, Schema] = field(default_factory=dict)
    model: dict[str, Schema] = field(default_factory=dict)

    @property
    def module(self) -> type:
        return resolve(self.training)

    @property
    def datamodule(self) -> type:
        return resolve(self.data_module)

    @property
    def predictor(self) -> type:
        return resolve(self.predictor_ref)


TASK_KINDS: dict[str, TaskKind] = {}

# Task kinds renamed since files were written: old name → current. Checkpoints, export manifests and configs
# that say the old name are read as the new one (``current_kind``), where they are read, never at each use.
RENAMED_KINDS = {"tagging": "ner"}


def current_kind(name):
    """``name``, or the current name of a renamed task kind (non-strings come back as they are)."""
    return RENAMED_KINDS.get(name, name) if isinstance(name, str) else name


def register_task(kind: TaskKind) -> None:
    TASK_KINDS[kind.name] = kind


register_task(TaskKind(
    "seq2seq", "seq2seq.tasks.seq2seq.module:Seq2SeqTask", "seq2seq.data.pairs.datamodule:PairDataModule",
    "seq2seq.inference.translation:TranslationPredictor", ("source", "target"), "translation",
    data={"parallel": Schema("seq2seq.tasks.seq2seq.config:ParallelDataConfig"),
          "dialog": Schema("seq2seq.data.dialogs.schema:DialogDataConfig")},
    model={"seq2seq": Schema("seq2seq.tasks.seq2seq.config:Seq2SeqModelConfig",
                             "seq2seq.tasks.seq2seq.config:model_rules")},
))
register_task(TaskKind(
    "ner", "seq2seq.tasks.ner.module:TaggingTask", "seq2seq.data.conll.datamodule:ConllDataModule",
    "seq2seq.inference.ner:NERPredictor", ("vocab",), "ner",
    data={"conll": Schema("seq2seq.tasks.ner.config:ConllDataConfig", "seq2seq.tasks.ner.config:data_rules")},
    model={"tagger": Schema("seq2seq.tasks.ner.config:TaggerModelConfig")},
))
register_task(TaskKind(
    "forecast", "seq2seq.tasks.forecast.module:ForecastTask",
    "seq2seq.data.series.datamodule:ForecastDataModule",
    "seq2seq.inference.forecast:ForecastPredictor", (), "forecast",
    data={"csv_series": Schema("seq2seq.tasks.forecast.config:SeriesDataConfig",
                               "seq2seq.tasks.forecast.config:data_rules")},
    model={"forecaster": Schema("seq2seq.tasks.forecast.config:ForecasterModelConfig",
                                "seq2seq.tasks.forecast.config:model_rules")},
))
register_task(TaskKind(
    "classify", "seq2seq.tasks.classify.module:ClassifyTask",
    "seq2seq.data.labeled.datamodule:LabeledDataModule",
    "seq2seq.inference.classify:ClassifyPredictor", ("text",), "classify",
    data={"labeled": Schema("seq2seq.tasks.classify.config:LabeledDataConfig",
                            "seq2seq.tasks.classify.config:data_rules")},
    model={"classifier": Schema("seq2seq.tasks.classify.config:ClassifierModelConfig")},
))
register_task(TaskKind(
    "lm", "seq2seq.tasks.lm.module:LanguageModelTask", "seq2seq.data.text.datamodule:TextDataModule",
    "seq2seq.inference.lm:LMPredictor", ("text",), "lm",
    data={"text": Schema("seq2seq.tasks.lm.config:TextDataConfig")},
    model={"lm": Schema("seq2seq.tasks.lm.config:LMModelConfig")},
))


def task_kind(name: str) -> TaskKind:
    if name not in TASK_KINDS:
        raise ConfigError(f"task.kind={name!r} is unknown; choose one of {sorted(TASK_KINDS)}")
    return TASK_KINDS[name]


def kinds_of(group: str) -> dict[str, Schema]:
    """Every ``<group>.kind`` (group: data | model) of every task: a kind's schema does not depend on the task."""
    return {name: schema for task in TASK_KINDS.values() for name, schema in getattr(task, group).items()}
