"""Table-driven: bad outputs, full disks, signals, failing threads and bugs, on the real commands.

Every case checks the same promises: one line on stderr and no traceback, the documented
exit code, the inputs unchanged, and no partial or temporary file left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hardening_support import REPO, leftovers, run
from vgv_core.exits import run_command


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(done: subprocess.CompletedProcess, *fragments: str) -> str:
    """The one error line (vgv-live's progress lines may come before it), with ``fragments``."""
    errors = [line for line in done.stderr.splitlines() if ": error: " in line or "internal error" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(fragment in errors[0] for fragment in fragments), errors[0]
    return errors[0]


SAME_PATH_CASES = [
    ("vgv", ["explain", "{clip}", "-o", "{clip}"], "-o {clip} is the input"),
    ("vgv", ["explain", "{clip}", "--csv", "{clip}"], "--csv {clip} is the input"),
    ("vgv", ["explain", "{clip}", "-o", "{dir}/x.mp4", "--csv", "{dir}/x.mp4"], "both name"),
    ("vgv", ["explain", "{clip}", "-o", "{dir}/sub/../clip.mp4"], "is the input"),
    ("vgv", ["explain", "{clip}", "-o", "{dir}/link.mp4"], "is the input"),
    ("vgv-live", ["{clip}", "--headless", "--record", "{clip}"], "--record {clip} is the input"),
    ("vgv-live", ["{clip}", "--headless", "--jsonl", "{clip}"], "--jsonl {clip} is the input"),
    ("vgv-live", ["{clip}", "--headless", "--jsonl", "{dir}/a.out", "--record", "{dir}/a.out"], "both name"),
    ("vgv", ["eval", "--data", "{dir}", "--json", "{clip}"], "--json {clip} is the input"),
]


@pytest.mark.parametrize("command, args, message", SAME_PATH_CASES)
def test_an_output_never_overwrites_an_input(command, args, message, clip, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.mp4").symlink_to(clip)
    before = digest(clip)
    fill = {"clip": clip, "dir": tmp_path}
    done = run(command, *[arg.format(**fill) for arg in args])
    assert done.returncode == 2
    one_line(done, message.format(**fill))
    assert digest(clip) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "link.mp4", "sub"]


@pytest.mark.parametrize("command, args", [
    ("vgv", ["explain", "{clip}", "-o", "/dev/null"]),
    ("vgv", ["explain", "{clip}", "--csv", "/dev/zero"]),
    ("vgv-live", ["{clip}", "--headless", "--jsonl", "/dev/null"]),
    ("vgv-live", ["{clip}", "--headless", "--record", "{dir}"]),
])
def test_special_files_and_folders_are_never_replaced(command, args, clip, tmp_path):
    done = run(command, *[arg.format(clip=clip, dir=tmp_path) for arg in args])
    assert done.returncode == 2
    one_line(done, "not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISCHR(os.stat("/dev/zero").st_mode)


def test_a_full_disk_under_vgv_explain_is_one_line_naming_the_file(full_disk, clip):
    out = full_disk.folder
    done = run("vgv", "explain", clip, "--npz", out / "maps.npz", "--csv", out / "rows.csv", "--hop", 8, "-q",
               preexec=full_disk.preexec)
    assert done.returncode == 4
    one_line(done, "cannot write", str(out))
    assert list(out.iterdir()) == [], "nothing half-written survives"


def test_a_full_disk_under_vgv_live_keeps_whole_lines_and_says_which_file(full_disk, clip):
    jsonl = full_disk.folder / "preds.jsonl"
    done = run("vgv-live", clip, "--headless", "--lossless", "--hop", 1, "--jsonl", jsonl, preexec=full_disk.preexec)
    assert done.returncode == 4
    one_line(done, f"the outputs failed: cannot write {jsonl}")
    lines = jsonl.read_text().splitlines()
    assert lines and all(json.loads(line)["seq"] == k for k, line in enumerate(lines)), "whole lines only"
    assert jsonl.read_text().endswith("\n")


def test_a_full_disk_under_a_recording_leaves_no_hidden_file(full_disk, clip):
    done = run("vgv-live", clip, "--headless", "--lossless", "--record", full_disk.folder / "rec.mp4",
               preexec=full_disk.preexec)
    assert done.returncode == 4
    one_line(done, "cannot write", "rec.mp4")
    assert leftovers(full_disk.folder) == [] and not (full_disk.folder / "rec.mp4").exists()


def test_sigterm_stops_vgv_explain_and_leaves_nothing(tmp_path):
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "vgv_core.cli", "explain", "demo", "-o", tmp_path / "out.mp4", "--csv",
         tmp_path / "out.csv", "--npz", tmp_path / "out.npz"],
        stderr=subprocess.PIPE, text=True, env=environment)
    deadline = time.monotonic() + 120
    while not leftovers(tmp_path) and time.monotonic() < deadline:  # the outputs are being written
        time.sleep(0.1)
    assert leftovers(tmp_path), "the run never started writing"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and "terminated" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def sitecustomize(folder: Path, code: str) -> dict[str, str]:
    """An environment whose Python runs ``code`` at start-up: a fault injected into a dependency."""
    (folder / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": f"{folder}{os.pathsep}{REPO}"}


BROKEN_DRAWING = """
import vgv_live.sink_pump
def annotate(*args, **kwargs):
    raise ZeroDivisionError("injected")
vgv_live.sink_pump.annotate = annotate
"""


def test_a_bug_in_the_outputs_thread_is_that_parts_error_not_a_traceback(clip, tmp_path):
    environment = sitecustomize(tmp_path, BROKEN_DRAWING)
    jsonl = tmp_path / "out.jsonl"
    done = run("vgv-live", clip, "--headless", "--lossless", "--record", tmp_path / "rec.mp4", "--jsonl", jsonl,
               env=environment)
    assert done.returncode == 70
    one_line(done, "the outputs failed: internal error: ZeroDivisionError: injected", "VGV_DEBUG=1")
    assert leftovers(tmp_path) == [] and jsonl.exists()
    debug = run("vgv-live", clip, "--headless", "--lossless", "--record", tmp_path / "rec.mp4",
                env={**environment, "VGV_DEBUG": "1"})
    assert debug.returncode == 70 and "Traceback" in debug.stderr


BROKEN_EXPLAIN = """
import vgv_core.offline.job
def explain_video(*args, **kwargs):
    raise KeyError("injected")
vgv_core.offline.job.explain_video = explain_video
import vgv_core.commands.explain
vgv_core.commands.explain.explain_video = explain_video
"""


def test_a_bug_at_the_top_is_one_line_with_exit_70(clip, tmp_path):
    done = run("vgv", "explain", clip, "--csv", tmp_path / "out.csv", env=sitecustomize(tmp_path, BROKEN_EXPLAIN))
    assert done.returncode == 70
    one_line(done, "vgv explain: internal error: KeyError: 'injected'; rerun with VGV_DEBUG=1")


def test_an_exception_escaping_a_thread_fails_the_command(capsys):
    def body() -> int:
        thread = threading.Thread(target=lambda: 1 / 0, name="vgv-test")
        thread.start()
        thread.join()
        return 0

    assert run_command("vgv test", body) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error in thread vgv-test: ZeroDivisionError" in err


@pytest.mark.parametrize("content, message", [
    ('thresholds = "left_blinker"\nevents = "."\n', "thresholds must be an object"),
    ('record = ["a.mp4"]\n', "record must be a non-empty text"),
    ("hop = 1.5\n", "hop must be a whole number"),
    ("duration = nan\n", "duration must be a finite number"),
    ("hysteresis = -0.2\n", "hysteresis must be at least 0"),
    ("[[cameras]]\nsource = 1\n", "cameras[0].name must be a non-empty text"),
    ('[[cameras]]\nname = "a"\nsource = 1\n', "camera 'a': source must be a non-empty text"),
])
def test_wrong_types_in_the_settings_file_are_one_line(content, message, clip, tmp_path):
    config = tmp_path / "live.toml"
    config.write_text(content)
    done = run("vgv-live", clip, "--headless", "--config", config)
    assert done.returncode == 2
    one_line(done, message)


def test_a_folder_given_as_the_settings_file_is_one_line(clip, tmp_path):
    done = run("vgv-live", clip, "--headless", "--config", tmp_path)
    assert done.returncode == 2
    one_line(done, "is not a file")


@pytest.mark.parametrize("command", ["vgv", "vgv-live"])
def test_a_file_name_that_is_not_utf8_is_refused_not_a_crash(command, clip, tmp_path):
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/odd\xff.mp4"))
    odd.write_bytes(clip.read_bytes())
    args = ["explain", odd, "--csv", tmp_path / "o.csv"] if command == "vgv" else [odd, "--headless"]
    done = run(command, *args)
    assert done.returncode == 2
    one_line(done, "not valid UTF-8")


def test_a_ring_too_large_for_memory_is_refused_in_words(clip):
    done = run("vgv-live", clip, "--headless", "--ring-frames", 100_000)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if 100_000 * 640 * 360 * 3 < total * 0.8:
        pytest.fail("this test needs a machine with less than 55 GB of memory")
    assert done.returncode == 3
    one_line(done, "a ring of 100000 frames of 640x360 would need", "lower --ring-frames")


def test_an_unreachable_display_is_one_line(clip):
    done = run("vgv-live", clip, env={"DISPLAY": ":97", "QT_QPA_PLATFORM": "xcb"})
    assert done.returncode == 1
    one_line(done, "cannot reach the X display DISPLAY=:97", "--headless")


def test_nan_weights_are_refused(tmp_path):
    import torch

    from vgv_core import load_model

    spec = {"arch": "x3d_xs", "num_classes": 3, "clip_len": 4, "crop_size": 64, "weights": "w.pt"}
    state = load_model("x3d_xs", num_classes=3, device="cpu").net.state_dict()
    state["blocks.5.proj.weight"] = torch.full_like(state["blocks.5.proj.weight"], float("nan"))
    torch.save(state, tmp_path / "w.pt")
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    done = run("vgv", "explain", "demo", "--model", tmp_path / "spec.json", "--csv", tmp_path / "o.csv")
    assert done.returncode == 2
    one_line(done, "NaN or infinite weights in blocks.5.proj.weight")
    assert not (tmp_path / "o.csv").exists()
