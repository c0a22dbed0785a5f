"""onnxruntime sessions of an export directory, checked against the manifest's input and output names."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from seq2seq.errors import CheckpointError
from seq2seq.onnx_runtime.manifest import FIX, MANIFEST


def session(path: Path, graph: dict, name: str):
    """An ``InferenceSession`` on the CPU for the graph ``name``. Threads: ``OMP_NUM_THREADS`` when set (as
    PyTorch), else onnxruntime's default."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise CheckpointError("onnxruntime is not installed; pip install 'seq2seq[onnx]'") from None
    options = ort.SessionOptions()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit():
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(str(path / graph["file"]), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # noqa: BLE001 - onnxruntime raises its own types for any unreadable model
        raise CheckpointError(f"{path / graph['file']}: onnxruntime cannot load the graph "
                              f"({str(err).strip().splitlines()[0][:120]}); {FIX}") from None
    got = ([i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()])
    want = ([i["name"] for i in graph["inputs"]], [o["name"] for o in graph["outputs"]])
    if got != want:
        raise CheckpointError(f"{path / graph['file']}: the graph's inputs/outputs {got} are not the ones "
                              f"{MANIFEST} names {want}; {FIX}")
    return sess


def pad_rows(rows: list, pad: int, suffix: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Id sequences (+ ``suffix``, e.g. EOS, as the training collate adds it) → (B, S) int64 padded at the
    end with ``pad``, lengths (B,) int64."""
    rows = [list(r) + ([suffix] if suffix is not None else []) for r in rows]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    out = np.full((len(rows), int(lengths.max())), pad, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out, lengths
