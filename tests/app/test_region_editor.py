"""The attention guard in the window (offscreen Qt): draw a region with the mouse, name it, bind it,
see the verdict on the video and in the attention plot, move and delete it, save and reload it."""

from __future__ import annotations

import json

from PyQt6.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication

from vgv_core.regions import load_regions
from vgv_core.shipped import assets_dir

RESULT_MS = 60_000
LEFT_SCENE_FRAME = 300  # the bay video's first left_blinker scene: frames 240 to 359
MOVE_INTERVAL_MS = 40


def bay_video():
    return assets_dir() / "demo" / "bay.mp4"


def widget_point(window, x: float, y: float) -> QPoint:
    """Where source pixel (x, y) of the video is on the view widget."""
    scene = window.view.overlay_box.mapViewToScene(QPointF(x, y))
    return window.view.mapFromScene(scene)


def send(window, kind: QEvent.Type, point: QPoint, buttons: Qt.MouseButton) -> None:
    """One left-button mouse event on the video view (QTest's moves carry no buttons in Qt 6)."""
    viewport = window.view.viewport()
    position = QPointF(point)
    event = QMouseEvent(kind, position, viewport.mapToGlobal(position), Qt.MouseButton.LeftButton, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


def drag(window, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    """A left-button drag on the video, from and to source pixels, as real mouse events at a hand's pace
    (pyqtgraph drops mouse moves that come faster than its rate limit)."""
    first, last = widget_point(window, *start), widget_point(window, *end)
    send(window, QEvent.Type.MouseButtonPress, first, Qt.MouseButton.LeftButton)
    for k in range(1, steps + 1):
        QTest.qWait(MOVE_INTERVAL_MS)
        send(window, QEvent.Type.MouseMove, first + (last - first) * (k / steps), Qt.MouseButton.LeftButton)
    QTest.qWait(MOVE_INTERVAL_MS)
    send(window, QEvent.Type.MouseButtonRelease, last, Qt.MouseButton.NoButton)


def click(window, x: float, y: float) -> None:
    point = widget_point(window, x, y)
    send(window, QEvent.Type.MouseButtonPress, point, Qt.MouseButton.LeftButton)
    send(window, QEvent.Type.MouseButtonRelease, point, Qt.MouseButton.NoButton)


def open_paused_on_left_scene(qtbot, open_window):
    window = open_window(source=bay_video(), regions=None)
    qtbot.waitUntil(lambda: window.session is not None and window.shown[1] >= 0, timeout=RESULT_MS)
    window.pause_action.trigger()
    window.seek(LEFT_SCENE_FRAME)
    qtbot.waitUntil(lambda: window.session.file_index(window.shown[0]) == LEFT_SCENE_FRAME, timeout=RESULT_MS)
    return window


def wait_for_verdict(qtbot, window, flagged: bool) -> None:
    def judged() -> bool:
        result = window.session.latest()
        return (result is not None and result.labels[result.target] == "left_blinker"
                and result.attention_in_region is not None and result.looked_elsewhere == flagged)

    window.replay.explain_again()
    qtbot.waitUntil(judged, timeout=RESULT_MS)
    qtbot.wait(200)  # a display tick draws it


def bind(window, label: str, region: str) -> None:
    panel = window.regions_panel
    row = panel.labels.index(label)
    column = list(panel.regions.shapes).index(region)
    panel.bindings.item(row, column).setCheckState(Qt.CheckState.Checked)


def test_draw_name_bind_judge_save_and_reload_a_region(qtbot, open_window, outputs, tmp_path, monkeypatch):
    window = open_paused_on_left_scene(qtbot, open_window)
    shipped = dict(window.session.regions.shapes)
    assert "left_bulb" in shipped, "the bay video comes with its regions"
    window.regions_panel.delete_selected()  # nothing selected: nothing happens
    assert window.session.regions.shapes.keys() == shipped.keys()

    # Draw: a rectangle around the right bulb (the image's left), which is the WRONG place for left_blinker.
    qtbot.mouseClick(window.regions_panel.draw_button, Qt.MouseButton.LeftButton)
    drag(window, (215, 185), (295, 260))
    drawn = [name for name in window.session.regions.shapes if name not in shipped]
    assert drawn == ["region 5"]
    x0, y0 = window.session.regions.shapes["region 5"][0]
    assert abs(x0 - 215) < 6 and abs(y0 - 185) < 6, window.session.regions.shapes["region 5"]

    # Name it in the list, then bind left_blinker to it alone.
    item = window.regions_panel.names.findItems("region 5", Qt.MatchFlag.MatchExactly)[0]
    item.setText("wrong_side")
    assert "wrong_side" in window.session.regions.shapes and "region 5" not in window.session.regions.shapes
    panel = window.regions_panel
    left_bulb = list(panel.regions.shapes).index("left_bulb")
    panel.bindings.item(panel.labels.index("left_blinker"), left_bulb).setCheckState(Qt.CheckState.Unchecked)
    bind(window, "left_blinker", "wrong_side")
    assert window.session.regions.expected("left_blinker") == ("wrong_side",)

    # The verdict: the map is on the real left bulb, not in "wrong_side".
    wait_for_verdict(qtbot, window, flagged=True)
    assert window.view.warning.isVisible() and "LOOKED ELSEWHERE" in window.view.warning.toPlainText()
    qtbot.waitUntil(lambda: len(window.attention_plot.history) > 0, timeout=5000)

    # Saved for this source as it changed; and to a file of the user's choice.
    saved = window.session.store.path_for(window.session.source)
    assert load_regions(saved, window.session.labels).expected("left_blinker") == ("wrong_side",)
    chosen = tmp_path / "mine.json"
    monkeypatch.setattr("vgv_live.app.window.ask_regions_destination", lambda parent: str(chosen))
    window._save_regions()
    document = json.loads(chosen.read_text())
    assert document["expect"]["left_blinker"] == ["wrong_side"] and document["frame_size"] == [640, 360]

    # Bind it right again: the verdict follows.
    panel.bindings.item(panel.labels.index("left_blinker"), left_bulb).setCheckState(Qt.CheckState.Checked)
    column = list(panel.regions.shapes).index("wrong_side")
    panel.bindings.item(panel.labels.index("left_blinker"), column).setCheckState(Qt.CheckState.Unchecked)
    wait_for_verdict(qtbot, window, flagged=False)
    assert not window.view.warning.isVisible()

    # Reopen the same source: the regions come back; loading the saved file restores that binding.
    window.shutdown()
    again = open_paused_on_left_scene(qtbot, open_window)
    assert again.session.regions.expected("left_blinker") == ("left_bulb",)
    assert "wrong_side" in again.session.regions.shapes
    monkeypatch.setattr("vgv_live.app.window.ask_regions_file", lambda parent: str(chosen))
    again._load_regions()
    assert again.session.regions.expected("left_blinker") == ("wrong_side",)
    assert again.regions_panel.names.count() == len(again.session.regions.shapes)


def test_move_and_delete_a_region_with_the_mouse_and_the_keyboard(qtbot, open_window):
    window = open_paused_on_left_scene(qtbot, open_window)
    before = window.session.regions.shapes["left_bulb"]
    (x0, y0), (x1, y1) = before[0], before[2]
    drag(window, ((x0 + x1) / 2, (y0 + y1) / 2), ((x0 + x1) / 2 + 40, (y0 + y1) / 2 + 20))
    after = window.session.regions.shapes["left_bulb"]
    moved = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before)]
    assert all(abs(dx - 40) < 4 and abs(dy - 20) < 4 for dx, dy in moved), moved

    (x0, y0), (x1, y1) = after[0], after[2]
    click(window, (x0 + x1) / 2, (y0 + y1) / 2)
    assert window.regions_panel.selected_name() == "left_bulb"
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert "left_bulb" not in window.session.regions.shapes
    assert "left_bulb" not in window.session.regions.expected("left_blinker")
    assert "left_bulb" not in window.region_editor._outlines


def test_a_drag_that_would_cross_a_region_over_itself_is_undone(qtbot, open_window):
    window = open_paused_on_left_scene(qtbot, open_window)
    editor = window.region_editor
    before = window.session.regions
    refusals = []
    editor.refused.connect(refusals.append)
    outline = editor._outlines["left_bulb"]
    handles = outline.getHandles()
    (y0, (x1, y1)) = before.shapes["left_bulb"][0][1], before.shapes["left_bulb"][2]
    # The top-left corner dragged right past the right edge: the left edge then crosses the right one.
    handles[0].movePoint(window.view.overlay_box.mapViewToScene(QPointF(x1 + 20, (y0 + y1) / 2)), finish=True)
    assert refusals and "crosses itself" in refusals[-1]
    assert window.session.regions == before
    assert editor.polygon_of("left_bulb") == before.shapes["left_bulb"]
