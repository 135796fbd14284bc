"""Train the demo model: a reduced X3D on freshly rendered test-bay clips, on the CPU.

Every step renders a new batch (clip i of run seed s has seed s * 1e7 + i, classes in
turn, see vgv_core.demo.seeds), so no clip is seen twice and none comes from the
evaluation ranges. The model reads 8 frames taken every 4th frame of 30 fps video,
~1 s: enough to see a 1-2 Hz blinker both lit and dark. Besides the class loss, a
training-only lamp probe (LampProbe) supervises the Grad-CAM layer with the
generator's lamp positions.

With the same run seed and thread count, two runs write bit-identical weights (float
summation order depends on the thread count). The default is one thread: on a 2-core
machine shared with other work, two OpenMP threads wait at barriers and run ~2x slower.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.demo.classes import CLASSES, LAMPS
from vgv_core.demo.dataset import TrainBatches
from vgv_core.demo.evaluate import Evaluation, evaluate
from vgv_core.demo.seeds import VALIDATION_SEEDS
from vgv_core.models.registry import arch_info
from vgv_core.models.spec import ModelSpec

WEIGHTS_NAME = "demo_x3d.pt"
SPEC_NAME = "spec.json"
LAMP_LOSS_WEIGHT = 1.0
LIT_CELL_WEIGHT = 5.0

# x3d_xs reduced to width 1.0, depth 1.0 and a 256-wide head. The stem takes 5x5 steps
# of 4 px (cheap: no 56x56 stage) and the last two stages keep stride 16, so the
# Grad-CAM layer (blocks.4) is 7x7 instead of 4x4 at 112 px.
DEMO_SPEC = ModelSpec(
    arch="x3d_xs",
    num_classes=len(CLASSES),
    labels=CLASSES,
    clip_len=8,
    frame_stride=4,
    crop_size=112,
    resize_mode="stretch",
    target_layer="blocks.4",
    weights=WEIGHTS_NAME,
    arch_kwargs=dict(
        width_factor=1.0, depth_factor=1.0, head_dim_out=256, dropout_rate=0.0,
        stem_conv_kernel_size=[5, 5, 5], stem_conv_stride=[1, 4, 4], stage_spatial_stride=[2, 2, 1, 1],
    ),
)


@dataclass(frozen=True)
class TrainConfig:
    out: Path
    seed: int = 0
    steps: int = 560
    batch_size: int = 16
    lr: float = 4e-3
    weight_decay: float = 1e-4
    validation_clips: int = 120
    threads: int = 1  # see the module doc


@dataclass(frozen=True)
class TrainResult:
    spec_path: Path
    minutes: float
    validation: Evaluation


def build_net(spec: ModelSpec) -> nn.Module:
    return arch_info(spec.arch).build(spec.num_classes, spec.clip_len, spec.crop_size, **spec.arch_kwargs)


class LampProbe(nn.Module):
    """Deep supervision, used in training only: from the target layer's features, a 1x1x1
    conv predicts which lamp is lit in which frame and grid cell.

    X3D ends in global average pooling, so its head cannot see WHERE a lit bulb is; the
    class loss alone takes many steps to make the trunk tell the vehicle's left bulb from
    its right one. Asking the trunk for per-lamp maps teaches that early. The shipped
    model is the plain X3D: the probe is dropped after training.
    """

    def __init__(self, net: nn.Module, spec: ModelSpec) -> None:
        super().__init__()
        self.features: dict[str, Tensor] = {}
        layer = dict(net.named_modules())[spec.target_layer]
        self._hook = layer.register_forward_hook(lambda _m, _i, out: self.features.__setitem__("out", out))
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, spec.clip_len, spec.crop_size, spec.crop_size))
        channels, self.grid = self.features["out"].shape[1], tuple(self.features["out"].shape[-2:])
        self.conv = nn.Conv3d(channels, len(LAMPS), kernel_size=1)

    def loss(self, targets: Tensor) -> Tensor:
        # Lit cells are rare (a few of 49 per lamp and frame): weigh them up so the probe
        # does not settle on "nothing is lit" first.
        weight = torch.tensor(LIT_CELL_WEIGHT, dtype=targets.dtype)
        return F.binary_cross_entropy_with_logits(self.conv(self.features.pop("out")), targets, pos_weight=weight)

    def remove(self) -> None:
        self._hook.remove()


def train(config: TrainConfig, log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> TrainResult:
    """Train from scratch, validate, then write weights and spec into ``config.out``."""
    started = time.monotonic()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    spec = DEMO_SPEC
    net = build_net(spec)
    probe = LampProbe(net, spec)
    try:
        _optimise(net, probe, spec, config, lambda step, means: log(
            _progress(step, config.steps, means, time.monotonic() - started)))
    finally:
        probe.remove()
    net = net.to(memory_format=torch.contiguous_format).eval()
    validation = evaluate(net, spec, range(VALIDATION_SEEDS, VALIDATION_SEEDS + config.validation_clips))
    log(f"validation: {validation.summary()}")
    spec_path = save(net, spec, config.out)
    return TrainResult(spec_path, (time.monotonic() - started) / 60, validation)


def _optimise(
    net: nn.Module, probe: LampProbe, spec: ModelSpec, config: TrainConfig,
    report: Callable[[int, tuple[float, float]], None],
) -> None:
    net.to(memory_format=torch.channels_last_3d).train()
    parameters = list(net.parameters()) + list(probe.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, config.lr, total_steps=config.steps, pct_start=0.05, div_factor=5.0
    )
    batches = TrainBatches(spec, config.seed, config.batch_size, config.steps, probe.grid)
    # One worker renders the next batches while this process trains.
    loader = DataLoader(batches, batch_size=None, num_workers=1, prefetch_factor=2)
    meter = _Meter()
    for step, (batch, labels, lamps) in enumerate(loader, start=1):
        logits = net(batch.contiguous(memory_format=torch.channels_last_3d))
        loss = F.cross_entropy(logits, labels) + LAMP_LOSS_WEIGHT * probe.loss(lamps)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        meter.add(loss.item(), (logits.argmax(1) == labels).float().mean().item())
        if step % 10 == 0 or step == config.steps:
            report(step, meter.pop())


class _Meter:
    """Running means of loss and accuracy between progress lines."""

    def __init__(self) -> None:
        self.values: list[tuple[float, float]] = []

    def add(self, loss: float, accuracy: float) -> None:
        self.values.append((loss, accuracy))

    def pop(self) -> tuple[float, float]:
        n = max(1, len(self.values))
        means = (sum(v[0] for v in self.values) / n, sum(v[1] for v in self.values) / n)
        self.values.clear()
        return means


def _progress(step: int, steps: int, means: tuple[float, float], elapsed: float) -> str:
    eta = elapsed / step * (steps - step)
    return (
        f"step {step}/{steps}  loss {means[0]:.3f}  batch accuracy {means[1]:.0%}  "
        f"elapsed {elapsed / 60:.1f} min  eta {eta / 60:.1f} min"
    )


def save(net: nn.Module, spec: ModelSpec, out: Path) -> Path:
    """Write weights and spec, each to a temporary name renamed into place when complete."""
    out.mkdir(parents=True, exist_ok=True)
    weights, spec_path = out / spec.weights, out / SPEC_NAME
    temps = {weights: temp_path_beside(weights), spec_path: temp_path_beside(spec_path)}
    try:
        torch.save({k: v.detach().contiguous() for k, v in net.state_dict().items()}, temps[weights])
        spec.to_json(temps[spec_path])
        for final, temp in temps.items():
            publish(temp, final)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return spec_path
