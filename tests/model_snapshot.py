"""A model's state as an explanation must leave it: flags, hooks, patched forwards, gradients, weights."""

import torch
import torch.nn as nn


def snapshot(net: nn.Module):
    return {
        "training": [m.training for m in net.modules()],
        "requires_grad": [p.requires_grad for p in net.parameters()],
        "inplace": [m.inplace for m in net.modules() if hasattr(m, "inplace")],
        "hooks": [
            (len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks)) for m in net.modules()
        ],
        "instance attributes": [sorted(vars(m)) for m in net.modules()],  # no forward left patched
        "grads": [p.grad for p in net.parameters()],
        "state": {k: v.clone() for k, v in net.state_dict().items()},
    }


def assert_same(before, after):
    for key in ("training", "requires_grad", "inplace", "hooks", "instance attributes"):
        assert before[key] == after[key], key
    assert all(g is None for g in after["grads"])
    for name, value in before["state"].items():
        assert torch.equal(value, after["state"][name]), name
