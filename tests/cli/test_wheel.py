"""The built wheel carries the demo: installed in a fresh virtual environment (torch and the
other dependencies reused from this one), its commands run the demo from a folder outside the
source tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(command: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _source_copy(folder: Path) -> Path:
    """The files git tracks (what a clean clone holds), so no build output of ours is packed."""
    listed = _run(["git", "ls-files", "-z"], REPO)
    assert listed.returncode == 0, listed.stderr
    for name in filter(None, listed.stdout.split("\0")):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with only the built wheel installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    source = _source_copy(work / "source")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                  work / "dist", source], work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("videogradvis_live-*.whl")
    venv = work / "venv"
    assert _run([sys.executable, "-m", "venv", "--system-site-packages", venv], work).returncode == 0
    done = _run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], work)
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def test_the_wheel_holds_the_demo_model_spec_and_video(installed, tmp_path):
    where = _run([installed / "python", "-c",
                  "import json, vgv_core; from vgv_core.shipped import assets_dir; "
                  "print(json.dumps([vgv_core.__file__, sorted(p.name for p in (assets_dir() / 'demo').iterdir())]))"],
                 tmp_path)
    assert where.returncode == 0, where.stderr
    module, demo_files = json.loads(where.stdout)
    assert Path(module).is_relative_to(installed.parent)  # the wheel's copy, not this checkout
    assert {"spec.json", "demo_x3d.pt", "demo.mp4"} <= set(demo_files)


def test_the_installed_commands_run_the_demo_from_another_folder(installed, tmp_path):
    for command in ("vgv", "vgv-live"):
        version = _run([installed / command, "--version"], tmp_path)
        assert version.returncode == 0 and version.stdout.split() == [command, "0.1.0"], version
    explained = _run([installed / "vgv", "explain", "demo", "-o", "demo_explained.mp4", "--json", "demo.json",
                      "--max-frames", "32", "--hop", "8", "-q"], tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert (tmp_path / "demo_explained.mp4").stat().st_size > 0
    assert json.loads((tmp_path / "demo.json").read_text())["frames"] == 32
    live = _run([installed / "vgv-live", "--headless", "--duration", "4", "--jsonl", "preds.jsonl"], tmp_path)
    assert live.returncode == 0, live.stderr
    assert len((tmp_path / "preds.jsonl").read_text().splitlines()) > 0
