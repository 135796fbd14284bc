"""`vgv-live`: explain a camera, stream or video file live, in a window or headless.

    vgv-live SOURCE --headless [--record OUT.mp4] [--jsonl OUT.jsonl] [--events DIR] [--duration S] ...
    vgv-live SOURCE1 SOURCE2 ... --headless [...]   (several cameras, one batched worker per model)
    vgv-live [SOURCE]            (the window; needs PyQt6)

Every failure is one line on stderr, never a traceback. Exit codes (vgv_core.exits): 0 ran
to its end with every output written; 1 the source could not be opened; 2 bad input or
arguments; 3 a part failed while running; 4 an output could not be written; 70 a bug.
"""

from __future__ import annotations

import argparse
import sys

from vgv_core.exits import OneLineParser, run_command
from vgv_core.explain.cpu import EXACT_MODE_HELP
from vgv_core.render import BLENDS, COLORMAPS
from vgv_core.render.blend import DEFAULT_ALPHA, DEFAULT_COLORMAP
from vgv_core.version import package_version
from vgv_core.option_types import real, whole
from vgv_live.cameras import named_sources
from vgv_live.config import MAX_RING_FRAMES, MAX_SECONDS, ConfigError, LiveConfig, load_toml, merge
from vgv_live.edge.secrets import SECRET_FLAGS, not_on_command_line, secrets_from_environment


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="vgv-live", description="Explain a video classifier on live video.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument("source", nargs="*", metavar="SOURCE",
                        help="camera index, /dev/videoN, rtsp(s)://, http(s):// URL, video file, or demo; "
                             "several: cameras cam0, cam1, ... explained together (headless)")
    parser.add_argument("--headless", action="store_true", default=None, help="no window: write files, stats on stderr")
    parser.add_argument("--config", help="TOML file with the same settings (flags override it)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", help="arch name, model spec .json, Hugging Face save_pretrained folder, or 'demo' (default)")
    model.add_argument("--checkpoint", help="weights file for --model")
    model.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    model.add_argument("--threads", type=whole(1, 1024), help="torch CPU threads (default: cores - 1)")
    model.add_argument("--method", help="explanation method (default guided_gradcam)")
    model.add_argument("--exact", action="store_true", default=None, help=EXACT_MODE_HELP)
    model.add_argument("--target", help="class to explain (label or index; default: top-1)")
    model.add_argument("--hop", type=whole(1, 10_000), help="explain after every N new frames (default 1 = as fast as possible)")
    model.add_argument("--no-timeline", dest="timeline", action="store_false", default=None,
                       help="window: skip the whole-file confidence timeline")
    model.add_argument("--map-size", type=whole(8, 4096), help="long side of the maps in results (default 160)")
    source = parser.add_argument_group("source")
    source.add_argument("--lossless", action="store_true", default=None, help="files: explain every window (not real time)")
    source.add_argument("--batch", type=whole(1, 1024), help="lossless: windows per pass when the model is behind (default 8 CUDA, 4 CPU)")
    source.add_argument("--loop", action=argparse.BooleanOptionalAction, default=None,
                        help="files: start again at the end (default: the window loops, --headless does not)")
    source.add_argument("--retry", action="store_true", default=None, help="keep retrying when the source cannot be opened")
    source.add_argument("--open-timeout", type=real(0, MAX_SECONDS, low_open=True), help="seconds to wait for a source to open (default 10)")
    source.add_argument("--stale-timeout", type=real(0, MAX_SECONDS, low_open=True), help="seconds without a frame before reconnecting (default 5)")
    source.add_argument("--backoff-max", type=real(0, MAX_SECONDS, low_open=True), help="longest wait between reconnect attempts (default 30)")
    source.add_argument("--ring-frames", type=whole(1, MAX_RING_FRAMES), help="frames the ring holds at least")
    out = parser.add_argument_group("outputs (headless)")
    out.add_argument("--duration", type=real(0, low_open=True), help="stop after S seconds")
    out.add_argument("--record", help="annotated MP4")
    out.add_argument("--jsonl", help="one JSON line per result, flushed as written")
    out.add_argument("--regions", metavar="FILE",
                     help="attention guard: regions file (JSON) binding classes to where their evidence lies; "
                          "results then say attention_in_region and looked_elsewhere")
    out.add_argument("--events", help="folder for threshold and looked-elsewhere event clips and records")
    out.add_argument("--threshold", action="append", metavar="LABEL=P", help="raise an event when P(LABEL) >= P")
    out.add_argument("--hysteresis", type=real(0, 1), help="re-arm a threshold below P - this (default 0.1)")
    out.add_argument("--pre-roll", type=real(0, 3600), help="seconds of video before an event (default 2)")
    out.add_argument("--post-roll", type=real(0, 3600), help="seconds of video after an event (default 2)")
    out.add_argument("--snapshots", help="folder for periodic annotated stills")
    out.add_argument("--snapshot-every", type=real(0, MAX_SECONDS, low_open=True), help="seconds between stills (default 10)")
    out.add_argument("--stats-every", type=real(0, MAX_SECONDS, low_open=True), help="seconds between stats lines (default 5)")
    add_edge_options(parser)
    look = parser.add_argument_group("pictures (window and outputs)")
    look.add_argument("--alpha", type=real(0, 1), help=f"heatmap opacity of the hot parts, or everywhere with --blend uniform (default {DEFAULT_ALPHA})")
    look.add_argument("--colormap", help=f"heatmap colours: {', '.join(COLORMAPS)} (default {DEFAULT_COLORMAP})")
    look.add_argument("--blend", choices=BLENDS, help="heat: the heat sets the opacity (default); uniform: one opacity")
    return parser


def add_edge_options(parser: argparse.ArgumentParser) -> None:
    edge = parser.add_argument_group("edge operations (headless; secrets only from --config or the environment)")
    edge.add_argument("--mqtt", metavar="URL", help="publish events, status and stats to mqtt://HOST:PORT (or mqtts://)")
    edge.add_argument("--mqtt-prefix", metavar="PREFIX", help="first topic level(s) (default vgv)")
    edge.add_argument("--mqtt-buffer", type=whole(1, 1_000_000), metavar="N",
                      help="events kept while the broker is away, oldest dropped first (default 1000)")
    edge.add_argument("--mqtt-ca", metavar="FILE", help="mqtts: CA certificate of the broker")
    edge.add_argument("--http", metavar="HOST:PORT",
                      help="serve /metrics, /api/stats, /api/events and /cameras/cam0/stream.mjpg (e.g. 127.0.0.1:8080)")
    edge.add_argument("--stream-fps", type=real(0, 60, low_open=True), help="frame rate cap of the live view (default 10)")
    edge.add_argument("--keep-days", type=real(0, 100 * 365, low_open=True), help="events folder: delete events older than D days")
    edge.add_argument("--keep-gb", type=real(0, 1e6, low_open=True), help="events folder: keep at most G GB, oldest deleted first")
    for flag in SECRET_FLAGS:
        edge.add_argument(flag, action=RefuseSecret, help=argparse.SUPPRESS)


class RefuseSecret(argparse.Action):
    """A secret given as a flag: one line that says where it belongs, exit 2."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(not_on_command_line(option_string))


def parse_thresholds(items: list[str] | None) -> dict[str, float] | None:
    if not items:
        return None
    thresholds = {}
    for item in items:
        label, sep, value = item.partition("=")
        try:
            thresholds[label.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not label.strip():
            raise ConfigError(f"--threshold {item!r}: expected LABEL=PROBABILITY, e.g. left_blinker=0.6")
    return thresholds


def config_from_args(args: argparse.Namespace) -> LiveConfig:
    flags = {key: value for key, value in vars(args).items()
             if key not in ("config", "threshold", *(flag[2:].replace("-", "_") for flag in SECRET_FLAGS))}
    flags["thresholds"] = parse_thresholds(args.threshold)
    sources = flags.pop("source")
    flags["source"] = sources[0] if len(sources) == 1 else None
    flags["cameras"] = named_sources(sources) if len(sources) > 1 else None
    return merge({**(load_toml(args.config) if args.config else {}), **secrets_from_environment()}, flags)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_or_exit_code(argv)
    if isinstance(args, int):
        return args
    return run_command("vgv-live", lambda: run(config_from_args(args), args.config))


def run(config: LiveConfig, settings_file: str | None = None) -> int:
    if config.headless:
        from vgv_live.headless import run_headless

        return run_headless(config, settings_file=settings_file)
    return run_window(config)


def run_window(config: LiveConfig) -> int:
    try:
        from vgv_live.app import run_window as run_app_window
    except ImportError as exc:
        print(f"vgv-live: error: cannot open the window ({exc}); run with --headless", file=sys.stderr)
        return 1
    return run_app_window(config)


if __name__ == "__main__":
    sys.exit(main())
