"""The attention guard headless, on the shipped bay video (one parked car) with its shipped regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from live_support import run_cli
from vgv_core.shipped import assets_dir

MIRROR = {"left_bulb": "right_bulb", "right_bulb": "left_bulb",
          "left_headlight": "right_headlight", "right_headlight": "left_headlight"}
BLINKERS = ("left_blinker", "right_blinker")


@pytest.fixture(scope="module")
def bay() -> Path:
    folder = assets_dir() / "demo"
    assert all((folder / name).is_file() for name in ("bay.mp4", "bay_labels.json", "bay_regions.json")), folder
    return folder


def guarded_run(tmp_path: Path, regions: str | Path) -> tuple[list[dict], list[dict]]:
    """The bay video, every 4th window, with ``regions``: its JSONL results and its event records."""
    jsonl, events = tmp_path / "bay.jsonl", tmp_path / "events"
    events.mkdir()
    done = run_cli(["bay", "--headless", "--lossless", "--hop", 4, "--regions", regions, "--jsonl", jsonl,
                    "--events", events], timeout=600)
    assert done.returncode == 0, done.stderr
    assert "looked elsewhere" in done.stderr
    results = [json.loads(line) for line in jsonl.read_text().splitlines()]
    records = [json.loads(path.read_text()) for path in sorted(events.glob("event_*.json"))]
    return results, records


def flagged_share(results: list[dict], label: str) -> float:
    """The share of confident results explaining ``label`` that looked elsewhere."""
    confident = [r for r in results if r["target"] == label and r["probs"][label] >= 0.5]
    assert len(confident) >= 20, f"too few confident {label} results to judge: {len(confident)}"
    return sum(r["looked_elsewhere"] for r in confident) / len(confident)


def test_the_shipped_regions_flag_almost_no_confident_blinker_result(bay, tmp_path):
    results, _ = guarded_run(tmp_path, "bay")
    for result in results:
        assert set(result) >= {"attention_in_region", "looked_elsewhere"}
        share = result["attention_in_region"]
        assert (share is None) == (result["target"] == "all_off"), result  # all_off is bound to nothing
        assert share is None or 0 <= share <= 1
    for label in BLINKERS:
        assert flagged_share(results, label) <= 0.1, label


def test_a_mirrored_binding_flags_the_blinkers_and_raises_events_in_their_scenes(bay, tmp_path):
    regions = json.loads((bay / "bay_regions.json").read_text())
    regions["expect"] = {label: [MIRROR[name] for name in names] for label, names in regions["expect"].items()}
    mirrored = tmp_path / "mirrored.json"
    mirrored.write_text(json.dumps(regions))
    results, records = guarded_run(tmp_path, mirrored)
    for label in BLINKERS:
        assert flagged_share(results, label) >= 0.9, label
    truth = json.loads((bay / "bay_labels.json").read_text())["labels"]
    looked_elsewhere = [r for r in records if r["kind"] == "looked_elsewhere"]
    in_left_scenes = [r for r in looked_elsewhere if r["label"] == "left_blinker"
                      and truth[r["trigger_frame_id"]] == "left_blinker"]
    assert in_left_scenes, [(r["label"], r["trigger_frame_id"]) for r in looked_elsewhere]
    for record in in_left_scenes:
        assert record["attention_in_region"] < record["limit"] == 0.5
        assert record["regions"] == ["right_bulb"]
        assert (mirrored.parent / "events" / record["clip"]).is_file()
        assert (mirrored.parent / "events" / record["map"]).is_file()
