"""Configs read back from a checkpoint or an export manifest, completed with the current schemas' defaults.

A checkpoint stores the validated config of the seq2seq version that trained it, so a key added to a schema
later is absent from older files. Completing each stored section with the current schema's default for every
missing key (``seq2seq.ranges.complete_section``, never replacing a stored value) lets the inference side
index sections directly (``data["normalize"]``), and the schema stays the one place a default is written.
Imports neither torch, Lightning nor OmegaConf: ``seq2seq.load`` and the ONNX runtime complete here.
"""

from __future__ import annotations

from typing import Any

from seq2seq.ranges import complete_section
from seq2seq.registry import current_kind
from seq2seq.train_config import train_sections

# Keys of a training module's hyper-parameters that hold a config section (the others are sizes, labels ...),
# each with the run-config section it is a copy of: every task passes ``cfg["logger"]`` as ``logging``.
HPARAM_SECTIONS = {"model": "model", "optim": "optim", "scheduler": "scheduler", "decoding": "decoding",
                   "loss": "loss", "teacher_forcing": "teacher_forcing", "logging": "logger"}


def section_schema(name: str, stored: Any, sections: dict[str, Any]) -> type | None:
    """The schema of the stored section ``name``: by its ``kind`` for data/model (None for a kind this
    version does not know: nothing to complete it from)."""
    spec = sections.get(name)
    if not isinstance(spec, dict):
        return spec
    kind = stored.get("kind") if isinstance(stored, dict) else None
    return spec.get(kind) if isinstance(kind, str) else None


def rename_kinds(stored: dict) -> dict:
    """``stored`` (a checkpoint's ``seq2seq`` entry or an export manifest) with a renamed task kind
    (``seq2seq.registry.RENAMED_KINDS``), its own and its run config's ``task.kind``, made current in place:
    files written before a rename load as the new kind. Returns ``stored``."""
    if "kind" in stored:
        stored["kind"] = current_kind(stored["kind"])
    config = stored.get("config")
    task = config.get("task") if isinstance(config, dict) else None
    if isinstance(task, dict) and "kind" in task:
        task["kind"] = current_kind(task["kind"])
    return stored


def complete_sections(config: dict, names: dict[str, str] | None = None) -> dict:
    """A copy of ``config`` (a run config, or hyper-parameters with ``names``: stored key → section) whose
    config sections are completed with the current schemas' defaults. A section the file lacks stays absent:
    a whole section's defaults (``task``: translation) could contradict what the file is."""
    sections = train_sections()
    out = dict(config)
    for key, name in (names or {name: name for name in sections}).items():
        schema = section_schema(name, out.get(key), sections)
        if schema is not None and isinstance(out.get(key), dict):
            out[key] = complete_section(out[key], schema)
    return out


def complete_checkpoint(ckpt: dict) -> dict:
    """The checkpoint's run config (``seq2seq.config``) and training-module hyper-parameters completed in
    place (``ckpt`` is a freshly read file); returns ``ckpt``."""
    ckpt["seq2seq"]["config"] = complete_sections(ckpt["seq2seq"]["config"])
    ckpt["hyper_parameters"] = complete_sections(ckpt["hyper_parameters"], HPARAM_SECTIONS)
    return ckpt


def complete_manifest(manifest: dict) -> dict:
    """An export manifest's copies of the run config and hyper-parameters, and its decoding defaults (the
    task's accepted ``decoding_keys`` only), completed the same way; returns ``manifest``."""
    manifest["config"] = complete_sections(manifest["config"])
    manifest["hparams"] = complete_sections(manifest["hparams"], HPARAM_SECTIONS)
    decoding = complete_section(manifest["decoding"], train_sections()["decoding"])
    manifest["decoding"] = {k: v for k, v in decoding.items() if k in manifest["decoding_keys"]}
    return manifest
