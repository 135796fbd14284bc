"""A benchmark's results as a text table, JSON, CSV and a PNG of the curves.

Files are written under a temporary name in the target folder and renamed when
complete. The PNG needs matplotlib (``pip install videogradvis-live[plot]``), imported
only when a plot is asked for.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from vgv_core.atomic_file import write_atomically
from vgv_core.errors import VGVError
from vgv_core.evaluation.baselines import BASELINES
from vgv_core.evaluation.benchmark import CURVES, METRICS, PERCENT_METRICS, BenchmarkResult
from vgv_core.json_text import json_text

HEADINGS = {
    "deletion_auc": "deletion",
    "insertion_auc": "insertion",
    "frame_deletion_auc": "frame del",
    "average_drop": "avg drop %",
    "increase_in_confidence": "incr conf %",
    "pointing_game": "pointing %",
    "energy_in_mask": "energy",
    "sanity_rho": "sanity rho",
}
METHOD_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
                  "tab:olive", "tab:cyan", "gold", "navy", "lime")
CURVE_AXES = {
    "deletion": ("fraction of voxels deleted", "deletion (lower area is better)"),
    "insertion": ("fraction of voxels inserted", "insertion (higher area is better)"),
    "frame_deletion": ("fraction of frames deleted", "frame deletion (lower area is better)"),
}


def table(result: BenchmarkResult) -> str:
    """Means per method, one row each, with which direction is better."""
    summary = result.summary()
    width = max(len("method"), *(len(name) for name in result.methods))
    headings = {metric: f"{HEADINGS[metric]} ({'+' if higher else '-'})" for metric, higher in METRICS.items()}
    header = "method".ljust(width) + "".join(f"  {headings[m]}" for m in METRICS)
    rows = [
        name.ljust(width) + "".join(f"  {_number(summary[name][m]):>{len(headings[m])}}" for m in METRICS)
        for name in result.methods
    ]
    legend = (
        f"{len(result.clip_names)} clips; (+) higher is better, (-) lower is better; sanity rho: rank correlation "
        f"with the trained model's maps after re-initialising {', '.join(result.sanity.stages)} "
        f"({result.sanity.rho[result.methods[0]].shape[1]} clips; near 0 = the map depends on the weights)"
    )
    return "\n".join([header, *rows, legend])


def to_json(result: BenchmarkResult, config: dict[str, Any]) -> dict[str, Any]:
    """Everything: config, timing, means and standard errors, mean curves, sanity per
    stage, and every clip's values (NaN as null)."""
    methods = result.methods
    document = {
        "config": config,
        "timing": result.timing,
        "higher_is_better": METRICS,
        "percent_metrics": list(PERCENT_METRICS),
        "summary": result.summary(),
        "standard_error": {name: _standard_errors(result.per_clip[name]) for name in methods},
        "curves": {
            name: {c: {"x": result.fractions[c].tolist(), "mean": result.curves[name][c].mean(0).tolist()} for c in CURVES}
            for name in methods
        },
        "sanity": {
            "stages": list(result.sanity.stages),
            "rho": {name: result.sanity.rho[name].mean(axis=1).tolist() for name in methods},
        },
        "per_clip": {"clips": list(result.clip_names)}
        | {name: {k: v.tolist() for k, v in result.per_clip[name].items()} for name in methods},
    }
    return _nan_to_none(document)


def write_json(result: BenchmarkResult, config: dict[str, Any], path: Path) -> None:
    text = json_text(to_json(result, config), indent=1) + "\n"
    write_atomically(path, lambda temp: temp.write_text(text))


def write_csv(result: BenchmarkResult, path: Path) -> None:
    """One row per method: n clips, then the mean of each metric (empty when not applicable)."""
    summary = result.summary()

    def write(temp: Path) -> None:
        with temp.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["method", "clips", *METRICS])
            for name in result.methods:
                values = ["" if math.isnan(summary[name][m]) else f"{summary[name][m]:.6g}" for m in METRICS]
                writer.writerow([name, len(result.clip_names), *values])

    write_atomically(path, write)


def write_plot(result: BenchmarkResult, path: Path) -> None:
    """Mean deletion, insertion and frame-deletion curves and the sanity check per method."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise VGVError("--plot needs matplotlib: pip install 'videogradvis-live[plot]'") from None
    figure, axes = plt.subplots(2, 2, figsize=(12, 9), constrained_layout=True)
    styles = _styles(result.methods)
    for axis, curve in zip(axes.flat, CURVES):
        for name in result.methods:
            axis.plot(result.fractions[curve], result.curves[name][curve].mean(0), label=name, **styles[name])
        axis.set(xlabel=CURVE_AXES[curve][0], ylabel="probability of the explained class", title=CURVE_AXES[curve][1])
    _plot_sanity(axes.flat[3], result, styles)
    axes.flat[0].legend(fontsize="small")
    figure.suptitle(f"vgv eval: {len(result.clip_names)} clips, means per method")
    write_atomically(path, lambda temp: figure.savefig(temp, format="png", dpi=90))
    plt.close(figure)


def _plot_sanity(axis, result: BenchmarkResult, styles: dict[str, dict[str, Any]]) -> None:
    stages = ["trained", *result.sanity.stages]
    lowest = min(float(rho.mean(axis=1).min()) for rho in result.sanity.rho.values())
    for name in result.methods:
        rho = [1.0, *result.sanity.rho[name].mean(axis=1)]
        axis.plot(range(len(stages)), rho, marker="o", label=name, **styles[name])
    axis.set_xticks(range(len(stages)), stages, rotation=30)
    axis.set(xlabel="randomised down to (cascading, head first)", ylabel="Spearman rho with trained maps",
             title="sanity check (lower is better)", ylim=(min(-0.1, lowest - 0.05), 1.05))


def _styles(methods: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Baselines dashed in black and grey; methods in colours that are neither."""
    styles = {name: {"linestyle": "--", "color": colour} for name, colour in zip(BASELINES, ("black", "grey"))}
    others = [name for name in methods if name not in BASELINES]
    return styles | {name: {"color": METHOD_COLOURS[k % len(METHOD_COLOURS)]} for k, name in enumerate(others)}


def _standard_errors(per_clip: dict[str, np.ndarray]) -> dict[str, float]:
    errors = {}
    for metric, values in per_clip.items():
        finite = values[~np.isnan(values)]
        scale = 100 if metric in PERCENT_METRICS else 1
        errors[metric] = float(finite.std(ddof=1) / np.sqrt(finite.size) * scale) if finite.size > 1 else float("nan")
    return errors


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value
