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

--ray local:N|auto|ADDRESS scores ranges of batches, and the sanity check, on the workers
of a Ray cluster (one model per worker) and merges them: the same numbers as in one process.

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
from vgv_core.evaluation.datasets import SYNTHETIC, Dataset, open_dataset
from vgv_core.evaluation.fill import FILLS
from vgv_core.evaluation.methods import MapMethod, MethodSet
from vgv_core.evaluation.report import table, write_csv, write_json, write_plot
from vgv_core.evaluation.sanity import parameter_stages
from vgv_core.explain.cpu import EXACT_MODE_HELP
from vgv_core.explain import methods_for
from vgv_core.explain.methods import METHODS
from vgv_core.models import VideoModel, load_model
from vgv_core.option_types import whole
from vgv_core.output_paths import Output, check_outputs
from vgv_core.progress import Progress
from vgv_core.regions import load_regions
from vgv_core.shipped import named_regions

DEFAULTS = BenchmarkConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    model = parser.add_argument_group("model")
    model.add_argument("--model", default="demo",
                       help="registry arch, spec .json, a Hugging Face save_pretrained folder, or 'demo' (default)")
    model.add_argument("--checkpoint", metavar="PATH", help="weights to load")
    model.add_argument("--num-classes", type=whole(1), help="replace the classification head")
    model.add_argument("--layer", help="CAM layer, dotted name (default: the spec's)")
    model.add_argument("--exact", action="store_true", help=EXACT_MODE_HELP)
    model.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    model.add_argument("--threads", type=whole(1), default=1,
                       help="torch CPU threads, per worker with --ray "
                            "(default 1: threads sharing busy cores stall each other)")
    model.add_argument("--ray", metavar="CLUSTER",
                       help="run on a Ray cluster: local:N (start one of N workers here), auto (join RAY_ADDRESS) or "
                            "ADDRESS. Needs pip install 'videogradvis-live[ray]'")
    data = parser.add_argument_group("data")
    data.add_argument("--data", default=SYNTHETIC, help=f"'{SYNTHETIC}' (test bay with masks, default) or a folder of videos")
    data.add_argument("--regions", metavar="FILE",
                      help="with --data FOLDER: a regions file (the attention guard's) whose regions are the ground "
                           "truth of the pointing game and energy in mask, for the class each clip is explained for")
    data.add_argument("--n", type=whole(1), default=200, help="clips to evaluate (default 200)")
    data.add_argument("--seed", type=whole(0), default=0, help="picks the clips, random maps and tie order (default 0)")
    methods = parser.add_argument_group("methods")
    methods.add_argument("--methods", default="all",
                         help=f"comma list of {', '.join(METHODS)}, or 'all' (default: those the model supports)")
    methods.add_argument("--custom", action="append", default=[], metavar="NAME=MODULE:FUNCTION",
                         help="add a method of your own (repeatable)")
    metrics = parser.add_argument_group("metrics")
    metrics.add_argument("--fill", default=DEFAULTS.fill, choices=tuple(FILLS), help="what deleted voxels become")
    metrics.add_argument("--steps", type=whole(1), default=DEFAULTS.steps,
                         help="deletion/insertion points - 1 (default 5; each point is one forward per clip and method)")
    metrics.add_argument("--frame-steps", type=whole(1), default=DEFAULTS.frame_steps,
                         help="frame-deletion points - 1 (at most the clip length)")
    metrics.add_argument("--sanity-clips", type=whole(1), default=DEFAULTS.sanity_clips, help="clips for the sanity check")
    metrics.add_argument("--tolerance", type=whole(0), metavar="PX",
                         help="pointing game: pixels of the model input (default 15 per 224, 8 at 112)")
    metrics.add_argument("--batch-size", type=whole(1), default=DEFAULTS.batch_size, help="clips explained together")
    metrics.add_argument("--forward-batch", type=whole(1), default=DEFAULTS.forward_batch, help="clips per forward pass")
    out = parser.add_argument_group("outputs")
    out.add_argument("--json", type=Path, required=True, metavar="OUT.json", help="all results")
    out.add_argument("--csv", type=Path, metavar="OUT.csv", help="one row per method (default: beside the JSON)")
    out.add_argument("--plot", type=Path, metavar="OUT.png", help="curves and sanity check per method (needs matplotlib)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    started = time.monotonic()
    if args.ray is not None:
        from vgv_core.cluster.eval_run import evaluate_on_cluster  # Ray is an extra: imported only when asked for

        result, about = evaluate_on_cluster(args)
    else:
        torch.set_num_threads(args.threads)
        vm, methods, dataset, config = build_benchmark(args)
        bars = _Bars(args, vm, config)
        try:
            result = run_benchmark(vm.net, dataset, methods, config, bars)
        finally:
            bars.close()
        about = describe(vm, dataset)
    settings = _settings(args, about, build_config(args, about["clip_len"]), time.monotonic() - started)
    print(table(result))
    write_json(result, settings, outputs["json"])
    write_csv(result, outputs["csv"])
    if outputs["plot"]:
        write_plot(result, outputs["plot"])
    written = ", ".join(str(path) for path in outputs.values() if path)
    print(f"vgv eval: {len(result.clip_names)} clips in {settings['seconds']:.0f} s; wrote {written}", file=sys.stderr)
    return 0


def build_benchmark(args: argparse.Namespace) -> tuple[VideoModel, MethodSet, Dataset, BenchmarkConfig]:
    """The model, methods, clips and settings ``args`` ask for."""
    vm = load_model(args.model, args.num_classes, args.checkpoint, args.device)
    custom = _custom(args.custom) | baseline_methods(args.seed)
    methods = MethodSet(_engine_methods(args.methods, vm.net), custom, args.layer, exact=args.exact)
    regions = load_regions(named_regions(args.regions), vm.spec.labels) if args.regions else None
    dataset = open_dataset(args.data, vm.spec, vm.device, args.n, args.seed, regions)
    return vm, methods, dataset, build_config(args, vm.spec.clip_len)


def build_config(args: argparse.Namespace, clip_len: int) -> BenchmarkConfig:
    return BenchmarkConfig(
        steps=args.steps, frame_steps=min(args.frame_steps, clip_len), fill=args.fill, batch_size=args.batch_size,
        forward_batch=args.forward_batch, sanity_clips=min(args.sanity_clips, args.n), tolerance=args.tolerance,
        seed=args.seed,
    )


def describe(vm: VideoModel, dataset: Dataset) -> dict:
    """What the settings say about the model and data, from wherever they were loaded."""
    return {"arch": vm.spec.arch, "clip_len": vm.spec.clip_len, "crop_size": vm.spec.crop_size,
            "device": str(vm.device), "data": dataset.description, "threads": torch.get_num_threads()}


def _outputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """Where to write, checked before the long run starts."""
    outputs = {"json": args.json, "csv": args.csv or args.json.with_suffix(".csv"), "plot": args.plot}
    inputs = [path for path in (args.model, args.checkpoint, args.regions and named_regions(args.regions))
              if path and Path(path).is_file()]
    if Path(args.data).is_dir():
        inputs += [path for path in Path(args.data).iterdir() if path.is_file()]
    check_outputs([Output(f"--{name}", path) for name, path in outputs.items() if path], inputs)
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


def _settings(args: argparse.Namespace, about: dict, config: BenchmarkConfig, seconds: float) -> dict:
    return {
        "model": str(args.model), "arch": about["arch"], "checkpoint": args.checkpoint, "data": about["data"],
        "device": about["device"], "threads": about["threads"], "torch": torch.__version__,
        "mode": "exact" if args.exact else "fast", "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "clip_len": about["clip_len"], "crop_size": about["crop_size"], "n": args.n, "seed": args.seed,
        "fill": config.fill, "steps": config.steps, "frame_steps": config.frame_steps,
        "sanity_clips": config.sanity_clips, "regions": args.regions and str(named_regions(args.regions)),
        "tolerance_px": config.pointing_tolerance(about["crop_size"]), "seconds": round(seconds, 1), "ray": args.ray,
    }
