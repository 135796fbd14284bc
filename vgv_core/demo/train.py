"""Train the demo model: a reduced X3D on freshly rendered test-bay clips, on the CPU.

Every step renders a new batch (clip i of run seed s has seed s * 1e7 + i, classes in
turn, see vgv_core.demo.seeds), so no clip is seen twice and none comes from the
evaluation ranges. With a fixed run seed, the weights are reproducible up to float
summation order (thread count). The model reads 8 frames taken every 4th frame of
30 fps video, ~1 s: enough to see a 1-2 Hz blinker both lit and dark.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from vgv_core.demo.classes import CLASSES
from vgv_core.demo.dataset import model_input, render_clips
from vgv_core.demo.evaluate import Evaluation, evaluate
from vgv_core.demo.seeds import VALIDATION_SEEDS, train_seed
from vgv_core.models.registry import arch_info
from vgv_core.models.spec import ModelSpec
from vgv_core.preprocess import Preprocessor

WEIGHTS_NAME = "demo_x3d.pt"
SPEC_NAME = "spec.json"

# x3d_xs reduced to width 1.0, depth 1.0 and a 256-wide head; the last stage keeps
# stride 16, so the Grad-CAM layer (blocks.4) is 7x7 instead of 4x4 at 112 px.
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
        width_factor=1.0, depth_factor=1.0, head_dim_out=256, dropout_rate=0.0, stage_spatial_stride=[2, 2, 2, 1]
    ),
)


@dataclass(frozen=True)
class TrainConfig:
    out: Path
    seed: int = 0
    steps: int = 500
    batch_size: int = 16
    lr: float = 4e-3
    weight_decay: float = 1e-4
    validation_clips: int = 120
    threads: int = 1  # 2 OpenMP threads stall at barriers when other processes share 2 cores


@dataclass(frozen=True)
class TrainResult:
    spec_path: Path
    minutes: float
    validation: Evaluation


def build_net(spec: ModelSpec) -> nn.Module:
    return arch_info(spec.arch).build(spec.num_classes, spec.clip_len, spec.crop_size, **spec.arch_kwargs)


def train(config: TrainConfig, log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> TrainResult:
    """Train from scratch, validate, then write weights and spec into ``config.out``."""
    started = time.monotonic()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    spec = DEMO_SPEC
    net = build_net(spec).to(memory_format=torch.channels_last_3d).train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=config.steps, pct_start=0.1)
    preprocess = Preprocessor(spec, torch.device("cpu"))
    meter = _Meter()
    for step in range(config.steps):
        first = step * config.batch_size
        seeds = [train_seed(config.seed, first + k) for k in range(config.batch_size)]
        batch, labels = model_input(render_clips(seeds, spec, first_index=first), preprocess)
        logits = net(batch.contiguous(memory_format=torch.channels_last_3d))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        meter.add(loss.item(), (logits.argmax(1) == labels).float().mean().item())
        if (step + 1) % 10 == 0 or step + 1 == config.steps:
            log(_progress(step + 1, config.steps, meter.pop(), time.monotonic() - started))
    net = net.to(memory_format=torch.contiguous_format).eval()
    validation = evaluate(net, spec, range(VALIDATION_SEEDS, VALIDATION_SEEDS + config.validation_clips))
    log(f"validation: {validation.summary()}")
    spec_path = save(net, spec, config.out)
    return TrainResult(spec_path, (time.monotonic() - started) / 60, validation)


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
    """Write weights then spec, each to a temporary name renamed into place."""
    out.mkdir(parents=True, exist_ok=True)
    weights, spec_path = out / spec.weights, out / SPEC_NAME
    temp_weights, temp_spec = out / f".{spec.weights}.tmp", out / f".{SPEC_NAME}.tmp"
    torch.save({k: v.detach().contiguous() for k, v in net.state_dict().items()}, temp_weights)
    spec.to_json(temp_spec)
    os.replace(temp_weights, weights)
    os.replace(temp_spec, spec_path)
    return spec_path
