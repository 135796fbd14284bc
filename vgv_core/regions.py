"""Regions: where each class's evidence must lie, in the source's pixels (the attention guard).

A regions file is JSON:

    {"regions": {"left_bulb": [[x, y], [x, y], [x, y], ...],     # a polygon, or
                 "right_bulb": [x0, y0, x1, y1]},                # a rectangle
     "expect": {"left_blinker": ["left_bulb"], "hazard": ["left_bulb", "right_bulb"]},
     "limit": 0.5,                                               # optional, the default 0.5
     "limits": {"hazard": 0.4},                                  # optional, per class
     "frame_size": [640, 360]}                                   # optional, checked when known

Coordinates are pixels of the source frame, x to the right and y down, (0, 0) the frame's
top-left corner. A class bound to several regions expects its evidence in their union.
A result is "looked elsewhere" when its class is confident but less than the class's
limit of the map's mass lies inside its regions (vgv_core.attention_guard).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.validation import SettingError, known_name, listing, mapping, number, text

Point = tuple[float, float]
DEFAULT_LIMIT = 0.5
KEYS = ("regions", "expect", "limit", "limits", "frame_size")
SUBPIXELS = 8  # a map cell's coverage is counted at the centres of an 8x8 grid of points inside it


@dataclass(frozen=True)
class Regions:
    shapes: Mapping[str, tuple[Point, ...]] = field(default_factory=dict)  # name -> polygon (x, y) vertices
    expect: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # class label -> region names
    limits: Mapping[str, float] = field(default_factory=dict)  # class label -> least share inside
    limit: float = DEFAULT_LIMIT  # for classes without their own
    frame_size: tuple[int, int] | None = None  # (width, height) the regions were drawn on

    def limit_for(self, label: str) -> float:
        return self.limits.get(label, self.limit)

    def expected(self, label: str) -> tuple[str, ...]:
        """The regions ``label``'s evidence must lie in (none: the class is not checked)."""
        return self.expect.get(label, ())

    def check_frame(self, width: int, height: int) -> None:
        """Refuse regions that reach outside a ``width`` x ``height`` frame."""
        for name, polygon in self.shapes.items():
            xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
            if min(xs) < 0 or min(ys) < 0 or max(xs) > width or max(ys) > height:
                raise SettingError(
                    f"region {name!r} reaches outside the {width}x{height} frame (x {min(xs):g}..{max(xs):g}, "
                    f"y {min(ys):g}..{max(ys):g}); redraw it on this source or fix its coordinates")

    def coverage(self, label: str, frame_size: tuple[int, int], grid_size: tuple[int, int]) -> np.ndarray | None:
        """(h, w) float32: the share of each cell of a ``grid_size`` (w, h) grid over a ``frame_size``
        (w, h) frame that lies inside ``label``'s regions (their union); None when it has none."""
        names = self.expected(label)
        if not names:
            return None
        (width, height), (grid_w, grid_h) = frame_size, grid_size
        fine = np.zeros((grid_h * SUBPIXELS, grid_w * SUBPIXELS), bool)
        scale = np.array([grid_w * SUBPIXELS / width, grid_h * SUBPIXELS / height])
        for name in names:
            _fill(fine, np.asarray(self.shapes[name]) * scale)
        return fine.reshape(grid_h, SUBPIXELS, grid_w, SUBPIXELS).mean(axis=(1, 3), dtype=np.float32)

    # -- editing (the window's region editor): each returns a new Regions ----------------------

    def with_shape(self, name: str, polygon: Iterable[Point]) -> Regions:
        shapes = dict(self.shapes)
        shapes[name] = _polygon(listing(list(polygon), f"region {name!r}"), f"region {name!r}")
        return replace(self, shapes=shapes)

    def renamed(self, old: str, new: str) -> Regions:
        text(new, "a region's name")
        if new in self.shapes and new != old:
            raise SettingError(f"a region named {new!r} exists already; choose another name")
        shapes = {new if name == old else name: polygon for name, polygon in self.shapes.items()}
        expect = {label: tuple(new if n == old else n for n in names) for label, names in self.expect.items()}
        return replace(self, shapes=shapes, expect=expect)

    def without(self, name: str) -> Regions:
        shapes = {n: polygon for n, polygon in self.shapes.items() if n != name}
        expect = {label: tuple(n for n in names if n != name) for label, names in self.expect.items()}
        return replace(self, shapes=shapes, expect={label: names for label, names in expect.items() if names})

    def bound(self, label: str, names: Iterable[str]) -> Regions:
        """``label`` expects its evidence in ``names`` (none: not checked)."""
        names = tuple(names)
        for name in names:
            known_name(name, f"the regions bound to {label!r}", self.shapes)
        expect = {**self.expect, label: names}
        return replace(self, expect={lbl: n for lbl, n in expect.items() if n})

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "regions": {name: [[round(x, 2), round(y, 2)] for x, y in polygon] for name, polygon in self.shapes.items()},
            "expect": {label: list(names) for label, names in self.expect.items()},
            "limit": self.limit,
        }
        if self.limits:
            document["limits"] = dict(self.limits)
        if self.frame_size is not None:
            document["frame_size"] = list(self.frame_size)
        return document


def parse_regions(data: Any, labels: Iterable[str], what: str = "the regions") -> Regions:
    """A Regions from a regions file's JSON ``data``, for a model with ``labels``."""
    labels = tuple(labels)
    data = mapping(data, what)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise SettingError(f"{what} has unknown keys {unknown}; known: {', '.join(KEYS)}")
    shapes = {name: _polygon(value, f"{what}: region {name!r}")
              for name, value in mapping(data.get("regions", {}), f"{what}: 'regions'").items()}
    expect = {}
    for label, names in mapping(data.get("expect", {}), f"{what}: 'expect'").items():
        known_name(label, f"{what}: 'expect'", labels)
        expect[label] = tuple(known_name(name, f"{what}: the regions of {label!r}", shapes)
                              for name in listing(names, f"{what}: the regions of {label!r}"))
    limit = number(data.get("limit", DEFAULT_LIMIT), f"{what}: 'limit'", 0, 1)
    limits = {known_name(label, f"{what}: 'limits'", labels): number(value, f"{what}: the limit of {label!r}", 0, 1)
              for label, value in mapping(data.get("limits", {}), f"{what}: 'limits'").items()}
    frame_size = None
    if "frame_size" in data:
        size = listing(data["frame_size"], f"{what}: 'frame_size'")
        if len(size) != 2:
            raise SettingError(f"{what}: 'frame_size' must be [width, height], got {size}")
        frame_size = tuple(number(v, f"{what}: 'frame_size'", 0, low_open=True, integer=True) for v in size)
    regions = Regions(shapes, expect, limits, limit, frame_size)
    if frame_size is not None:
        regions.check_frame(*frame_size)
    return regions


def load_regions(path: str | Path, labels: Iterable[str]) -> Regions:
    """The regions file at ``path`` (see the module's doc), checked against the model's ``labels``."""
    path = Path(path)
    what = f"regions file {path}"
    if not path.is_file():
        raise SettingError(f"{what} does not exist or is not a file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SettingError(f"{what} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise SettingError(f"cannot read {what}: {exc.strerror or exc}") from None
    return parse_regions(data, labels, what)


def regions_text(document: Mapping[str, Any]) -> str:
    """A regions file's JSON as people read it: one region, one binding per line."""
    text = json.dumps(document, indent=2)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def save_regions(path: str | Path, regions: Regions) -> Path:
    """Write ``regions`` to ``path`` (complete or not at all)."""
    path = Path(path)
    temp = temp_path_beside(path)
    try:
        temp.write_text(regions_text(regions.to_json()), encoding="utf-8")
        return publish(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _polygon(value: Any, what: str) -> tuple[Point, ...]:
    """Vertices from [[x, y], ...] (3 or more) or a rectangle [x0, y0, x1, y1]; a simple polygon with area."""
    items = listing(value, what)
    if len(items) == 4 and all(not isinstance(v, (list, tuple)) for v in items):
        x0, y0, x1, y1 = (number(v, what) for v in items)
        if not (x1 > x0 and y1 > y0):
            raise SettingError(f"{what}: a rectangle is [x0, y0, x1, y1] with x1 > x0 and y1 > y0, got {items}")
        return (x0, y0), (x1, y0), (x1, y1), (x0, y1)
    points = []
    for item in items:
        pair = listing(item, f"{what}: each point")
        if len(pair) != 2:
            raise SettingError(f"{what}: each point is [x, y], got {pair}")
        points.append((number(pair[0], what), number(pair[1], what)))
    if len(points) < 3:
        raise SettingError(f"{what} needs at least 3 points (or a rectangle [x0, y0, x1, y1]), got {len(points)}")
    if _crosses_itself(points):
        raise SettingError(f"{what} crosses itself; list its corners in order around the region")
    if abs(_area(points)) < 1e-9:
        raise SettingError(f"{what} has no area: its points lie on one line")
    return tuple(points)


def _fill(canvas: np.ndarray, polygon: np.ndarray) -> None:
    """Set the pixels of ``canvas`` whose centres lie inside ``polygon`` (even-odd rule, canvas units)."""
    height, width = canvas.shape
    (x0, y0), (x1, y1) = np.floor(polygon.min(axis=0)), np.ceil(polygon.max(axis=0))
    x0, x1, y0, y1 = int(max(0, x0)), int(min(width, x1)), int(max(0, y0)), int(min(height, y1))
    if x1 <= x0 or y1 <= y0:
        return
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    inside = np.zeros(xs.shape, bool)
    for (ax, ay), (bx, by) in zip(polygon, np.roll(polygon, -1, axis=0)):
        if ay == by:
            continue  # a horizontal edge is never crossed by a horizontal ray
        crosses = (ay > ys) != (by > ys)
        inside ^= crosses & (xs < ax + (ys - ay) * (bx - ax) / (by - ay))
    canvas[y0:y1, x0:x1] |= inside


def _area(points: list[Point]) -> float:
    xs, ys = np.array(points).T
    return 0.5 * float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))


def _crosses_itself(points: list[Point]) -> bool:
    """Whether two edges that are not neighbours touch."""
    edges = [(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a corner
            if _segments_touch(*edges[i], *edges[j]):
                return True
    return False


def _segments_touch(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def within(p: Point, q: Point, r: Point) -> bool:  # r on segment pq, given the three are collinear
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    d1, d2, d3, d4 = side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True
    return any(math.isclose(s, 0.0, abs_tol=1e-12) and within(p, q, r)
               for s, p, q, r in ((d1, c, d, a), (d2, c, d, b), (d3, a, b, c), (d4, a, b, d)))
