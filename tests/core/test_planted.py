"""Planted: per family, a tiny model made to respond only to one space-time corner of the clip
(the first half of the frames, the top-left quarter of the picture); every method's map must put
most of its mass there.

How the model is made to: everything outside the corner is zeroed after the embedding (the
stem) and after every block (stage), and after TimeSformer's temporal step inside its blocks,
so nothing else reaches the output or relays the corner's content. For transformers, which
tokens belong to the corner is found by probing the model's own embedding (the tokens that
change when only the corner's pixels do), not by the engine's token grid, so a wrong token order,
tubelet size or class-token offset in the engine would move the maps out of the corner.

Every class is explained for two clips (a random model's map for one class may be empty: a CAM
weighting negative everywhere); the share is over all of a method's maps. "Most" is more than half. A perfect layer map still spreads past the corner's cells when
upsampled (linear interpolation towards the neighbouring cell): with a 4x4 grid and two frames
of two that leaves about two thirds inside, so the bar is what a correct map clears and a
misplaced one (an eighth of the clip, or less) cannot.
"""

import pytest
import torch
import torch.nn as nn

from vgv_core import Explainer, load_model
from vgv_core.explain.methods import METHODS
from tiny_models import FRAMES, SIZE, SLOWFAST_FRAMES, SLOWFAST_SIZE, TRANSFORMERS, save_transformer

MOST = 0.5
EVERY_CLASS = [[0, 1, 2]] * 2  # the tiny models have three classes
BLOCKS = {"videomae": "VideoMAELayer", "timesformer": "TimesformerLayer", "vivit": "VivitLayer"}


def corner_share(maps: torch.Tensor) -> float:
    """Share of the maps' mass (..., T, H, W) in the first half of the frames, top-left quarter."""
    frames, height, width = maps.shape[-3:]
    total = maps.sum()
    assert total > 0, "every map is empty"
    return float(maps[..., : frames // 2, : height // 2, : width // 2].sum() / total)


def planted_clip(batch: int, frames: int, size: int) -> torch.Tensor:
    """Noise with a bright patch in the corner (only the corner reaches the output anyway)."""
    clip = torch.randn(batch, 3, frames, size, size, generator=torch.Generator().manual_seed(5))
    clip[:, :, : frames // 2, size // 8 : size // 2, size // 8 : size // 2] += 2
    return clip


def _zeroing(keep) -> callable:
    """A forward hook multiplying a module's output (a tensor, the first of a tuple, or a list of
    pathways) by ``keep`` (a function of the tensor)."""

    def hook(module: nn.Module, inputs: tuple, output):
        if isinstance(output, list):
            return [x * keep(x) for x in output]
        if isinstance(output, tuple):
            return (output[0] * keep(output[0]), *output[1:])
        return output * keep(output)

    return hook


def _token_changes(net: nn.Module, embeddings: nn.Module, pixels: torch.Tensor) -> torch.Tensor:
    """Which tokens of the embedding's output differ between a blank clip and ``pixels``."""
    seen = []
    handle = embeddings.register_forward_hook(lambda m, i, o: seen.append(o[0] if isinstance(o, tuple) else o))
    with torch.no_grad():
        net(torch.zeros_like(pixels))
        net(pixels)
    handle.remove()
    return (seen[1] - seen[0]).abs().sum(dim=-1)[0] > 0


def made_to_see_the_corner_only(net: nn.Module, model_type: str) -> nn.Module:
    embeddings = next(m for name, m in net.named_modules() if name.endswith(".embeddings"))
    corner = torch.zeros(1, 3, FRAMES, SIZE, SIZE)
    corner[:, :, : FRAMES // 2, : SIZE // 2, : SIZE // 2] = 1
    in_corner = _token_changes(net, embeddings, corner)
    class_tokens = ~_token_changes(net, embeddings, torch.ones(1, 3, FRAMES, SIZE, SIZE))
    keep = (in_corner | class_tokens).float()[None, :, None]
    assert 0 < in_corner.sum() < len(in_corner)
    hook = _zeroing(lambda tokens: keep)
    embeddings.register_forward_hook(hook)
    for name, module in net.named_modules():
        if type(module).__name__ == BLOCKS[model_type]:
            module.register_forward_hook(hook)
        if name.endswith("temporal_dense"):  # TimeSformer's temporal step, within a block: the patch tokens only
            module.register_forward_hook(_zeroing(lambda tokens: keep[:, -tokens.shape[1]:]))
    return net


@pytest.mark.parametrize("model_type", TRANSFORMERS)
def test_transformer_maps_find_the_corner(model_type, tmp_path):
    net = made_to_see_the_corner_only(load_model(save_transformer(tmp_path, model_type), device="cpu").net, model_type)
    e = Explainer(net, exact=True).explain(planted_clip(2, FRAMES, SIZE), targets=EVERY_CLASS, methods=METHODS)
    shares = {method: corner_share(e.maps[method]) for method in METHODS}
    assert min(shares.values()) > MOST, shares


def _corner_of(x: torch.Tensor) -> torch.Tensor:
    """1 over the first half of the frames and the top-left quarter of a (B, C, t, h, w) feature map, else 0."""
    keep = torch.zeros_like(x[:1, :1])
    t, h, w = x.shape[2:]
    keep[..., : max(1, t // 2), : max(1, h // 2), : max(1, w // 2)] = 1
    return keep


def test_slowfast_maps_find_the_corner():
    torch.manual_seed(0)
    net = load_model("slowfast_r50", num_classes=3, device="cpu").net
    for stage in net.blocks[:5]:  # the stem and the four stages, each outputting [slow, fast]
        stage.register_forward_hook(_zeroing(_corner_of))
    methods = [m for m in METHODS if m != "attention_rollout"]
    e = Explainer(net, exact=True).explain(
        planted_clip(2, SLOWFAST_FRAMES, SLOWFAST_SIZE), targets=EVERY_CLASS, methods=methods
    )
    shares = {method: corner_share(e.maps[method]) for method in methods}
    assert min(shares.values()) > MOST, shares
