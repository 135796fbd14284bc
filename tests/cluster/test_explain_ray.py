"""`vgv explain --ray` on a real Ray cluster: one head on 127.0.0.1 with 2 CPU workers for the
whole module, joined by ADDRESS. The outputs equal those of one process; a rerun skips what
is done; a deleted output is redone alone; a failing video is recorded and the others go
on; a worker killed by pid mid-video loses no video."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from explain_support import csv_rows, everything_in, explain, make_video, npz, probe, write_spec
from ray_support import RayHead, require_ray

from vgv_core.cluster.connection import LOOPBACK_SWITCH
from vgv_core.shipped import demo_video_path
from vgv_core.offline.run_manifest import MANIFEST_NAME

REPO = Path(__file__).resolve().parents[2]
SOME_FAILED = 1


@pytest.fixture(scope="module")
def head():
    require_ray()
    temp = Path(tempfile.mkdtemp(prefix="vgv-ray-", dir="/tmp"))  # short: Ray's socket paths live below it
    with pytest.MonkeyPatch.context() as env:
        env.setenv(LOOPBACK_SWITCH, "0")
        env.setenv("RAY_AUTH_MODE", "token")
        cluster = RayHead(temp, cpus=2)
        try:
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("model"))


def _archive(folder: Path) -> Path:
    """Real videos of several kinds, one in a subfolder, and the first 36 frames of the demo video."""
    folder.mkdir()
    make_video(folder / "a.mp4", frames=30, fps=25)
    make_video(folder / "b.avi", frames=24, fps=20, codec="mpeg4")
    (folder / "day2").mkdir()
    make_video(folder / "day2" / "a.mkv", frames=20, fps=30, audio=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(demo_video_path()), "-frames:v", "36",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "demo_cut.mp4")], check=True)
    return folder


def _outputs(root: Path) -> list[str]:
    out = root.parent / f"{root.name}-"
    return ["-o", root, "--csv", f"{out}csv", "--npz", f"{out}npz", "--json", f"{out}json"]


def _mtimes(*folders: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for folder in folders for p in folder.rglob("*") if p.is_file()}


def _manifest(folder: Path) -> dict[str, dict]:
    lines = (folder / MANIFEST_NAME).read_text().splitlines()
    return {Path(record["path"]).name: record for record in map(json.loads, lines)}


def test_cluster_outputs_equal_one_process_then_resume(head, spec, tmp_path, capfd):
    videos = _archive(tmp_path / "videos")
    common = [videos, "--recursive", "--model", spec, "--hop", "2", "-q"]
    assert explain(capfd, *common, *_outputs(tmp_path / "one"))[0] == 0
    code, err = explain(capfd, *common, *_outputs(tmp_path / "ray"), "--ray", head.address)
    assert code == 0, err

    names = ["a", "b", "day2/a", "demo_cut"]
    frames = {"a": 30, "b": 24, "day2/a": 20, "demo_cut": 36}
    for name in names:
        mine, theirs = tmp_path / "ray", tmp_path / "one"
        assert probe(mine / f"{name}.mp4")[0] == probe(theirs / f"{name}.mp4")[0] == frames[name]
        assert csv_rows(tmp_path / f"ray-csv/{name}.csv") == csv_rows(tmp_path / f"one-csv/{name}.csv")
        maps = [npz(tmp_path / f"{side}-npz/{name}.npz") for side in ("ray", "one")]
        np.testing.assert_array_equal(maps[0]["frame_index"], maps[1]["frame_index"])
        # uint8 heatmaps; the exact-mode bound (1e-4 of the peak) is under one step of 255
        assert np.abs(maps[0]["maps"].astype(int) - maps[1]["maps"].astype(int)).max() <= 1
        summaries = [json.loads((tmp_path / f"{side}-json/{name}.json").read_text()) for side in ("ray", "one")]
        assert summaries[0]["segments"] == summaries[1]["segments"]
    records = _manifest(tmp_path / "ray")
    assert sorted(records) == ["a.mkv", "a.mp4", "b.avi", "demo_cut.mp4"]
    assert {r["status"] for r in records.values()} == {"done"}
    assert records["a.mkv"]["outputs"] == {"video": "day2/a.mp4", "csv": "../ray-csv/day2/a.csv",
                                           "npz": "../ray-npz/day2/a.npz", "json": "../ray-json/day2/a.json"}
    run = json.loads((tmp_path / "ray-json" / "vgv-run.json").read_text())
    assert len(run["workers"]) == 2 and run["explained"] == 4 and run["frames"] == sum(frames.values())
    assert sum(w["frames"] for w in run["workers"]) == run["frames"]
    assert all(w["frames_per_s"] > 0 for w in run["workers"] if w["videos"])

    # the same command again: everything is done, nothing is rewritten but the run's summary
    written = _mtimes(*(tmp_path.glob("ray*")))
    code, err = explain(capfd, *common, *_outputs(tmp_path / "ray"), "--ray", head.address)
    assert code == 0 and "0 explained, 4 done before (skipped), 0 failed" in err[-1]
    again = _mtimes(*(tmp_path.glob("ray*")))
    assert [p for p in again if again[p] != written[p]] == [str(tmp_path / "ray-json" / "vgv-run.json")]

    # one output deleted: only that video is explained again
    (tmp_path / "ray-csv" / "b.csv").unlink()
    written = _mtimes(*(tmp_path.glob("ray*")))
    code, err = explain(capfd, *common, *_outputs(tmp_path / "ray"), "--ray", head.address)
    assert code == 0 and "1 explained, 3 done before (skipped), 0 failed" in err[-1]
    assert csv_rows(tmp_path / "ray-csv/b.csv") == csv_rows(tmp_path / "one-csv/b.csv")
    again = _mtimes(*(tmp_path.glob("ray*")))
    changed = sorted(Path(p).relative_to(tmp_path).as_posix() for p in again if again[p] != written.get(p))
    assert changed == ["ray-csv/b.csv", "ray-json/b.json", "ray-json/vgv-run.json", "ray-npz/b.npz", "ray/b.mp4",
                       f"ray/{MANIFEST_NAME}"]


def test_a_failing_video_is_recorded_and_the_others_go_on(head, spec, tmp_path, capfd):
    videos = tmp_path / "videos"
    videos.mkdir()
    make_video(videos / "good.mp4", frames=16)
    (videos / "broken.mp4").write_text("this is text, not a video\n")
    command = [videos, "-o", tmp_path / "out", "--model", spec, "--method", "gradcam", "--ray", head.address, "-q"]

    code, err = explain(capfd, *command)
    assert code == SOME_FAILED
    assert any("broken.mp4 is not a video" in line for line in err)
    assert "1 of 2 videos failed" in err[-1]
    records = _manifest(tmp_path / "out")
    assert records["good.mp4"]["status"] == "done"
    assert records["broken.mp4"]["status"] == "failed" and "not a video" in records["broken.mp4"]["error"]
    assert everything_in(tmp_path / "out") == ["good.mp4", MANIFEST_NAME]

    code, err = explain(capfd, *command)  # the failed one is tried again, the good one is not
    assert code == SOME_FAILED
    assert "1 of 2 videos failed" in err[-1] and "0 explained, 1 done before" in err[-2]


def test_a_worker_killed_mid_video_loses_no_video(head, spec, tmp_path):
    import ray

    videos = tmp_path / "videos"
    videos.mkdir()
    for k in range(4):
        make_video(videos / f"v{k}.mp4", frames=150)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vgv_core.cli", "explain", str(videos), "-o", str(out), "--json", str(out),
               "--model", str(spec), "--method", "gradcam", "--ray", head.address, "-q"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    run = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    ray.init(address=head.address, log_to_driver=False, logging_level="ERROR")
    try:
        killed = _kill_a_worker_mid_video(ray, run)
    finally:
        ray.shutdown()
    _, err = run.communicate(timeout=300)

    assert run.returncode == 0, err
    records = _manifest(out)
    assert sorted(records) == [f"v{k}.mp4" for k in range(4)]
    assert {record["status"] for record in records.values()} == {"done"}
    assert everything_in(out) == sorted([f"v{k}.mp4" for k in range(4)] + [f"v{k}.json" for k in range(4)]
                                        + [MANIFEST_NAME, "vgv-run.json"])  # no temporaries left
    for k in range(4):
        assert probe(out / f"v{k}.mp4")[0] == 150
    workers = json.loads((out / "vgv-run.json").read_text())["workers"]
    restarted = [w for w in workers if killed in w["pids"]]
    assert len(restarted) == 1 and restarted[0]["restarts"] >= 1


def _kill_a_worker_mid_video(ray, run: subprocess.Popen) -> int:
    """Find the run's actors by name, kill one (its process, by pid) while it explains a video
    with frames done; its pid."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        named = [a for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("vgv-explain-")]
        for entry in named:
            actor = ray.get_actor(entry["name"], namespace=entry["namespace"])
            ready, _ = ray.wait([actor.report.options(concurrency_group="report").remote()], timeout=5)
            report = ray.get(ready[0]) if ready else {}
            if report.get("task") and report.get("total") and 10 <= report["done"] < report["total"] - 10:
                os.kill(report["pid"], signal.SIGKILL)
                return report["pid"]
        time.sleep(0.2)
    raise AssertionError(f"no worker was seen mid-video; the run ended with {run.poll()}")
