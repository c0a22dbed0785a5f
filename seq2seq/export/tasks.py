"""Per task kind: the model → its ONNX graphs (``graphs.py``), with example inputs for the exporter and
the dynamic axes, then a check on onnxruntime with a batch and lengths unlike the example's (a shape baked
into a graph by tracing would show up there)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from seq2seq.errors import CheckpointError
from seq2seq.export.graphs import (
    ClassifierGraph,
    EncoderGraph,
    ForecastGraph,
    LMGraph,
    PaddedCharLSTM,
    StepGraph,
    TaggerGraph,
    lm_state_names,
    source_names,
    state_names,
    tagger_inputs,
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


def tagger_example(model, lengths: list[int], seed: int) -> dict[str, torch.Tensor]:
    """A batch for the emission graph: random words/casing, one character form per token."""
    g = torch.Generator().manual_seed(seed)
    features, b, t = model.features, len(lengths), max(lengths)
    mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
    words = torch.randint(2, features.words.num_embeddings, (b, t), generator=g).masked_fill(~mask, PAD)
    out = {"words": words, "lengths": torch.tensor(lengths)}
    if features.casing is not None:
        out["casing"] = torch.randint(1, features.casing.num_embeddings, (b, t), generator=g).masked_fill(~mask, 0)
    if features.chars is not None:
        forms = int(mask.sum())
        char_lengths = torch.randint(1, 6, (forms,), generator=g)
        chars = torch.randint(2, features.chars.embed.num_embeddings, (forms, int(char_lengths.max())), generator=g)
        chars = chars.masked_fill(torch.arange(chars.size(1))[None, :] >= char_lengths[:, None], PAD)
        form_index = torch.zeros(b, t, dtype=torch.long)
        form_index[mask] = torch.arange(forms)
        out.update(form_index=form_index, chars=chars, char_lengths=char_lengths)
    return out


def export_tagging(model, out: Path, opset: int) -> dict:
    from seq2seq.models.char_encoder import CharLSTM

    if isinstance(model.features.chars, CharLSTM):
        model = copy.deepcopy(model)
        model.features.chars = PaddedCharLSTM(model.features.chars)
    graph, names = TaggerGraph(model), tagger_inputs(model)
    axes = {"words": SRC, "lengths": BATCH, "casing": SRC, "form_index": SRC,
            "chars": {0: "forms", 1: "chars"}, "char_lengths": {0: "forms"}}
    example = tagger_example(model, [6, 4], 0)
    spec = export_module(graph, tuple(example[n] for n in ["words", "lengths", *names]), out / "model.onnx",
                         {n: axes[n] for n in ["words", "lengths", *names]}, {"emissions": {0: "batch", 1: "src_len"}},
                         opset)
    import onnxruntime as ort

    example = tagger_example(model, [9, 3, 5], 1)
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = graph(*(example[n] for n in ["words", "lengths", *names])).numpy()
    got = sess.run(None, {n: example[n].numpy() for n in ["words", "lengths", *names]})
    mask = (example["words"] != PAD).numpy()
    compare("emission", [got[0][mask]], [want[mask]])  # padded positions are never read
    return {"graphs": {"model": spec}, "inputs": names, "decoder": tagger_decoder(model)}


def tagger_decoder(model) -> dict:
    """How emissions become tags, with the scores the NumPy Viterbi needs (constraints applied)."""
    if model.crf is not None:
        trans, start, end = (t.detach().float().tolist() for t in model.crf.scores())
        return {"output": "crf", "transitions": trans, "start": start, "end": end}
    if model.constrained:
        return {"output": "softmax", "transitions": model.trans_penalty.tolist(),
                "start": model.start_penalty.tolist(), "end": model.end_penalty.tolist()}
    return {"output": "softmax"}


def export_lm(model, out: Path, opset: int) -> dict:
    graph, states = LMGraph(model), lm_state_names(model)
    layers, hidden = model.rnn.num_layers, model.rnn.hidden_size
    axes = {"tokens": SRC, **{n: {1: "batch"} for n in states}}
    tokens, _ = example_ids([5, 5], model.vocab_size, 0)
    zeros = [torch.zeros(layers, 2, hidden) for _ in states]
    spec = export_module(graph, (tokens, *zeros), out / "step.onnx", axes,
                         {"logits": SRC, **{f"new_{n}": {1: "batch"} for n in states}}, opset)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out / "step.onnx"), providers=["CPUExecutionProvider"])
    tokens, _ = example_ids([7, 7, 7], model.vocab_size, 1)
    state = [torch.randn(layers, 3, hidden, generator=torch.Generator().manual_seed(2)) for _ in states]
    with torch.no_grad():
        want = [t.numpy() for t in graph(tokens, *state)]
    compare("language-model step", sess.run(None, {"tokens": tokens.numpy(), **{n: t.numpy() for n, t in
                                                                              zip(states, state)}}), want)
    return {"graphs": {"step": spec}, "state": states, "state_shape": [layers, hidden]}


def compare(what: str, got: list[np.ndarray], want: list[np.ndarray], tol: float = 1e-4) -> None:
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or (g.dtype != bool and not np.allclose(g, w, atol=tol, rtol=0, equal_nan=True)):
            diff = "shape" if g.shape != w.shape else f"{float(np.nanmax(np.abs(g - w))):.2e}"
            raise CheckpointError(f"the exported {what} graph's output {i} differs from PyTorch's ({diff}); "
                                  "please report it with the model config")


EXPORTERS = {"seq2seq": export_seq2seq, "classify": export_classify, "forecast": export_forecast,
             "ner": export_tagging, "lm": export_lm}
