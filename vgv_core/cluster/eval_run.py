"""`vgv eval --ray`: the batches of clips in contiguous ranges, one task each, and the sanity
check as one more task (queued first: it is the longest), on model-holding workers; the
ranges' per-clip values are merged in order before any table is made. Every random draw is
per batch (vgv_core.evaluation.streams), so the numbers are those of one process.

Ranges: about ``SHARDS_PER_WORKER`` per worker, so that workers that finish early take
more; a folder of videos decodes the windows before its range, so ranges are not smaller.
"""

from __future__ import annotations

import argparse
import uuid
from math import ceil
from typing import Any

from vgv_core.cluster.connection import ClusterSpec, connected, require_ray
from vgv_core.cluster.eval_worker import SANITY, EvalWorker, range_label
from vgv_core.cluster.workers import WorkerPool, worker_layout
from vgv_core.errors import VGVError
from vgv_core.evaluation.benchmark import BenchmarkResult, ClipScores, merge
from vgv_core.progress import Progress

SHARDS_PER_WORKER = 4


def evaluate_on_cluster(args: argparse.Namespace) -> tuple[BenchmarkResult, dict[str, Any]]:
    """The benchmark ``args`` ask for, and what the settings say of model and data."""
    spec = ClusterSpec.parse(args.ray)
    require_ray()
    cpus = None if spec.local_workers is None else spec.local_workers * args.threads
    with connected(spec, cpus) as ray:
        nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
        layout = worker_layout(nodes, args.device, args.threads, spec.local_workers)
        pool = WorkerPool(ray, EvalWorker, layout, f"vgv-eval-{uuid.uuid4().hex[:8]}", args, args.threads)
        pool.wait_loaded()
        loaded = next(worker.index for worker in pool.workers if worker.info)
        about = ray.get(pool.call(loaded, "about"))
        tasks: list[Any] = [SANITY, *_ranges(ceil(args.n / args.batch_size), layout.count)]
        found: dict[Any, Any] = {}
        bar = Progress(f"eval {args.n} clips on {layout.count} workers", args.n * about["clip_len"], args.quiet)

        def finished(task: Any, worker: int, result: Any) -> None:
            if isinstance(result, BaseException):
                raise result if isinstance(result, VGVError) else VGVError(f"a Ray worker failed: {result}")
            found[task] = result

        def tick() -> None:
            ended = {_label(task) for task in found}
            scored = sum(len(found[task].clip_names) for task in found if task != SANITY)
            running = [w.report for w in pool.workers if w.report.get("task") not in ended | {None, SANITY}]
            bar.update((scored + sum(report["done"] for report in running)) * about["clip_len"])

        try:
            pool.run(tasks, lambda k, task: pool.call(k, *_call(task)), finished, tick)
        finally:
            bar.close()
    parts: list[ClipScores] = [found[task] for task in tasks if task != SANITY]
    sanity, sanity_s = found[SANITY]
    about["threads"] = args.threads
    return merge(tuple(about["methods"]), parts, sanity, about["data"], sanity_s), about


def _ranges(batches: int, workers: int) -> list[range]:
    """``batches`` split into up to SHARDS_PER_WORKER * ``workers`` contiguous ranges."""
    count = max(1, min(batches, SHARDS_PER_WORKER * workers))
    bounds = [round(k * batches / count) for k in range(count + 1)]
    return [range(start, stop) for start, stop in zip(bounds, bounds[1:]) if stop > start]


def _call(task: Any) -> tuple:
    return ("sanity",) if task == SANITY else ("score", task)


def _label(task: Any) -> str:
    """The task as its worker's report names it."""
    return SANITY if task == SANITY else range_label(task)
