"""Ctrl-C during `vgv explain`: exit code 130 and no output file, not even a temporary one."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from explain_support import everything_in, make_video, write_spec

INTERRUPTED = 130


def test_sigint_leaves_no_output(tmp_path):
    video = make_video(tmp_path / "long.mp4", frames=400)
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "vgv_core.cli", "explain", str(video), "-o", str(out / "v.mp4"),
               "--csv", str(out / "v.csv"), "--npz", str(out / "v.npz"), "--json", str(out / "v.json"),
               "--gif", str(out / "v.gif"), "--model", str(write_spec(tmp_path)), "--method", "gradcam"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(240, process.kill)  # a hung run fails the test instead of blocking it
    timer.start()
    try:
        for line in process.stderr:  # progress lines come at each 10 % when stderr is not a terminal
            if "%" in line:
                break
        assert any(out.iterdir()), "the run should be writing its temporary files by now"
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        code = process.wait()
    finally:
        timer.cancel()
    assert code == INTERRUPTED, rest
    assert "vgv explain: interrupted" in rest
    assert everything_in(out) == []
