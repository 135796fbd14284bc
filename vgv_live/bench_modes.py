"""The modes `vgv bench` gains from the streaming app: --live (the live worker) and --window
(the real window against the headless engine).

vgv_core does not import the app: `vgv bench` finds these through the ``vgv.bench_modes``
entry points (pyproject.toml). Each mode adds its options and runs when its flag is given.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import torch

from vgv_core.atomic_file import write_text_atomically
from vgv_core.attention_guard import AttentionGuard
from vgv_core.exits import EXIT_USER_ERROR
from vgv_core.json_text import json_text
from vgv_core.models import load_model
from vgv_core.option_types import real, whole
from vgv_core.regions import load_regions
from vgv_core.shipped import named_regions
from vgv_core.speed.report import cameras_markdown, live_markdown, machine_description


class LiveMode:
    """Frames pushed at a fixed rate through the live worker: explanations/s and latency."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        live = parser.add_argument_group("live worker (--live replaces the pass timings)")
        live.add_argument("--live", action="store_true", help="push frames at --live-fps through the live worker instead")
        live.add_argument("--live-fps", type=real(0, 1000, low_open=True), default=60.0,
                          help="frames per second pushed (default: 60)")
        live.add_argument("--live-seconds", type=real(0, 86_400, low_open=True), default=20.0,
                          help="seconds of frames per run (default: 20)")
        live.add_argument("--live-methods", nargs="+", default=["gradcam"], help="methods, one run each (default: gradcam)")
        live.add_argument("--cameras", type=whole(1, 64), metavar="N",
                          help="N streams at --live-fps each through one worker, batched against one camera per pass")
        live.add_argument("--regions", metavar="FILE",
                          help="measure every result with the attention guard of this regions file (frames are "
                               "640x360; 'bay' fits) and report its cost per result")

    @staticmethod
    def run(args: argparse.Namespace, device: torch.device, command: str) -> int | None:
        if not args.live:
            return None
        from vgv_live.throughput import measure_cameras, measure_live
        from vgv_live.torch_threads import in_passing_thread

        figures = []
        for model_name in args.models:
            vm = in_passing_thread(load_model, model_name, device=device)
            guard = None
            if args.regions:
                guard = AttentionGuard(load_regions(named_regions(args.regions), vm.spec.labels), vm.spec.labels)
            for method in args.live_methods:
                if args.cameras:
                    figures.append(measure_cameras(vm, model_name, method, args.live_seconds, args.live_fps,
                                                   args.cameras))
                else:
                    figures.append(measure_live(vm, model_name, method, args.live_seconds, args.live_fps, guard=guard))
                print(figures[-1].line(), flush=True)
        machine = machine_description(device)
        if args.json:
            report = {"machine": machine, "live": [f.to_json() for f in figures]}
            write_text_atomically(args.json, json_text(report, indent=2) + "\n")
        if args.markdown:
            markdown = cameras_markdown if args.cameras else live_markdown
            write_text_atomically(args.markdown, markdown(figures, machine, command) + "\n")
        return 0


class WindowMode:
    """The real window on a source against the headless engine, in one run."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        window = parser.add_argument_group("window (--window replaces the pass timings; the first of --models)")
        window.add_argument("--window", action="store_true",
                            help="open the real window on --source (Xvfb when there is no display) and compare it "
                                 "with the headless engine in the same run")
        window.add_argument("--source", default="demo", help="what the window plays: a video file, stream URL or 'demo'")
        window.add_argument("--window-seconds", type=real(0, 86_400, low_open=True), default=20.0,
                            help="seconds per run (default: 20)")
        window.add_argument("--window-method", help="explanation method (default: the window's own)")

    @staticmethod
    def run(args: argparse.Namespace, device: torch.device, command: str) -> int | None:
        if not args.window:
            return None
        try:
            from vgv_live.app.window_bench import measure_window  # needs PyQt6 and pyqtgraph
        except ImportError as exc:
            print(f"vgv bench: error: --window needs the window's packages ({exc}): pip install 'videogradvis-live'",
                  file=sys.stderr)
            return EXIT_USER_ERROR
        from vgv_live.config import LiveConfig

        config = LiveConfig(source=args.source, model=args.models[0], device=str(device))
        if args.window_method:
            config = replace(config, method=args.window_method)
        figures = measure_window(config, args.window_seconds, _progress(args.quiet))
        print(figures.line(), flush=True)
        if args.json:
            report = {"machine": machine_description(device), "command": command, **figures.to_json()}
            write_text_atomically(args.json, json_text(report, indent=2) + "\n")
        return 0


def _progress(quiet: bool):
    if quiet:
        return lambda text: None
    return lambda text: print(f"[bench window] {text}", file=sys.stderr, flush=True)
