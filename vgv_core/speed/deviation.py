"""How far the fast engine's maps lie from exact mode's: the figures behind the README's bound.

``python -m vgv_core.speed.deviation [--models ...] [--json OUT]`` explains seeded random
clips with both modes in one process and prints, per model and method, the largest difference
as a share of the exact map's peak and the correlation of the two. Run it once more with
``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`` for the AVX2 kernels.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from vgv_core.explain import Explainer
from vgv_core import load_model

METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")
# Every registry arch with ReLU gates, X3D (Swish) and the demo (trained X3D-like, Swish).
MODELS = ("r3d_18", "mc3_18", "r2plus1d_18", "x3d_s", "demo")
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Deviation:
    model: str
    method: str
    clip_shape: tuple[int, ...]
    max_share_of_peak: float  # largest |fast - exact| over the exact raw map's peak |value|
    correlation: float  # of the raw maps, over every value of every clip


def peak_share(fast: Tensor, exact: Tensor) -> float:
    return float((fast - exact).abs().max() / exact.abs().max().clamp_min(torch.finfo(exact.dtype).tiny))


def correlation(fast: Tensor, exact: Tensor) -> float:
    return float(torch.corrcoef(torch.stack([fast.flatten().double(), exact.flatten().double()]))[0, 1])


def measure(model: str, batch: int = 1, seeds: tuple[int, ...] = SEEDS) -> list[Deviation]:
    """Both modes on ``len(seeds)`` random clips of the model's own clip size, each clip
    explained for two classes (the first and the last) in one pass."""
    torch.manual_seed(0)
    vm = load_model(model, num_classes=None if model == "demo" else 6, device="cpu")
    spec = vm.spec
    fast, exact = Explainer(vm.net), Explainer(vm.net, exact=True)
    worst: dict[str, float] = {}
    pairs: dict[str, tuple[list[Tensor], list[Tensor]]] = {m: ([], []) for m in METHODS}
    shape = (batch, 3, spec.clip_len, spec.crop_size, spec.crop_size)
    for seed in seeds:
        clip = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        targets = [[0, spec.num_classes - 1]] * batch
        ours, reference = (e.explain(clip, targets=targets, methods=METHODS) for e in (fast, exact))
        for method in METHODS:
            worst[method] = max(worst.get(method, 0.0), peak_share(ours.raw[method], reference.raw[method]))
            pairs[method][0].append(ours.raw[method])
            pairs[method][1].append(reference.raw[method])
    return [
        Deviation(model, m, shape, worst[m], correlation(torch.cat(pairs[m][0]), torch.cat(pairs[m][1])))
        for m in METHODS
    ]


def markdown(rows: list[Deviation]) -> str:
    lines = [
        f"CPU capability: {torch.backends.cpu.get_cpu_capability()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads",
        "",
        "| model | clip | method | max deviation / peak | 1 - correlation |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.model} | {tuple(r.clip_shape)} | {r.method} | {r.max_share_of_peak:.1e} | {1 - r.correlation:.1e} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vgv_core.speed.deviation", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--json", help="write the rows here too")
    args = parser.parse_args(argv)
    rows = [row for model in args.models for row in measure(model, args.batch)]
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "rows": [asdict(r) for r in rows]}, out, indent=1
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
