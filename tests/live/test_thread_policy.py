"""Torch's CPU threads: the process keeps one long-lived OpenMP team (the worker's), and
neither the library nor the app changes OpenMP's wait policy."""

import os
import subprocess
import sys
import threading

import pytest

from vgv_core.shipped import assets_dir
from vgv_live import headless
from vgv_live.torch_threads import in_passing_thread


@pytest.mark.parametrize("package", ["vgv_core", "vgv_live"])
def test_importing_leaves_the_openmp_wait_policy_alone(package):
    """PASSIVE halved the live worker's rate on the CPU (docs/performance.md)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = f"import os, {package}; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"


def test_in_passing_thread_returns_and_raises_from_a_thread_that_ended():
    seen = []

    def work(value, offset=0):
        seen.append(threading.current_thread())
        if value is None:
            raise KeyError("no value")
        return value + offset

    assert in_passing_thread(work, 2, offset=3) == 5
    with pytest.raises(KeyError, match="no value"):
        in_passing_thread(work, None)
    assert all(t is not threading.current_thread() and not t.is_alive() for t in seen) and len(seen) == 2


def test_headless_loads_the_model_outside_the_main_thread(monkeypatch, tmp_path):
    threads = []
    real_load = headless.load_model

    def spying_load(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_load(*args, **kwargs)

    monkeypatch.setattr(headless, "load_model", spying_load)
    video = assets_dir() / "demo" / "demo.mp4"
    config = headless.LiveConfig(source=str(video), model="demo", duration=1.0)
    with open(tmp_path / "log.txt", "w") as log:
        assert headless.run_headless(config, log) == 0
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
