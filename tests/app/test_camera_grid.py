"""The camera grid: four sources in a 2x2 grid, each tile with its own overlay, focus by key
and by click, a per-camera method, the focus kept in the settings (real widgets, real files)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PyQt6.QtCore import Qt

from vgv_live.app.camera_grid import FOCUS, FOCUS_KEY, GRID, CameraGridWindow
from vgv_live.cameras import named_sources
from vgv_live.config import LiveConfig

OPEN_TIMEOUT_MS = 240_000  # model load, warm-up and four sources on two busy shared cores
# pixels whose colour the heatmap changed by more than 40 of 255 (without a heatmap the tile is the bare
# frame, resized the same way: 0); guided Grad-CAM's maps are sparse, a few lamps' worth of pixels
MIN_HEATED_PIXELS = 10


def small_video(path, seconds: float = 20.0, fps: int = 15, size=(320, 240)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(0)
    for index in range(int(seconds * fps)):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        x = 20 + (index * 3) % (size[0] - 60)
        cv2.rectangle(frame, (x, 80), (x + 40, 120), (0, 200, 255), -1)
        frame[rng.integers(0, size[1], 50), rng.integers(0, size[0], 50)] = 255
        writer.write(frame)
    writer.release()
    return path


def heated_pixels(view) -> int:
    """Pixels of the tile's picture that differ from its bare frame: the heatmap drawn over it."""
    shown = view.overlay_image.astype(np.int16)
    bare = cv2.cvtColor(cv2.resize(view.frame_bgr, shown.shape[1::-1], interpolation=cv2.INTER_LINEAR),
                        cv2.COLOR_BGR2RGB).astype(np.int16)
    return int((np.abs(shown - bare).max(axis=2) > 40).sum())


@pytest.fixture
def grid(qtbot, demo, settings, tmp_path):
    sources = [demo.video, small_video(tmp_path / "small.mp4"), "bay", small_video(tmp_path / "other.mp4")]
    config = LiveConfig(model=demo.model, loop=True, cameras=named_sources([str(s) for s in sources]))
    window = CameraGridWindow(config, settings)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    yield window
    assert window.shutdown(), "a camera's thread did not stop"


def test_four_cameras_in_a_grid_each_with_its_own_overlay_and_focus(qtbot, grid, settings):
    qtbot.waitUntil(lambda: grid.cameras is not None and all(
        run.pipeline.worker.results >= 3 for run in grid.cameras.runs), timeout=OPEN_TIMEOUT_MS)
    qtbot.wait(600)
    tops = [tile.mapTo(grid, tile.rect().topLeft()) for tile in grid.tiles]
    assert tops[0].y() == tops[1].y() < tops[2].y() == tops[3].y() and tops[0].x() == tops[2].x() < tops[1].x()
    for index, tile in enumerate(grid.tiles):
        assert tile.view.frame_bgr is not None, f"camera {index} shows no video"
        assert heated_pixels(tile.view) >= MIN_HEATED_PIXELS, f"camera {index} has no heatmap drawn"
        assert f"cam{index}" in tile.view.caption.text
    assert grid.tiles[1].view.frame_bgr.shape == (240, 320, 3) and grid.tiles[0].view.frame_bgr.shape == (360, 640, 3)

    qtbot.keyClick(grid, Qt.Key.Key_2)
    assert grid.focused == 1 and grid.stack.currentIndex() == FOCUS
    qtbot.waitUntil(lambda: grid.focus_view.frame_bgr is not None and grid.focus_view.frame_bgr.shape == (240, 320, 3))
    qtbot.waitUntil(lambda: len(grid.focus_plot.history.view()[0]) >= 2, timeout=20_000)

    qtbot.keyClick(grid, Qt.Key.Key_G)
    assert grid.focused is None and grid.stack.currentIndex() == GRID and settings.value(FOCUS_KEY) == ""
    qtbot.mouseClick(grid.tiles[2], Qt.MouseButton.LeftButton)
    assert grid.focused == 2 and settings.value(FOCUS_KEY) == "cam2"
    qtbot.waitUntil(lambda: grid.focus_view.frame_bgr.shape == (360, 640, 3))
    assert heated_pixels(grid.focus_view) >= MIN_HEATED_PIXELS

    grid.method.setCurrentText("gradcam")
    grid.method.activated.emit(grid.method.currentIndex())
    runs = grid.cameras.runs
    qtbot.waitUntil(lambda: runs[2].pipeline.latest().method == "gradcam", timeout=20_000)
    assert [run.pipeline.latest().method for run in (runs[0], runs[1], runs[3])] == ["guided_gradcam"] * 3

    results = runs[2].pipeline.worker.subscribe(size=100)
    grid.hop.setValue(6)
    ends: list[int] = []

    def four_results() -> bool:
        while (result := results.get(0)) is not None:
            ends.append(int(result.frame_ids[-1]))
        return len(ends) >= 4

    qtbot.waitUntil(four_results, timeout=30_000)
    assert all(b - a >= 6 for a, b in zip(ends[1:], ends[2:])), ends  # the first may predate the request
