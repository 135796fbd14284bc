"""The `vgv` command line: one sub-command per module in vgv_core.commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from vgv_core.exits import OneLineParser, run_command
from vgv_core.version import package_version

# name -> module in vgv_core.commands exposing add_arguments(parser) and run(args) -> int
COMMANDS = {
    "explain": "explain",
    "train-demo": "train_demo",
    "eval": "evaluate",
    "bench": "bench",
}

def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="vgv", description="VideoGradVis: explain video classifiers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"vgv_core.commands.{module_name}")
        command = sub.add_parser(name, help=module.__doc__.strip().splitlines()[0], description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_or_exit_code(argv)
    if isinstance(args, int):
        return args
    return run_command(f"vgv {args.command}", lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())
