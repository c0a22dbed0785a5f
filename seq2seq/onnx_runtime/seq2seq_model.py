"""An exported encoder-decoder: the encoder graph and the one-step decoder graph behind the interface the
NumPy search uses (``encode``, ``step``, ``select``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seq2seq.onnx_runtime.session import session


class OnnxSeq2Seq:
    def __init__(self, path: Path, manifest: dict):
        graphs = manifest["graphs"]
        self.encoder = session(path, graphs["encoder"], "encoder")
        self.decoder = session(path, graphs["step"], "step")
        self.state_names: list[str] = manifest["state"]
        self.source_names: list[str] = manifest["source"]
        self.step_outputs = [o["name"] for o in graphs["step"]["outputs"]]

    def encode(self, src: np.ndarray, lengths: np.ndarray) -> tuple[dict, dict]:
        """src (B, S) int64, lengths (B,) → source arrays (memory, keys, mask) and state arrays by name."""
        out = self.encoder.run(None, {"src": src, "src_lengths": lengths})
        n = len(self.source_names)
        return dict(zip(self.source_names, out[:n])), dict(zip(self.state_names, out[n:]))

    def step(self, tokens: np.ndarray, state: dict, source: dict):
        """tokens (R,) → log-probabilities (R, V) float32, attention (R, S) or None, the new state."""
        feeds = {"tokens": tokens, **state, **source}
        out = self.decoder.run(None, feeds)
        attn = out[1] if self.source_names else None
        return out[0], attn, dict(zip(self.state_names, out[2 if self.source_names else 1 :]))

    @staticmethod
    def select(source: dict | None, rows: np.ndarray, state: dict) -> tuple[dict | None, dict]:
        """Rows of the source arrays (axis 0) and of the state (h/c: axis 1, the layers first)."""
        picked = {k: (v[:, rows] if k in ("h", "c") else v[rows]) for k, v in state.items()}
        return ({k: v[rows] for k, v in source.items()} if source is not None else None), picked
