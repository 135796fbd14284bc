"""Regions files (the attention guard's ground truth) and attention_in_region against hand-computed maps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vgv_core.attention_guard import AttentionGuard
from vgv_core.regions import load_regions, parse_regions, save_regions
from vgv_core.validation import SettingError

LABELS = ("all_off", "left_blinker", "right_blinker", "hazard")
GOOD = {
    "regions": {"left_bulb": [400, 180, 440, 220], "right_bulb": [[200, 180], [240, 180], [240, 220], [200, 220]]},
    "expect": {"left_blinker": ["left_bulb"], "right_blinker": ["right_bulb"], "hazard": ["left_bulb", "right_bulb"]},
}


def test_rectangles_and_polygons_become_the_same_polygon():
    regions = parse_regions(GOOD, LABELS)
    assert regions.shapes["left_bulb"] == ((400, 180), (440, 180), (440, 220), (400, 220))
    assert regions.shapes["right_bulb"] == ((200, 180), (240, 180), (240, 220), (200, 220))
    assert regions.expected("hazard") == ("left_bulb", "right_bulb") and regions.expected("all_off") == ()
    assert regions.limit_for("hazard") == 0.5


def test_limits_per_class_and_a_default():
    regions = parse_regions({**GOOD, "limit": 0.3, "limits": {"hazard": 0.7}}, LABELS)
    assert regions.limit_for("hazard") == 0.7 and regions.limit_for("left_blinker") == 0.3


def test_saved_regions_load_back_equal(tmp_path):
    regions = parse_regions({**GOOD, "limits": {"hazard": 0.25}, "frame_size": [640, 360]}, LABELS)
    path = save_regions(tmp_path / "bay.json", regions)
    assert load_regions(path, LABELS) == regions
    assert [p.name for p in tmp_path.iterdir()] == ["bay.json"]


BAD = [
    ({**GOOD, "expect": {"left_blinkr": ["left_bulb"]}}, "unknown str 'left_blinkr'; known: all_off"),
    ({**GOOD, "expect": {"left_blinker": ["left_bul"]}}, "unknown str 'left_bul'; known: left_bulb, right_bulb"),
    ({**GOOD, "expect": {"left_blinker": "left_bulb"}}, "must be a list"),
    ({**GOOD, "regions": {"x": [[0, 0], [10, 10], [10, 0], [0, 10]]}}, "crosses itself"),
    ({**GOOD, "regions": {"x": [[0, 0], [10, 10], [20, 20]]}}, "no area"),
    ({**GOOD, "regions": {"x": [[0, 0], [10, 10]]}}, "at least 3 points"),
    ({**GOOD, "regions": {"x": [10, 10, 5, 20]}}, "x1 > x0"),
    ({**GOOD, "regions": {"x": [0, 0, "5", 20]}}, "must be a number, got str '5'"),
    ({**GOOD, "regions": {"x": [0, 0, True, 20]}}, "must be a number, got bool"),
    ({**GOOD, "regions": {"x": [0, 0, float("nan"), 20]}}, "finite"),
    ({**GOOD, "regions": {"x": [[0, 0, 1], [1, 1], [0, 1]]}}, "each point is [x, y]"),
    ({**GOOD, "regions": []}, "must be an object"),
    ({**GOOD, "frame_size": [320, 180]}, "reaches outside the 320x180 frame"),
    ({**GOOD, "frame_size": [640]}, "[width, height]"),
    ({**GOOD, "limit": 1.5}, "at least 0 and at most 1"),
    ({**GOOD, "limits": {"hazard": -0.1}}, "at least 0 and at most 1"),
    ({**GOOD, "expects": {}}, "unknown keys ['expects']"),
    (None, "must be an object"),
    (3, "must be an object"),
]


@pytest.mark.parametrize("data, message", BAD)
def test_every_bad_regions_document_is_one_clear_error(data, message):
    with pytest.raises(SettingError) as error:
        parse_regions(data, LABELS)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("content, message", [
    (b"{not json", "is not valid JSON"),
    (b"\xff\xfe\x00binary", "is not valid JSON"),
    (None, "does not exist"),
])
def test_bad_regions_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "regions.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SettingError, match=message):
        load_regions(path, LABELS)


def test_regions_outside_a_frame_of_known_size_are_refused():
    regions = parse_regions(GOOD, LABELS)
    regions.check_frame(640, 360)
    with pytest.raises(SettingError, match="'left_bulb' reaches outside the 420x360 frame"):
        regions.check_frame(420, 360)


def test_coverage_counts_the_share_of_each_cell_inside():
    # A 64x32 frame on a 16x8 grid: cells of 4x4 pixels. The rectangle covers cells 2..3 fully
    # in x and half of cell 1 (x 6..8), rows 1..2 fully (y 4..12).
    regions = parse_regions({"regions": {"r": [6, 4, 16, 12]}, "expect": {"hazard": ["r"]}}, LABELS)
    cover = regions.coverage("hazard", (64, 32), (16, 8))
    expected = np.zeros((8, 16), np.float32)
    expected[1:3, 2:4] = 1.0
    expected[1:3, 1] = 0.5
    np.testing.assert_allclose(cover, expected, atol=1 / 8)  # within one subpixel column of the edge
    assert cover.sum() * 16 == pytest.approx(10 * 8, rel=0.05)  # the rectangle's area in pixels
    assert regions.coverage("left_blinker", (64, 32), (16, 8)) is None


def test_a_triangles_coverage_adds_up_to_its_area():
    regions = parse_regions({"regions": {"t": [[10, 10], [90, 20], [30, 70]]}, "expect": {"hazard": ["t"]}}, LABELS)
    cover = regions.coverage("hazard", (100, 80), (25, 20))  # 4x4-pixel cells
    area = 0.5 * abs((90 - 10) * (70 - 10) - (30 - 10) * (20 - 10))
    assert cover.sum() * 16 == pytest.approx(area, rel=0.03)


def hand_map() -> torch.Tensor:
    """(1, 2, 8, 16): frame 0 has mass 3 inside the left bulb's cells and 1 outside; frame 1 has 2 outside."""
    maps = torch.zeros(1, 2, 8, 16)
    maps[0, 0, 4, 10] = 2.0  # the left bulb (x 400..440, y 180..220 of 640x360) covers cells x 10, y 4
    maps[0, 0, 4, 11] = 1.0  # x 440..480: outside
    maps[0, 0, 5, 10] = 1.0  # y 225..270: outside (the bulb ends at y 220, cell 4 spans 180..225)
    maps[0, 1, 0, 0] = 2.0
    return maps


def test_attention_in_region_is_the_share_of_the_maps_mass_inside():
    guard = AttentionGuard(parse_regions({**GOOD, "regions": {**GOOD["regions"], "left_bulb": [400, 180, 440, 225]}},
                                         LABELS), LABELS)
    (share,) = guard.shares(hand_map(), [1], (640, 360))
    assert share == pytest.approx(2 / 6)
    (share,) = guard.shares(hand_map(), [2], (640, 360))  # right_blinker's bulb: nothing there
    assert share == 0.0
    (share,) = guard.shares(hand_map(), [0], (640, 360))  # all_off is bound to nothing
    assert share is None


def test_a_class_bound_to_two_regions_counts_their_union_once():
    overlapping = {"regions": {"a": [0, 0, 320, 360], "b": [0, 0, 640, 180]}, "expect": {"hazard": ["a", "b"]}}
    guard = AttentionGuard(parse_regions(overlapping, LABELS), LABELS)
    maps = torch.ones(1, 1, 8, 16)
    (share,) = guard.shares(maps, [3], (640, 360))
    assert share == pytest.approx(0.75)  # three quadrants of four, the shared one counted once


def test_an_empty_map_has_no_attention_anywhere():
    guard = AttentionGuard(parse_regions(GOOD, LABELS), LABELS)
    assert guard.shares(torch.zeros(1, 2, 8, 16), [1], (640, 360)) == [0.0]


def test_looked_elsewhere_needs_a_confident_class_and_a_share_below_its_limit():
    regions = parse_regions({**GOOD, "limits": {"hazard": 0.2}}, LABELS)
    guard = AttentionGuard(regions, LABELS, confident={"right_blinker": 0.9})
    assert guard.looked_elsewhere(1, 0.8, 0.3)  # confident (0.5 default), 0.3 < 0.5
    assert not guard.looked_elsewhere(1, 0.4, 0.3)  # not confident
    assert not guard.looked_elsewhere(1, 0.8, 0.6)  # looked there
    assert not guard.looked_elsewhere(2, 0.8, 0.1)  # right_blinker is confident only from 0.9
    assert guard.looked_elsewhere(2, 0.95, 0.1)
    assert not guard.looked_elsewhere(3, 0.9, 0.25)  # hazard's own limit is 0.2
    assert not guard.looked_elsewhere(0, 0.99, None)  # not checked


def test_the_measure_runs_on_the_maps_device_for_a_batch():
    guard = AttentionGuard(parse_regions(GOOD, LABELS), LABELS)
    maps = hand_map().repeat(3, 1, 1, 1)
    assert guard.shares(maps, [1, 2, 0], (640, 360))[1:] == [0.0, None]
    with pytest.raises(SettingError, match="outside"):
        guard.shares(maps, [1, 1, 1], (320, 180))


def test_a_regions_file_written_as_json_by_hand_loads(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(GOOD))
    assert load_regions(path, LABELS).expected("left_blinker") == ("left_bulb",)
