"""The export directory's ``manifest.json``: what ``python -m seq2seq.export`` wrote and the runtime trusts
(task, tokenizers, decoding defaults, graphs with their input/output names and SHA-256). Reading it checks
everything a damaged or mismatched directory could get wrong, each failure one line."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from seq2seq.errors import CheckpointError
from seq2seq.stored_config import complete_manifest, rename_kinds

MANIFEST = "manifest.json"
EXPORT_FORMAT = 1
# The graphs each exported task kind needs.
GRAPHS = {"seq2seq": ("encoder", "step"), "classify": ("model",), "forecast": ("model",), "ner": ("model",), "lm": ("step",)}
FIX = "export it again: python -m seq2seq.export ckpt_path=<run>/checkpoints/best.ckpt out=<dir>"


def to_json(value):
    """Tokenizer states hold bytes (sentencepiece models): base64 in JSON."""
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value):
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: str | Path) -> dict:
    """The checked manifest of the export directory ``path``."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such export directory; {FIX}")
    file = path / MANIFEST
    if not file.is_file():
        raise CheckpointError(f"{path}: a directory without {MANIFEST}, neither a checkpoint file nor an export "
                              "directory; pass <run>/checkpoints/best.ckpt, or a directory written by python -m "
                              "seq2seq.export")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{file}: not valid JSON ({str(err).splitlines()[0][:80]}); {FIX}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        fmt = manifest.get("format") if isinstance(manifest, dict) else None
        raise CheckpointError(f"{file}: export format {fmt!r}, this seq2seq reads format {EXPORT_FORMAT}; {FIX}")
    kind = rename_kinds(manifest)["kind"]  # an export written before a task kind was renamed
    if kind not in GRAPHS:
        raise CheckpointError(f"{file}: task kind {kind!r} has no ONNX runtime here (known: "
                              f"{', '.join(sorted(GRAPHS))}); {FIX}")
    for key in ("task", "config", "hparams", "tokenizers", "decoding", "decoding_keys", "graphs"):
        if key not in manifest:
            raise CheckpointError(f"{file}: damaged manifest (no {key!r}); {FIX}")
    for name in GRAPHS[kind]:
        check_graph(path, manifest["graphs"].get(name), name)
    return complete_manifest(manifest)  # keys added to a schema since the export: their defaults


def check_graph(path: Path, graph: dict | None, name: str) -> None:
    if not isinstance(graph, dict) or not {"file", "sha256", "inputs", "outputs"} <= set(graph):
        raise CheckpointError(f"{path / MANIFEST}: damaged manifest (graph {name!r} missing or incomplete); {FIX}")
    file = path / graph["file"]
    if not file.is_file():
        raise CheckpointError(f"{file}: missing graph file of {name!r}; {FIX}")
    if sha256(file) != graph["sha256"]:
        raise CheckpointError(f"{file}: SHA-256 differs from the manifest's (a changed or damaged file, or a "
                              f"graph of another export); {FIX}")
