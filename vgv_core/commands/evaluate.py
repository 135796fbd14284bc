"""Benchmark explanation methods: faithfulness, localisation and sanity, as a table, JSON, CSV and PNG.

For every method (and the random and centre-bias baselines) on every clip: deletion
and insertion curves and areas (most relevant voxels first, towards a blurred or mean
clip), the frame-deletion curve, average drop and increase in confidence, and, on the
synthetic test bay, the pointing game and energy in the lamp masks; then the cascading
model-randomisation sanity check on the first --sanity-clips clips. See
docs/evaluation.md for what each number means.

Custom methods: --custom NAME=module:function, where the function has the signature
function(net, clips (B, C, T, H, W), targets (B,)) -> maps (B, T, H, W) (see
vgv_core.evaluation.methods).

exit codes: 0 done; 2 bad input or arguments (nothing written); 130 interrupted
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from pathlib import Path

import torch

from vgv_core.errors import VGVError
from vgv_core.evaluation.baselines import BASELINES, baseline_methods
from vgv_core.evaluation.benchmark import BenchmarkConfig, run_benchmark
from vgv_core.evaluation.datasets import SYNTHETIC, open_dataset
from vgv_core.evaluation.fill import FILLS
from vgv_core.evaluation.methods import MapMethod, MethodSet
from vgv_core.evaluation.report import table, write_csv, write_json, write_plot
from vgv_core.evaluation.sanity import parameter_stages
from vgv_core.explain.cpu import EXACT_MODE_HELP
from vgv_core.explain import methods_for
from vgv_core.explain.methods import METHODS
from vgv_core.models import VideoModel, load_model
from vgv_core.progress import Progress

DEFAULTS = BenchmarkConfig()


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    model = parser.add_argument_group("model")
    model.add_argument("--model", default="demo",
                       help="registry arch, spec .json, a Hugging Face save_pretrained folder, or 'demo' (default)")
    model.add_argument("--checkpoint", metavar="PATH", help="weights to load")
    model.add_argument("--num-classes", type=_count, help="replace the classification head")
    model.add_argument("--layer", help="CAM layer, dotted name (default: the spec's)")
    model.add_argument("--exact", action="store_true", help=EXACT_MODE_HELP)
    model.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    model.add_argument("--threads", type=_count, default=1,
                       help="torch CPU threads (default 1: threads sharing busy cores stall each other)")
    data = parser.add_argument_group("data")
    data.add_argument("--data", default=SYNTHETIC, help=f"'{SYNTHETIC}' (test bay with masks, default) or a folder of videos")
    data.add_argument("--n", type=_count, default=200, help="clips to evaluate (default 200)")
    data.add_argument("--seed", type=_natural, default=0, help="picks the clips, random maps and tie order (default 0)")
    methods = parser.add_argument_group("methods")
    methods.add_argument("--methods", default="all",
                         help=f"comma list of {', '.join(METHODS)}, or 'all' (default: those the model supports)")
    methods.add_argument("--custom", action="append", default=[], metavar="NAME=MODULE:FUNCTION",
                         help="add a method of your own (repeatable)")
    metrics = parser.add_argument_group("metrics")
    metrics.add_argument("--fill", default=DEFAULTS.fill, choices=tuple(FILLS), help="what deleted voxels become")
    metrics.add_argument("--steps", type=_count, default=DEFAULTS.steps,
                         help="deletion/insertion points - 1 (default 5; each point is one forward per clip and method)")
    metrics.add_argument("--frame-steps", type=_count, default=DEFAULTS.frame_steps,
                         help="frame-deletion points - 1 (at most the clip length)")
    metrics.add_argument("--sanity-clips", type=_count, default=DEFAULTS.sanity_clips, help="clips for the sanity check")
    metrics.add_argument("--tolerance", type=_natural, metavar="PX",
                         help="pointing game: pixels of the model input (default 15 per 224, 8 at 112)")
    metrics.add_argument("--batch-size", type=_count, default=DEFAULTS.batch_size, help="clips explained together")
    metrics.add_argument("--forward-batch", type=_count, default=DEFAULTS.forward_batch, help="clips per forward pass")
    out = parser.add_argument_group("outputs")
    out.add_argument("--json", type=Path, required=True, metavar="OUT.json", help="all results")
    out.add_argument("--csv", type=Path, metavar="OUT.csv", help="one row per method (default: beside the JSON)")
    out.add_argument("--plot", type=Path, metavar="OUT.png", help="curves and sanity check per method (needs matplotlib)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    torch.set_num_threads(args.threads)
    vm = load_model(args.model, args.num_classes, args.checkpoint, args.device)
    custom = _custom(args.custom) | baseline_methods(args.seed)
    methods = MethodSet(_engine_methods(args.methods, vm.net), custom, args.layer, exact=args.exact)
    dataset = open_dataset(args.data, vm.spec, vm.device, args.n, args.seed)
    config = BenchmarkConfig(
        steps=args.steps, frame_steps=args.frame_steps, fill=args.fill, batch_size=args.batch_size,
        forward_batch=args.forward_batch, sanity_clips=min(args.sanity_clips, args.n), tolerance=args.tolerance,
        seed=args.seed,
    )
    started, bars = time.monotonic(), _Bars(args, vm, config)
    try:
        result = run_benchmark(vm.net, dataset, methods, config, bars)
    finally:
        bars.close()
    settings = _settings(args, vm, dataset.description, config, time.monotonic() - started)
    print(table(result))
    write_json(result, settings, outputs["json"])
    write_csv(result, outputs["csv"])
    if outputs["plot"]:
        write_plot(result, outputs["plot"])
    written = ", ".join(str(path) for path in outputs.values() if path)
    print(f"vgv eval: {len(result.clip_names)} clips in {settings['seconds']:.0f} s; wrote {written}", file=sys.stderr)
    return 0


def _outputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """Where to write, checked before the long run starts."""
    outputs = {"json": args.json, "csv": args.csv or args.json.with_suffix(".csv"), "plot": args.plot}
    for path in filter(None, outputs.values()):
        if not path.parent.is_dir():
            raise VGVError(f"cannot write {path}: folder {path.parent} does not exist")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise VGVError("--plot needs matplotlib: pip install 'videogradvis-live[plot]'")
    return outputs


def _engine_methods(text: str, net: torch.nn.Module) -> tuple[str, ...]:
    if text == "all":
        return methods_for(net)
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _custom(specs: list[str]) -> dict[str, MapMethod]:
    methods = {}
    for spec in specs:
        name, _, target = spec.partition("=")
        module_name, _, attribute = target.partition(":")
        if not (name and module_name and attribute):
            raise VGVError(f"--custom wants NAME=MODULE:FUNCTION, got {spec!r}")
        if name in BASELINES or name in methods:
            raise VGVError(f"--custom {spec}: the name {name!r} is taken; choose another")
        try:
            method = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise VGVError(f"--custom {spec}: cannot load {target}: {exc}") from None
        methods[name] = method
    return methods


class _Bars:
    """Progress on stderr, counted in frames of the clips evaluated: the metrics pass,
    then (a second bar, started when it starts) the sanity check."""

    def __init__(self, args: argparse.Namespace, vm: VideoModel, config: BenchmarkConfig) -> None:
        self.quiet, self.frames = args.quiet, vm.spec.clip_len
        self.stages, self.sanity_clips = len(parameter_stages(vm.net)), config.sanity_clips
        self.clips = Progress(f"eval {args.n} clips", args.n * self.frames, self.quiet)
        self.sanity: Progress | None = None

    def __call__(self, phase: str, done: int) -> None:
        if phase == "clips":
            self.clips.update(done * self.frames)
            return
        if self.sanity is None:
            self.clips.close()
            total = self.stages * self.sanity_clips * self.frames
            self.sanity = Progress(f"sanity check, {self.sanity_clips} clips", total, self.quiet)
        self.sanity.update(done * self.sanity_clips * self.frames)

    def close(self) -> None:
        (self.sanity or self.clips).close()


def _settings(args: argparse.Namespace, vm: VideoModel, data: str, config: BenchmarkConfig, seconds: float) -> dict:
    return {
        "model": str(args.model), "arch": vm.spec.arch, "checkpoint": args.checkpoint, "data": data,
        "device": str(vm.device), "threads": torch.get_num_threads(), "torch": torch.__version__,
        "mode": "exact" if args.exact else "fast", "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "clip_len": vm.spec.clip_len, "crop_size": vm.spec.crop_size, "n": args.n, "seed": args.seed,
        "fill": config.fill, "steps": config.steps, "frame_steps": min(config.frame_steps, vm.spec.clip_len),
        "sanity_clips": config.sanity_clips,
        "tolerance_px": config.pointing_tolerance(vm.spec.crop_size), "seconds": round(seconds, 1),
    }
