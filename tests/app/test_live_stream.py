"""The window on a live RTSP stream (gst-rtsp-server test pattern): live display, pause, source state."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from app_support import free_port

SERVER_SCRIPT = Path(__file__).resolve().parents[1] / "live" / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"RTSP test server unavailable in CI: {reason}")
    pytest.skip(f"RTSP test server unavailable: {reason}")


@pytest.fixture
def rtsp_pattern():
    """A live test pattern served over RTSP; yields (url, server process)."""
    if not os.path.exists(SYSTEM_PYTHON) or not SERVER_SCRIPT.exists():
        unavailable(f"needs {SYSTEM_PYTHON} and {SERVER_SCRIPT}")
    server = subprocess.Popen([SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(free_port()), "--fps", "30",
                               "--size", "320x240"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(server.stdout.readline()), daemon=True)
    reader.start()
    reader.join(15)
    if not lines or not lines[0].startswith("rtsp://"):
        server.kill()
        unavailable(f"server did not start: {server.stderr.read()[-300:]!r}")
    yield lines[0].strip(), server
    if server.poll() is None:
        server.terminate()
        server.wait(5)


@pytest.mark.rtsp
def test_live_stream_shows_newest_frames_pauses_and_reports_a_lost_source(qtbot, open_window, rtsp_pattern):
    url, server = rtsp_pattern
    window = open_window(source=url, stale_timeout=2.0)
    qtbot.waitUntil(lambda: window.shown[1] >= 1, timeout=60_000)
    assert window.session.player is None and window.replay_bar.isHidden()
    assert not window.forward_action.isEnabled()
    assert window.view.caption.text.startswith("<b>LIVE</b>")
    qtbot.waitUntil(lambda: window.status.text().startswith("running"), timeout=2000)

    window.pause_action.trigger()  # a camera cannot pause: the display freezes, capture goes on
    frozen = window.shown
    newest = window.session.newest_frame_id
    qtbot.wait(1000)
    assert window.shown == frozen and window.session.newest_frame_id > newest + 10
    window.pause_action.trigger()
    qtbot.waitUntil(lambda: window.shown[0] > frozen[0], timeout=2000)

    server.terminate()
    server.wait(5)
    qtbot.waitUntil(lambda: window.status.text().startswith("reconnecting"), timeout=15_000)
    assert window.banner.text is None  # a lost source is a state, not an error
    qtbot.waitUntil(lambda: window.events.count() == 1, timeout=2000)  # and an event on the events panel
    assert window.events.item(0).text().startswith("camera offline: source lost")
