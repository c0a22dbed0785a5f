"""Optimizers: the fused kernels are on by default and give the same updates as the per-tensor ones."""

from __future__ import annotations

import pytest
import torch
from conftest import compose_cfg

from seq2seq.optim import build_optimizer
from seq2seq.train_config import validate_train_config


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_fused_and_per_tensor_optimizers_make_the_same_updates(name, train_overrides):
    extra = "optim.momentum=0.9" if name == "sgd" else "optim.lr=0.01"
    cfg = validate_train_config(compose_cfg("train", [*train_overrides, f"optim={name}", extra]))["optim"]
    assert cfg["fused"] is True
    torch.manual_seed(0)
    start = [torch.randn(5, 3), torch.randn(7)]
    results = []
    for fused in (True, False):
        params = [torch.nn.Parameter(p.clone()) for p in start]
        optimizer = build_optimizer(params, {**cfg, "fused": fused})
        assert optimizer.defaults["fused"] is fused
        for step in range(3):
            for p in params:
                p.grad = torch.sin(p.detach() * (step + 1))
            optimizer.step()
        results.append(params)
    for fused_p, plain_p in zip(*results):
        assert torch.allclose(fused_p, plain_p, atol=1e-6)


def test_logged_gradient_norm_is_the_norm_clipping_sees():
    from seq2seq.tasks.base import total_grad_norm

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    model(torch.randn(5, 4)).square().sum().backward()
    norm = total_grad_norm(model.parameters())
    assert torch.allclose(norm, torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9))
    assert total_grad_norm(torch.nn.Linear(2, 2).parameters()) is None  # no gradients yet
