"""Attention rollout against a reference written out in full: every attention as an N x N matrix
on the whole token sequence (TimeSformer's divided attention built entry by entry from its per-patch
temporal and per-frame spatial maps), R = I, R <- R + Ā R in forward order, in float64, one
autograd call per clip and class. The engine computes only the row it needs, backwards, in float32:
they agree to 1e-5 of the map's peak.
"""

import pytest
import torch

from vgv_core import Explainer, load_model
from tiny_models import FRAMES, SIZE, TRANSFORMERS, save_transformer

PEAK_SHARE = 1e-5
TARGETS = [0, 2]


@pytest.fixture(scope="module", params=TRANSFORMERS)
def net(request, tmp_path_factory):
    return load_model(save_transformer(tmp_path_factory.mktemp(request.param), request.param), device="cpu").net


def _weighted(probs: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Ā per item of the record: (items, n, n)."""
    return (grad * probs).clamp(min=0).mean(dim=1).double()


def _full_matrix(kind: str, weighted: torch.Tensor, item: int, tokens: int, frames: int) -> torch.Tensor:
    """One clip's Ā of one attention on the whole sequence. Divided attention (TimeSformer): token 0
    is the class token, patch p of frame t is token 1 + p * frames + t."""
    if kind == "joint":
        return weighted[item]
    m = torch.zeros(tokens, tokens, dtype=torch.float64)
    patches = (tokens - 1) // frames
    at = lambda p, t: 1 + p * frames + t  # noqa: E731
    if kind == "temporal":  # items: clip x patch position
        for p in range(patches):
            a = weighted[item * patches + p]
            for t in range(frames):
                for u in range(frames):
                    m[at(p, t), at(p, u)] = a[t, u]
        return m
    for t in range(frames):  # spatial, items: clip x frame; the class token's outputs are averaged over frames
        a = weighted[item * frames + t]
        m[0, 0] += a[0, 0] / frames
        for p in range(patches):
            m[0, at(p, t)] = a[0, 1 + p] / frames
            m[at(p, t), 0] = a[1 + p, 0]
            for q in range(patches):
                m[at(p, t), at(q, t)] = a[1 + p, 1 + q]
    return m


def _reference(net, clip: torch.Tensor) -> torch.Tensor:
    grid = net.token_grid(tuple(clip.shape))
    with torch.enable_grad(), net.recording_attention() as trace:
        logits = net.eval()(clip.clone().requires_grad_())
    maps = []
    for item, target in enumerate(TARGETS):
        grads = torch.autograd.grad(logits[item, target], trace.tensors(), retain_graph=True)
        tokens = trace.tokens.shape[1]
        relevance = torch.eye(tokens, dtype=torch.float64)
        for record, grad in zip(trace.maps, grads):
            attention = _full_matrix(record.kind, _weighted(record.probs.detach(), grad), item, tokens, clip.shape[2])
            relevance = relevance + attention @ relevance
        if net.attention_readout == "mean":
            start = (grads[-1][item] * trace.tokens[item].detach()).sum(dim=-1).clamp(min=0).double()
            start = start / start.sum()
        else:
            start = torch.zeros(tokens, dtype=torch.float64)
            start[0] = 1
        row = start @ relevance
        maps.append(grid.patch_values(row[None].float())[0])
    return torch.stack(maps)


def test_rollout_equals_the_full_matrix_reference(net):
    clip = torch.randn(2, 3, FRAMES, SIZE, SIZE, generator=torch.Generator().manual_seed(4))
    ours = Explainer(net, exact=True).explain(clip, targets=TARGETS, methods=("attention_rollout",))
    theirs = _reference(net, clip)
    peak = theirs.abs().max()
    assert peak > 0
    assert (ours.raw["attention_rollout"] - theirs).abs().max() <= PEAK_SHARE * peak
