"""The schemas as Hydra sees them: each schema's defaults are stored in Hydra's ConfigStore as
``schema/<section>/<kind>`` (``default`` for a section with one schema), and the presets in ``conf/`` extend
them (``- /schema/model@_here_: seq2seq`` first in their defaults list). So a preset holds only the values
that differ from its schema, and every key of the schema still exists in the composed config, to be
overridden without ``+`` (``model.cell=gru``). The nodes are plain values, not typed: the validation
(``seq2seq.train_config``) stays the one place that checks types, with its one-line messages.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from seq2seq import config
from seq2seq.registry import kinds_of
from seq2seq.resources import config_dir as _conf_dir
from seq2seq.tokenizers.schema import TokenizerConfig

# Sections with one schema (``kind``-less): the node is schema/<section>/default.
SINGLE = {"optim": config.OptimConfig, "scheduler": config.SchedulerConfig, "decoding": config.DecodingConfig,
          "trainer": config.TrainerConfig, "logger": config.LoggerConfig, "callbacks": config.CallbacksConfig,
          "loss": config.LossConfig, "teacher_forcing": config.TeacherForcingConfig, "tokenizer": TokenizerConfig}


def schema_defaults(schema: type) -> dict[str, Any]:
    """The default of every field of a dataclass schema as a plain value ("???" where the user must set it)."""
    out = {}
    for f in dataclasses.fields(schema):
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            value = "???"
        if dataclasses.is_dataclass(value):
            value = schema_defaults(type(value))
        out[f.name] = value.value if isinstance(value, Enum) else value
    return out


def schema_nodes() -> dict[tuple[str, str], type]:
    """(section, node name) → schema, for every node ``register_schema_defaults`` stores."""
    nodes = {(section, "default"): schema for section, schema in SINGLE.items()}
    for group in ("data", "model"):
        nodes.update({(group, kind): s.load()[0] for kind, s in kinds_of(group).items()})
    return nodes


def register_schema_defaults() -> None:
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for (section, name), schema in schema_nodes().items():
        store.store(group=f"schema/{section}", name=name, node=schema_defaults(schema))


def config_dir() -> str:
    """The primary config directory of every entry point, with the schema nodes its presets extend stored."""
    register_schema_defaults()
    return _conf_dir()
