"""Which cluster `--ray` names, how many workers fit on it, what happens without Ray, and
that a local cluster started by a run listens on loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ray_support import descendants, listening_hosts, require_ray

from vgv_core.cluster.connection import ClusterSpec, connected
from vgv_core.cluster.workers import ModelWorker, WorkerLayout, worker_layout
from vgv_core.errors import VGVError

REPO = Path(__file__).resolve().parents[2]
HIDE_RAY = "import sys; sys.modules['ray'] = None; from vgv_core.cli import main; sys.exit(main(sys.argv[1:]))"


def test_cluster_names(monkeypatch) -> None:
    assert ClusterSpec.parse("local:3") == ClusterSpec(None, 3)
    assert ClusterSpec.parse("10.0.0.5:6379") == ClusterSpec("10.0.0.5:6379")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6380")
    assert ClusterSpec.parse("auto") == ClusterSpec("127.0.0.1:6380")
    monkeypatch.delenv("RAY_ADDRESS")
    with pytest.raises(VGVError, match="RAY_ADDRESS"):
        ClusterSpec.parse("auto")
    for bad in ("local:0", "local:two", ""):
        with pytest.raises(VGVError):
            ClusterSpec.parse(bad)
    assert ClusterSpec(None, 2).on_loopback and ClusterSpec("localhost:1").on_loopback
    assert ClusterSpec("ray://127.0.0.1:10001").on_loopback and ClusterSpec("[::1]:6379").on_loopback
    assert not ClusterSpec("10.0.0.5:6379").on_loopback and not ClusterSpec("head.example:6379").on_loopback


def test_worker_layout_per_node() -> None:
    cpu_nodes = [{"CPU": 8.0}, {"CPU": 3.0}]
    assert worker_layout(cpu_nodes, "auto", threads=2) == WorkerLayout(4 + 1, 2, 0)
    assert worker_layout(cpu_nodes, "auto", threads=1, most=2) == WorkerLayout(2, 1, 0)
    gpu_nodes = [{"CPU": 16.0, "GPU": 4.0}, {"CPU": 2.0, "GPU": 8.0}]  # the second is short of CPUs
    assert worker_layout(gpu_nodes, "auto", threads=1) == WorkerLayout(4 + 2, 1, 1)
    assert worker_layout(gpu_nodes, "cpu", threads=4) == WorkerLayout(4, 4, 0)
    with pytest.raises(VGVError, match="no GPU"):
        worker_layout(cpu_nodes, "cuda", threads=1)
    with pytest.raises(VGVError, match="no worker fits"):
        worker_layout(cpu_nodes, "cpu", threads=16)


@pytest.mark.parametrize("command", [["explain", "demo", "-o", "out", "--ray", "local:2"],
                                     ["eval", "--n", "1", "--json", "out.json", "--ray", "local:2"]])
def test_without_ray_the_flag_says_how_to_install_it(command, tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", HIDE_RAY, *command], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"vgv {command[0]}: error: --ray needs Ray, an optional extra: pip install 'videogradvis-live[ray]'"]
    assert list(tmp_path.iterdir()) == []


def test_a_local_cluster_listens_on_loopback_only() -> None:
    require_ray()
    before = descendants(os.getpid())
    with connected(ClusterSpec(None, 2), cpus=2) as ray:
        worker = ray.remote(num_cpus=1)(ModelWorker).remote(1)
        actor_pid = ray.get(worker.report.remote())["pid"]
        started = descendants(os.getpid()) - before
        assert actor_pid in started
        assert listening_hosts(started | {os.getpid()}) == {"127.0.0.1"}
