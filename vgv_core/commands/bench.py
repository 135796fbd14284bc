"""Time explanations against the bare forward/backward passes and against captum and pytorch-grad-cam.

Every variant of a model runs round-robin in this one process after a warm-up; the
figures are medians, and the ratios compare variants measured side by side.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import torch

from vgv_core.atomic_file import write_text_atomically
from vgv_core.attention_guard import AttentionGuard
from vgv_core.benchmark.report import CaseResult, live_markdown, machine_description, markdown, text_table
from vgv_core.benchmark.timing import time_round_robin
from vgv_core.benchmark.variants import bare_variants, compiled_variants, our_variants, peer_variants
from vgv_core.json_text import json_text
from vgv_core.models import load_model, resolve_device
from vgv_core.option_types import real, whole
from vgv_core.output_paths import Output, check_outputs
from vgv_core.regions import load_regions
from vgv_core.shipped import named_regions

DEFAULT_MODELS = ["demo", "x3d_s", "x3d_m", "r3d_18", "r2plus1d_18"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help="arch names, spec paths or 'demo'")
    parser.add_argument("--batch", nargs="+", type=whole(1, 1024), default=[1], help="batch sizes (default: 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--repeats", type=whole(1, 10_000), default=5, help="timed rounds per variant (default: 5)")
    parser.add_argument(
        "--warmup",
        type=whole(0, 10_000),
        default=2,
        help="untimed calls per variant first (default 2; an explainer's first pass of a kind also learns "
        "which batch norms to fold)",
    )
    parser.add_argument("--no-peers", action="store_true", help="skip captum and pytorch-grad-cam")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile'd models (slow warm-up)")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="time only variants whose name contains TEXT")
    parser.add_argument("--json", type=Path, help="write all figures to this JSON file")
    parser.add_argument("--markdown", type=Path, help="write a report such as docs/benchmarks.md")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    live = parser.add_argument_group("live worker (--live replaces the pass timings)")
    live.add_argument("--live", action="store_true", help="push frames at --live-fps through the live worker instead")
    live.add_argument("--live-fps", type=real(0, 1000, low_open=True), default=60.0, help="frames per second pushed (default: 60)")
    live.add_argument("--live-seconds", type=real(0, 86_400, low_open=True), default=20.0, help="seconds of frames per run (default: 20)")
    live.add_argument("--live-methods", nargs="+", default=["gradcam"], help="methods, one run each (default: gradcam)")
    live.add_argument("--regions", metavar="FILE",
                      help="measure every result with the attention guard of this regions file (frames are 640x360; "
                           "'bay' fits) and report its cost per result")
    window = parser.add_argument_group("window (--window replaces the pass timings; the first of --models)")
    window.add_argument("--window", action="store_true",
                        help="open the real window on --source (Xvfb when there is no display) and compare it with "
                             "the headless engine in the same run")
    window.add_argument("--source", default="demo", help="what the window plays: a video file, stream URL or 'demo'")
    window.add_argument("--window-seconds", type=real(0, 86_400, low_open=True), default=20.0, help="seconds per run (default: 20)")
    window.add_argument("--window-method", help="explanation method (default: the window's own)")


def run(args: argparse.Namespace) -> int:
    check_outputs([Output(f"--{name}", path) for name in ("json", "markdown") if (path := getattr(args, name))],
                  [model for model in args.models if Path(model).is_file()])
    device = resolve_device(args.device)
    if args.live:
        return _run_live(args, device)
    if args.window:
        return _run_window(args, device)
    results = []
    machine = machine_description(device)
    for model_name in args.models:
        for batch in args.batch:
            result = _bench_model(model_name, batch, device, args)
            print(text_table(result), flush=True)
            results.append(result)
            _write_reports(args, machine, results)  # after each case: a long run cut short keeps what it measured
    return 0


def _write_reports(args: argparse.Namespace, machine: str, results: list[CaseResult]) -> None:
    if args.json:
        report = {"machine": machine, "results": [r.to_json() for r in results]}
        write_text_atomically(args.json, json_text(report, indent=2) + "\n")
    if args.markdown:
        write_text_atomically(args.markdown, markdown(results, machine, _command_line(), args.repeats) + "\n")


def _run_live(args: argparse.Namespace, device: torch.device) -> int:
    from vgv_live.throughput import measure_live  # vgv_live is only needed for this mode
    from vgv_live.torch_threads import in_passing_thread

    figures = []
    for model_name in args.models:
        vm = in_passing_thread(load_model, model_name, device=device)
        guard = None
        if args.regions:
            guard = AttentionGuard(load_regions(named_regions(args.regions), vm.spec.labels), vm.spec.labels)
        for method in args.live_methods:
            figures.append(measure_live(vm, model_name, method, args.live_seconds, args.live_fps, guard=guard))
            print(figures[-1].line(), flush=True)
    machine = machine_description(device)
    if args.json:
        write_text_atomically(args.json, json_text({"machine": machine, "live": [f.to_json() for f in figures]},
                                                   indent=2) + "\n")
    if args.markdown:
        write_text_atomically(args.markdown, live_markdown(figures, machine, _command_line()) + "\n")
    return 0


def _run_window(args: argparse.Namespace, device: torch.device) -> int:
    try:
        from vgv_live.app.window_bench import measure_window  # needs PyQt6 and pyqtgraph
    except ImportError as exc:
        print(f"vgv bench: error: --window needs the window's packages ({exc}): pip install 'videogradvis-live'",
              file=sys.stderr)
        return 2
    from vgv_live.config import LiveConfig

    config = LiveConfig(source=args.source, model=args.models[0], device=str(device))
    if args.window_method:
        config = replace(config, method=args.window_method)
    progress = (lambda text: None) if args.quiet else (lambda text: print(f"[bench window] {text}", file=sys.stderr, flush=True))
    figures = measure_window(config, args.window_seconds, progress)
    print(figures.line(), flush=True)
    if args.json:
        report = {"machine": machine_description(device), "command": _command_line(), **figures.to_json()}
        write_text_atomically(args.json, json_text(report, indent=2) + "\n")
    return 0


def _command_line() -> str:
    return shlex.join(["vgv", "bench", *sys.argv[2:]])


def _bench_model(model_name: str, batch: int, device: torch.device, args: argparse.Namespace) -> CaseResult:
    vm = load_model(model_name, device=device)
    spec = vm.spec
    clip = torch.randn(batch, 3, spec.clip_len, spec.crop_size, spec.crop_size, device=device)
    variants = bare_variants(vm.net, clip) | our_variants(vm.net, clip, spec.num_classes)
    if args.compile:
        variants |= compiled_variants(vm.net, clip)
    if not args.no_peers:
        variants |= peer_variants(vm.net, clip, vm.net.get_submodule(spec.target_layer))
    if args.only:
        variants = {name: fn for name, fn in variants.items() if any(text in name for text in args.only)}
    label = f"{model_name} B={batch}"

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"[bench {label}] {message}", file=sys.stderr, flush=True)

    samples, failures = time_round_robin(variants, device, args.repeats, args.warmup, progress)
    return CaseResult.from_samples(model_name, tuple(clip.shape), str(device), samples, failures)
