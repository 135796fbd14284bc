"""Explain recorded videos into an annotated MP4 (and GIF, per-frame CSV, heatmap NPZ, JSON summary).

INPUT is a video file (anything OpenCV/FFmpeg reads), a folder of them (--recursive: with
its subfolders), a glob pattern, or a list of videos (.txt: one path per line; .csv: a
path column); with any of these but a single file, OUT is a folder that receives
<name>.mp4 per video (subfolders as in the input), and --csv, --npz, --json and --gif
name folders too. Every frame gets a prediction and a heatmap, fused from the sliding
windows that cover it (see vgv_core.offline.windows). Every output is written under a
temporary name and renamed when complete.

--ray local:N|auto|ADDRESS explains the videos on a Ray cluster, one model per worker,
and is resumable: a manifest beside the outputs records what is done, and the same
command run again explains only the rest (see vgv_core.cluster).

exit codes:
  0    every video explained completely
  1    several videos: some failed (one line each says why); the others were explained
       (with --ray: a rerun redoes the failed ones)
  2    bad input or arguments (missing or unreadable video, video shorter than one
       model window, unwritable output folder, unknown method, class or layer, ...):
       nothing was written
  3    a damaged or truncated video: its decodable frames were explained, and a warning
       says how many frames could not be decoded
  130  interrupted (Ctrl-C): the video in progress left no output file
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch

from vgv_core.attention_guard import AttentionGuard
from vgv_core.batching import default_window_batch
from vgv_core.errors import VGVError, VideoError
from vgv_core.explain import Explainer
from vgv_core.explain.cpu import EXACT_MODE_HELP
from vgv_core.explain.methods import METHODS, validate_methods
from vgv_core.models import ModelSpec, load_model
from vgv_core.models.loader import model_files
from vgv_core.offline.inputs import Video, find_videos
from vgv_core.offline.job import Options, OutputPaths, Selection, VideoOutcome, explain_video
from vgv_core.offline.sink import Look
from vgv_core.offline.window_explainer import WindowExplainer
from vgv_core.offline.windows import WindowPlan
from vgv_core.option_types import real, whole
from vgv_core.output_paths import Output, check_outputs
from vgv_core.preprocess import Preprocessor
from vgv_core.regions import load_regions
from vgv_core.render import BLENDS, COLORMAPS, HEAT, LAYOUTS, HeatStyle
from vgv_core.render.blend import DEFAULT_ALPHA, DEFAULT_COLORMAP
from vgv_core.seed_api import resolve_selected_layer
from vgv_core.shipped import named_regions

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_DAMAGED = 3
SIDE_OUTPUTS = {"csv": ".csv", "npz": ".npz", "json": ".json", "gif": ".gif"}
DEFAULT_METHOD = "guided_gradcam"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="video file(s), folder(s) of videos, glob pattern(s) or list(s) of videos (.txt, .csv); "
                             "'demo': the shipped demo video")
    parser.add_argument("--input_video", help="seed alias for INPUT")
    parser.add_argument("-o", "--output", "--output_video", metavar="OUT",
                        help="annotated MP4 (a folder for several videos); optional when another output is given")
    model = parser.add_argument_group("model")
    model.add_argument("--model", default="demo",
                       help="registry arch, spec .json, a Hugging Face save_pretrained folder, or 'demo' (default)")
    model.add_argument("--checkpoint", "--weights_path", metavar="PATH", help="weights to load")
    model.add_argument("--num-classes", type=whole(1, 1_000_000), help="replace the classification head")
    model.add_argument("--labels", help="class names: a,b,c or a text file with one per line")
    model.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    model.add_argument("--clip-len", "--clip_length", type=whole(1, 1024), help="frames per window (default: the spec's)")
    model.add_argument("--input-size", type=whole(8, 4096), metavar="PX", help="resize frames to PX x PX for the model")
    model.add_argument("--height", type=whole(8, 4096), help="seed alias for --input-size (must equal --width)")
    model.add_argument("--width", type=whole(8, 4096), help="seed alias for --input-size (must equal --height)")
    explain = parser.add_argument_group("explanation")
    explain.add_argument("--method", default=DEFAULT_METHOD, help=f"one of {', '.join(METHODS)} (default {DEFAULT_METHOD})")
    explain.add_argument("--target", metavar="CLASS", help="class name or index to explain (default: top-1)")
    explain.add_argument("--layer", "--selected_layer", help="CAM layer: dotted name, or an index into model.blocks")
    explain.add_argument("--exact", action="store_true", help=EXACT_MODE_HELP)
    explain.add_argument("--hop", type=whole(1, 100_000), default=1, help="frames between window starts (default 1)")
    explain.add_argument("--batch", type=whole(1, 1024), metavar="N",
                         help="windows explained together in one pass (default: 8 on CUDA, 4 on the CPU)")
    explain.add_argument("--start", type=real(0), default=0.0, metavar="S", help="first second to explain")
    explain.add_argument("--end", type=real(0, low_open=True), metavar="S", help="explain up to this second")
    explain.add_argument("--max-frames", type=whole(1), metavar="N", help="explain at most N frames")
    explain.add_argument("--regions", metavar="FILE",
                         help="attention guard: a regions file ('bay': the bay video's); adds attention_in_region "
                              "and looked_elsewhere to --csv and looked-elsewhere runs to --json")
    look = parser.add_argument_group("pictures")
    look.add_argument("--colormap", default=DEFAULT_COLORMAP, help=f"one of {', '.join(COLORMAPS)} (default {DEFAULT_COLORMAP})")
    look.add_argument("--alpha", type=real(0, 1), default=DEFAULT_ALPHA,
                      help=f"heatmap opacity in [0, 1] of the hot parts, or everywhere with --blend uniform (default {DEFAULT_ALPHA})")
    look.add_argument("--blend", default=HEAT, choices=BLENDS,
                      help="heat: the heat sets the opacity, cold parts stay clear (default); uniform: one opacity")
    look.add_argument("--layout", default="overlay", choices=LAYOUTS, help="side-by-side = frame | overlay | heatmap")
    files = parser.add_argument_group("more outputs")
    files.add_argument("--csv", metavar="PATH", help="per-frame CSV: frame, time_s, top1, p_<class>...")
    files.add_argument("--npz", metavar="PATH", help="per-frame uint8 heatmaps (reduced size), indices, probs")
    files.add_argument("--json", metavar="PATH", help="summary: segments where the top-1 class holds")
    files.add_argument("--gif", metavar="PATH", help="animated GIF of the annotated video")
    files.add_argument("--gif-width", type=whole(8, 8192), metavar="PX", help="scale the GIF to this width")
    run_group = parser.add_argument_group("running")
    run_group.add_argument("-q", "--quiet", action="store_true", help="no progress bar (warnings and errors remain)")
    run_group.add_argument("--sequential", action="store_true", help="decode, explain and encode in turn (to measure)")
    run_group.add_argument("--recursive", action="store_true", help="take the videos of INPUT folders' subfolders too")
    run_group.add_argument("--threads", type=whole(1, 1024), metavar="N",
                           help="torch CPU threads (default: torch's choice; with --ray: per worker, default 1)")
    run_group.add_argument("--ray", metavar="CLUSTER",
                           help="explain on a Ray cluster: local:N (start one of N workers here), auto (join "
                                "RAY_ADDRESS) or ADDRESS; resumable. Needs pip install 'videogradvis-live[ray]'")


def run(args: argparse.Namespace) -> int:
    inputs = args.inputs + ([args.input_video] if args.input_video else [])
    if not inputs:
        raise VGVError("give a video file or folder to explain (INPUT or --input_video)")
    if not args.output and all(getattr(args, name) is None for name in SIDE_OUTPUTS):
        raise VGVError("give where to write: -o OUT (or --output_video), --csv, --npz, --json or --gif")
    options = _options(args)
    method = validate_methods(args.method)[0]
    found = find_videos(inputs, args.recursive, exclude=[Path(folder) for folder in output_arguments(args)])
    several = found.several or args.ray is not None  # with --ray, OUT is always a folder
    plans = [(video.path, output_paths(video, args, several)) for video in found.videos]
    folders = output_folders(args, [paths for _, paths in plans]) if several else []
    check_outputs([output for _, paths in plans for output in paths.named()],
                  [*(video.path for video in found.videos), *settings_files(args)], folders, create_folders=True)
    if args.ray is not None:
        from vgv_core.cluster.explain_run import explain_archive  # Ray is an extra: imported only when asked for

        return explain_archive(args, method, found.videos, options, folders)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    engine, settings = build_engine(args, method)
    options = guarded(args, engine, options, settings)
    prepare_folders(folders)
    return _explain_all(plans, engine, options, settings, found.several)


def guarded(args: argparse.Namespace, engine: WindowExplainer, options: Options, settings: dict) -> Options:
    """``options`` with the attention guard of ``--regions`` (and ``settings`` saying so)."""
    if args.regions is None:
        return options
    labels = engine.spec.labels
    settings["regions"] = str(named_regions(args.regions))
    return replace(options, guard=AttentionGuard(load_regions(named_regions(args.regions), labels), labels))


def _explain_all(plans: list[tuple[Path, OutputPaths]], engine: WindowExplainer, options: Options, settings: dict,
                 several: bool) -> int:
    failed, damaged = 0, 0
    for video, paths in plans:
        try:
            outcome = explain_video(video, paths, engine, options, settings)
        except VGVError as exc:
            if not several:
                raise
            failed += 1
            say("error", failure_message(video, exc))
            continue
        damaged += report_outcome(outcome, options.quiet)
    if failed:
        say("error", f"{failed} of {len(plans)} videos failed; the others were explained")
        return EXIT_SOME_FAILED
    return EXIT_DAMAGED if damaged else EXIT_OK


def output_paths(video: Video, args: argparse.Namespace, several: bool) -> OutputPaths:
    out = None if args.output is None else Path(args.output)
    if out is not None and (several or out.is_dir()):
        out = out / f"{video.name}.mp4"
    side = {}
    for name, suffix in SIDE_OUTPUTS.items():
        given = getattr(args, name)
        side[name] = None if given is None else Path(given) / f"{video.name}{suffix}" if several else Path(given)
    return OutputPaths(out, **side)


def output_folders(args: argparse.Namespace, outputs: list[OutputPaths]) -> list[Output]:
    """With several videos: the folders -o, --csv, ... name, and their subfolders that ``outputs`` lie in."""
    given = {"-o": args.output, **{f"--{name}": getattr(args, name) for name in SIDE_OUTPUTS}}
    folders = {Path(folder): option for option, folder in given.items() if folder is not None}
    for paths in outputs:
        for output in paths.named():
            folders.setdefault(output.path.parent, output.option)
    return [Output(option, folder) for folder, option in sorted(folders.items())]


def settings_files(args: argparse.Namespace) -> list[Path]:
    """The run's inputs besides the videos, which no output may overwrite."""
    named = [args.checkpoint, args.labels, args.regions and named_regions(args.regions)]
    return [Path(path) for path in named if path] + model_files(args.model)


def prepare_folders(folders: list[Output]) -> None:
    """Create the output folders (checked to be creatable by check_outputs)."""
    for folder in folders:
        try:
            folder.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VideoError(f"cannot create the output folder {folder.path}: {exc.strerror or exc}") from None


def output_arguments(args: argparse.Namespace) -> list[str]:
    """The output paths given, -o first."""
    return [given for given in (args.output, *(getattr(args, name) for name in SIDE_OUTPUTS)) if given is not None]


def output_settings(args: argparse.Namespace, method: str) -> dict:
    """Every option that changes what is written, with the state of the files they name
    (model spec, checkpoint, labels, regions), for the run manifest's settings hash."""
    names = ("model", "checkpoint", "num_classes", "labels", "clip_len", "input_size", "height", "width", "target",
             "layer", "exact", "hop", "batch", "start", "end", "max_frames", "colormap", "alpha", "blend", "layout",
             "gif_width", "regions")
    settings = {name: getattr(args, name) for name in names} | {"method": method}
    if settings["regions"] is not None:
        settings["regions"] = str(named_regions(settings["regions"]))
    for name in ("model", "checkpoint", "labels", "regions"):
        path = Path(settings[name]) if settings[name] is not None else None
        if path is not None and path.is_file():
            stat = path.stat()
            settings[name] = [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    return settings


def _options(args: argparse.Namespace) -> Options:
    if args.gif_width is not None and args.gif_width < 1:
        raise VGVError(f"--gif-width must be a positive number of pixels, got {args.gif_width}")
    return Options(
        look=Look(args.layout, HeatStyle(args.colormap, args.alpha, args.blend)),
        selection=Selection(args.start, args.end, args.max_frames),
        gif_width=args.gif_width,
        pipelined=not args.sequential,
        quiet=args.quiet,
    )


def build_engine(args: argparse.Namespace, method: str) -> tuple[WindowExplainer, dict]:
    """The model and explainer ``args`` ask for, and the settings a JSON summary reports."""
    model = load_model(args.model, args.num_classes, args.checkpoint, args.device, _labels(args.labels))
    spec = _spec_overrides(model.spec, args)
    target = spec.label_index(args.target) if args.target is not None else None
    explainer = Explainer(model.net, target_layer=resolve_selected_layer(model.net, args.layer), exact=args.exact)
    plan = WindowPlan(spec.clip_len, spec.frame_stride, args.hop)
    batch = args.batch if args.batch is not None else default_window_batch(model.device)
    engine = WindowExplainer(explainer, Preprocessor(spec, model.device), plan, method, target, batch)
    settings = {
        "model": str(args.model), "arch": spec.arch, "method": method, "layer": explainer.target_layer,
        "target": None if target is None else spec.labels[target], "clip_len": spec.clip_len,
        "frame_stride": spec.frame_stride, "input_size": spec.crop_size, "hop": args.hop, "batch": batch,
        "exact": explainer.exact,
    }
    return engine, settings


def _spec_overrides(spec: ModelSpec, args: argparse.Namespace) -> ModelSpec:
    sizes = {value for value in (args.input_size, args.height, args.width) if value is not None}
    if len(sizes) > 1:
        raise VGVError(f"the model input is square: --input-size, --height and --width must agree, got {sorted(sizes)}")
    changes = {"clip_len": args.clip_len} if args.clip_len is not None else {}
    if sizes:
        changes.update(crop_size=sizes.pop(), resize_size=None, resize_mode="stretch")
    return replace(spec, **changes) if changes else spec


def _labels(text: str | None) -> list[str] | None:
    if text is None:
        return None
    path = Path(text)
    if path.is_file():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError) as exc:
            raise VGVError(f"--labels {text}: cannot read it as a UTF-8 text file of class names ({exc})") from None
    else:
        lines = text.split(",")
    labels = [line.strip() for line in lines if line.strip()]
    if not labels:
        raise VGVError(f"--labels {text!r} names no classes")
    return labels


def report_outcome(outcome: VideoOutcome, quiet: bool) -> int:
    """Print what happened to one video; 1 when it was damaged."""
    if outcome.fps_note:
        say("warning", f"{outcome.path}: {outcome.fps_note}")
    if outcome.missing_frames:
        say(
            "warning",
            f"{outcome.path}: {outcome.missing_frames} frame(s) could not be decoded (truncated or damaged file); "
            f"the outputs cover the {outcome.frames} frames decoded",
        )
    elif not quiet:
        rate = outcome.frames / outcome.seconds if outcome.seconds > 0 else 0.0
        print(f"{outcome.path}: explained {outcome.frames} frames in {outcome.seconds:.1f} s ({rate:.1f} frames/s)",
              file=sys.stderr)
    return 1 if outcome.missing_frames else 0


def failure_message(video: Path, error: object) -> str:
    """``error`` naming ``video`` (once)."""
    return str(error) if str(video) in str(error) else f"{video}: {error}"


def say(kind: str, message: object) -> None:
    print(f"vgv explain: {kind}: {message}", file=sys.stderr)
