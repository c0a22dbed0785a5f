"""One module → one ``.onnx`` file with the TorchScript exporter (``dynamo=False``: it lowers PyTorch's
fused LSTM/GRU/RNN and packed sequences to ONNX's recurrent ops), and the file's input/output description
for the manifest."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from seq2seq.onnx_runtime.manifest import sha256


def pick_opset(requested: int | None) -> int:
    """The newest opset both the TorchScript exporter and the installed onnxruntime run (or ``requested``)."""
    import onnx
    from torch.onnx import _constants

    newest = min(_constants.ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET, onnx.defs.onnx_opset_version())
    return requested if requested is not None else newest


def export_module(module: torch.nn.Module, args: tuple, path: Path, inputs: dict[str, dict[int, str]],
                  outputs: dict[str, dict[int, str]], opset: int) -> dict:
    """Export ``module`` called on ``args`` (example tensors); ``inputs``/``outputs``: name → dynamic axes
    ({axis: name}). Returns {file, sha256, inputs, outputs} with each tensor's dtype and shape."""
    import onnx

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation notices and tracer warnings
        torch.onnx.export(module.eval(), args, str(path), dynamo=False, input_names=list(inputs),
                          output_names=list(outputs), dynamic_axes={**inputs, **outputs}, opset_version=opset,
                          do_constant_folding=True)
    graph = onnx.load(str(path)).graph
    return {"file": path.name, "sha256": sha256(path), "inputs": [describe(v) for v in graph.input],
            "outputs": [describe(v) for v in graph.output]}


def describe(value) -> dict:
    import onnx

    tensor = value.type.tensor_type
    shape = [d.dim_param or d.dim_value for d in tensor.shape.dim]
    return {"name": value.name, "dtype": onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name, "shape": shape}
