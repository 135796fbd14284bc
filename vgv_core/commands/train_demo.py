"""Train the demo model (a small X3D) on synthetic test-bay clips, on the CPU.

Renders fresh clips of the six lamp classes for every step (seeded: the same --seed
gives the same model), trains, prints progress and a validation summary on stderr,
then writes the weights and spec.json into --out (each via a temporary name).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vgv_core.demo.seeds import MAX_RUN_SEED
from vgv_core.demo.train import TrainConfig, train
from vgv_core.option_types import whole
from vgv_core.output_paths import Output, check_folder

DEFAULTS = TrainConfig(out=Path("vgv_core/assets/demo"))


def _run_seed(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_RUN_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer 0..{MAX_RUN_SEED}, got {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULTS.out, help="folder for the weights and spec.json (default: %(default)s)")
    parser.add_argument("--seed", type=_run_seed, default=DEFAULTS.seed, help="run seed 0..99: model init and training clips (default: %(default)s)")
    parser.add_argument("--steps", type=whole(1), default=DEFAULTS.steps, help="optimiser steps (default: %(default)s)")
    parser.add_argument("--batch-size", type=whole(1), default=DEFAULTS.batch_size, help="clips per step (default: %(default)s)")
    parser.add_argument("--threads", type=whole(1), default=DEFAULTS.threads, help="torch CPU threads; the same count reproduces the same weights (default: %(default)s)")
    parser.add_argument(
        "--validation-clips", type=whole(1), default=DEFAULTS.validation_clips,
        help="fresh clips to validate on after training (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    check_folder(Output("--out", args.out), create=True)  # before the training, not after it
    config = TrainConfig(
        out=args.out, seed=args.seed, steps=args.steps, batch_size=args.batch_size,
        threads=args.threads, validation_clips=args.validation_clips,
    )
    result = train(config)
    print(f"wrote {result.spec_path} after {result.minutes:.1f} min; {result.validation.summary()}")
    return 0
