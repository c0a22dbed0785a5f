"""Per task kind: the model → its ONNX graphs (``graphs.py``), with example inputs for the exporter and
the dynamic axes, then a check on onnxruntime with a batch and lengths unlike the example's (a shape baked
into a graph by tracing would show up there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from seq2seq.errors import CheckpointError
from seq2seq.export.graphs import (
    ClassifierGraph,
    EncoderGraph,
    ForecastGraph,
    StepGraph,
    source_names,
    state_names,
)
from seq2seq.export.onnx_file import export_module
from seq2seq.tokenizers import EOS, PAD

BATCH, SRC = {0: "batch"}, {0: "batch", 1: "src_len"}
STATE_AXES = {"h": {1: "batch"}, "c": {1: "batch"}, "feed": {0: "batch"}, "coverage": {0: "batch", 1: "src_len"}}
SOURCE_AXES = {"memory": SRC, "keys": SRC, "mask": SRC}


def example_ids(lengths: list[int], vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids in [4, vocab) ending in EOS, padded with PAD: (B, S), lengths (B,)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.full((len(lengths), max(lengths)), PAD, dtype=torch.long)
    for i, n in enumerate(lengths):
        ids[i, : n - 1] = torch.randint(4, max(vocab, 5), (n - 1,), generator=g)
        ids[i, n - 1] = EOS
    return ids, torch.tensor(lengths, dtype=torch.long)


def export_seq2seq(model, out: Path, opset: int) -> dict:
    states, sources = state_names(model), source_names(model)
    src, lengths = example_ids([6, 4], model.encoder.embedding.num_embeddings, 0)
    encoder = EncoderGraph(model)
    enc = export_module(encoder, (src, lengths), out / "encoder.onnx", {"src": SRC, "src_lengths": BATCH},
                        {**{n: SOURCE_AXES[n] for n in sources}, **{n: STATE_AXES[n] for n in states}}, opset)
    with torch.no_grad():
        encoded = encoder(src, lengths)
    n = len(sources)
    tokens = torch.tensor([4, 5])
    step_outputs = {"logp": BATCH, **({"attn": SRC} if sources else {}),
                    **{f"new_{s}": STATE_AXES[s] for s in states}}
    step = export_module(StepGraph(model), (tokens, *encoded[n:], *encoded[:n]), out / "step.onnx",
                         {"tokens": BATCH, **{s: STATE_AXES[s] for s in states},
                          **{s: SOURCE_AXES[s] for s in sources}}, step_outputs, opset)
    check_seq2seq(model, out, states, sources)
    return {"graphs": {"encoder": enc, "step": step}, "state": states, "source": sources}


def check_seq2seq(model, out: Path, states: list[str], sources: list[str]) -> None:
    """Encoder and two decoder steps on onnxruntime against PyTorch, at a batch/length the export never saw."""
    import onnxruntime as ort

    src, lengths = example_ids([9, 3, 5], model.encoder.embedding.num_embeddings, 1)
    enc = ort.InferenceSession(str(out / "encoder.onnx"), providers=["CPUExecutionProvider"])
    step = ort.InferenceSession(str(out / "step.onnx"), providers=["CPUExecutionProvider"])
    got = enc.run(None, {"src": src.numpy(), "src_lengths": lengths.numpy()})
    with torch.no_grad():
        want = [t.numpy() for t in EncoderGraph(model)(src, lengths)]
        compare("encoder", got, want)
        n, tokens = len(sources), torch.tensor([4, 5, 6])
        for _ in range(2):
            feeds = {"tokens": tokens.numpy(), **dict(zip(states, got[n:])), **dict(zip(sources, got[:n]))}
            got_step = step.run(None, feeds)
            want_step = [t.numpy() for t in StepGraph(model)(tokens, *map(torch.from_numpy, want[n:]),
                                                               *map(torch.from_numpy, want[:n]))]
            compare("decoder step", got_step, want_step)
            k = 2 if sources else 1
            got, want = [*got[:n], *got_step[k:]], [*want[:n], *want_step[k:]]
            tokens = torch.from_numpy(got_step[0].argmax(-1))


def export_classify(model, out: Path, opset: int) -> dict:
    graph = ClassifierGraph(model)
    tokens, lengths = example_ids([6, 4], model.encoder.embedding.num_embeddings, 0)
    spec = export_module(graph, (tokens, lengths), out / "model.onnx", {"tokens": SRC, "lengths": BATCH},
                         {"logits": BATCH}, opset)
    import onnxruntime as ort

    tokens, lengths = example_ids([9, 3, 5], model.encoder.embedding.num_embeddings, 1)
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        compare("classifier", sess.run(None, {"tokens": tokens.numpy(), "lengths": lengths.numpy()}),
                [graph(tokens, lengths).numpy()])
    return {"graphs": {"model": spec}}


def export_forecast(model, out: Path, opset: int) -> dict:
    graph = ForecastGraph(model)
    features = model.encoder.input_size
    x = torch.randn(2, 6, features, generator=torch.Generator().manual_seed(0))
    spec = export_module(graph, (x,), out / "model.onnx", {"x": {0: "batch", 1: "window"}}, {"forecast": BATCH},
                         opset)
    import onnxruntime as ort

    x = torch.randn(3, 9, features, generator=torch.Generator().manual_seed(1))
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        compare("forecaster", sess.run(None, {"x": x.numpy()}), [graph(x).numpy()], tol=1e-5)
    return {"graphs": {"model": spec}}


def compare(what: str, got: list[np.ndarray], want: list[np.ndarray], tol: float = 1e-4) -> None:
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or (g.dtype != bool and not np.allclose(g, w, atol=tol, rtol=0, equal_nan=True)):
            diff = "shape" if g.shape != w.shape else f"{float(np.nanmax(np.abs(g - w))):.2e}"
            raise CheckpointError(f"the exported {what} graph's output {i} differs from PyTorch's ({diff}); "
                                  "please report it with the model config")


EXPORTERS = {"seq2seq": export_seq2seq, "classify": export_classify, "forecast": export_forecast}
