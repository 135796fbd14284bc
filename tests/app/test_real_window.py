"""A real window: `vgv-live` on the demo video in Xvfb, checked on screenshots taken with xwd.

Xvfb picks a free display itself (-displayfd). Without Xvfb (or xwd, or imagemagick) the
test is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from vgv_live.window_model.palette import CLASS_COLORS
from vgv_live.window_model.virtual_display import DisplayError, virtual_display

SCREEN = (1280, 800)
APP_TIMEOUT_S = 180.0  # model load and warm-up on two busy shared cores
COLOR_TOLERANCE = 40
VIDEO_SHOTS = 10
MIN_CHANGED = 0.005  # fraction of the video area's pixels


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"real-window test cannot run in CI: {reason}")
    pytest.skip(f"real-window test cannot run: {reason}")


@pytest.fixture
def xvfb():
    """A running Xvfb (the product's own, as `vgv bench --window` uses); yields its DISPLAY value."""
    for tool in ("Xvfb", "xwd", "convert"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (Debian: xvfb, x11-apps, imagemagick)")
    try:
        with virtual_display(SCREEN) as display:
            yield display
    except DisplayError as exc:
        unavailable(str(exc))


def screenshot(display: str, path: Path) -> np.ndarray:
    """The whole X screen as BGR, via xwd and imagemagick."""
    raw = path.with_suffix(".xwd")
    subprocess.run(["xwd", "-root", "-silent", "-display", display, "-out", str(raw)], check=True, timeout=20)
    subprocess.run(["convert", str(raw), str(path)], check=True, timeout=20)
    return cv2.imread(str(path))


def regions(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(video area, confidence plot area right of its legend) in the default layout at (0, 0)."""
    height, width = image.shape[:2]
    video = image[int(height * 0.06):int(height * 0.55), : int(width * 0.7)]
    return video, image[int(height * 0.76):int(height * 0.93), int(width * 0.25):int(width * 0.7)]


def curve_pixels(area: np.ndarray, classes: int) -> int:
    colors = np.array([color[::-1] for color in CLASS_COLORS[:classes]], np.int16)  # BGR
    distance = np.abs(area[:, :, None, :].astype(np.int16) - colors[None, None]).max(axis=3)
    return int((distance.min(axis=2) < COLOR_TOLERANCE).sum())


@pytest.mark.display
def test_vgv_live_window_shows_moving_video_and_curves(xvfb, demo, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=xvfb, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONFAULTHANDLER="1")  # a crash leaves its stacks in the log
    log_path = tmp_path / "vgv-live.log"
    log = open(log_path, "wb")
    app = subprocess.Popen([sys.executable, "-m", "vgv_live", str(demo.video), "--model", demo.model, "--threads", "1"],
                           env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + APP_TIMEOUT_S
        first = screenshot(xvfb, tmp_path / "first.png")
        while curve_pixels(regions(first)[1], len(demo.labels)) < 200:
            assert app.poll() is None, f"vgv-live exited: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "no curves appeared in the plot area"
            time.sleep(1.0)
            first = screenshot(xvfb, tmp_path / "first.png")
        video_first, plot = regions(first)
        changed = 0.0
        for shot in range(VIDEO_SHOTS):  # the demo opens on a still scene: allow it a few seconds
            time.sleep(1.0)
            video_later, _ = regions(screenshot(xvfb, tmp_path / f"later{shot}.png"))
            changed = (np.abs(video_first.astype(np.int16) - video_later).max(axis=2) > 30).mean()
            if changed > MIN_CHANGED:
                break
        print(f"\nvideo area: {changed:.1%} of pixels changed after {shot + 1} s;"
              f" plot area: {curve_pixels(plot, len(demo.labels))} curve pixels")
        assert changed > MIN_CHANGED, f"the video area did not change in {VIDEO_SHOTS} s"
        assert app.poll() is None
        app.terminate()  # SIGTERM closes the window like its close button
        assert app.wait(10) == 0, log_path.read_text()[-2000:]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.close()


def quadrants(image: np.ndarray) -> list[np.ndarray]:
    """The four tiles of a 2x2 camera grid filling the screen (status bar left out)."""
    height, width = image.shape[:2]
    rows, cols = (slice(0, int(height * 0.47)), slice(int(height * 0.5), int(height * 0.95))), \
        (slice(0, width // 2), slice(width // 2, width))
    return [image[row, col] for row in rows for col in cols]


@pytest.mark.display
def test_vgv_live_with_four_sources_shows_four_moving_tiles(xvfb, demo, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=xvfb, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONFAULTHANDLER="1")
    log_path = tmp_path / "vgv-live.log"
    with open(log_path, "wb") as log:
        app = subprocess.Popen([sys.executable, "-m", "vgv_live", str(demo.video), "bay", str(demo.video), "bay",
                                "--model", demo.model, "--threads", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + APP_TIMEOUT_S
            moved = [False] * 4
            previous = quadrants(screenshot(xvfb, tmp_path / "grid.png"))
            while not all(moved):
                assert app.poll() is None, f"vgv-live exited: {log_path.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"tiles that never moved: {[i for i, m in enumerate(moved) if not m]}"
                time.sleep(1.0)
                later = quadrants(screenshot(xvfb, tmp_path / "grid.png"))
                for index, (before, after) in enumerate(zip(previous, later)):
                    changed = (np.abs(before.astype(np.int16) - after).max(axis=2) > 30).mean()
                    moved[index] |= bool(changed > MIN_CHANGED)
                previous = later
            app.terminate()
            assert app.wait(15) == 0, log_path.read_text()[-2000:]
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
