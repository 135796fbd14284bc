"""Faithfulness and localisation benchmark for video explanation methods (`vgv eval`)."""

from vgv_core.evaluation.baselines import RandomMap, baseline_methods, centre_bias
from vgv_core.evaluation.benchmark import BenchmarkConfig, BenchmarkResult, run_benchmark
from vgv_core.evaluation.datasets import SyntheticBay, VideoFolder, open_dataset
from vgv_core.evaluation.methods import MapMethod, MethodSet

__all__ = [
    "BenchmarkConfig",
    "BenchmarkResult",
    "MapMethod",
    "MethodSet",
    "RandomMap",
    "SyntheticBay",
    "VideoFolder",
    "baseline_methods",
    "centre_bias",
    "open_dataset",
    "run_benchmark",
]
