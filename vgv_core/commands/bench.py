"""Time explanations against the bare forward/backward passes and against captum and pytorch-grad-cam.

Every variant of a model runs round-robin in this one process after a warm-up; the
figures are medians, and the ratios compare variants measured side by side.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from importlib.metadata import entry_points
from pathlib import Path

import torch

from vgv_core.atomic_file import write_text_atomically
from vgv_core.json_text import json_text
from vgv_core.models import load_model, resolve_device
from vgv_core.option_types import whole
from vgv_core.output_paths import Output, check_outputs
from vgv_core.speed.report import CaseResult, machine_description, markdown, text_table
from vgv_core.speed.timing import time_round_robin
from vgv_core.speed.variants import bare_variants, compiled_variants, our_variants, peer_variants

DEFAULT_MODELS = ["demo", "x3d_s", "x3d_m", "r3d_18", "r2plus1d_18"]
BENCH_MODES = "vgv.bench_modes"


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
    for mode in bench_modes():
        mode.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    check_outputs([Output(f"--{name}", path) for name in ("json", "markdown") if (path := getattr(args, name))],
                  [model for model in args.models if Path(model).is_file()])
    device = resolve_device(args.device)
    for mode in bench_modes():
        code = mode.run(args, device, _command_line())
        if code is not None:
            return code
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


def bench_modes() -> list:
    """The modes other installed packages add to vgv bench (entry points ``vgv.bench_modes``):
    each has ``add_arguments(parser)`` and ``run(args, device, command) -> exit code | None``."""
    return [entry.load() for entry in sorted(entry_points(group=BENCH_MODES), key=lambda entry: entry.name)]


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
