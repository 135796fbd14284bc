"""The attention guard offline: `vgv explain --regions` and `vgv eval --regions` on the shipped bay video."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explain_support import csv_rows, explain
from vgv_core.cli import main
from vgv_core.shipped import assets_dir

MIRROR = {"left_bulb": "right_bulb", "right_bulb": "left_bulb",
          "left_headlight": "right_headlight", "right_headlight": "left_headlight"}
LEFT_SCENE = ("--start", "8.5", "--end", "11.5")  # the bay's first left_blinker scene is 8 s to 12 s
EDGE = 29  # frames at each end of a range whose windows repeat the edge frame (a still clip, no blinking)


def mirrored(folder: Path) -> Path:
    regions = json.loads((assets_dir() / "demo" / "bay_regions.json").read_text())
    regions["expect"] = {label: [MIRROR[name] for name in names] for label, names in regions["expect"].items()}
    path = folder / "mirrored.json"
    path.write_text(json.dumps(regions))
    return path


def guarded_rows(capfd, folder: Path, regions: str | Path) -> tuple[list[dict], dict]:
    csv_path, summary = folder / "bay.csv", folder / "bay.json"
    code, err = explain(capfd, "bay", "--regions", regions, "--csv", csv_path, "--json", summary, "--hop", 4,
                        *LEFT_SCENE, "-q")
    assert code == 0, err
    header, *rows = csv_rows(csv_path)
    assert header[-2:] == ["attention_in_region", "looked_elsewhere"]
    return [dict(zip(header, row)) for row in rows], json.loads(summary.read_text())


def test_the_csv_and_summary_say_where_the_model_looked(tmp_path, capfd):
    rows, summary = guarded_rows(capfd, tmp_path, "bay")
    inner = rows[EDGE:-EDGE]
    assert all(row["top1"] == "left_blinker" for row in inner)
    assert all(float(row["attention_in_region"]) > 0.5 and row["looked_elsewhere"] == "0" for row in inner)
    flagged = sum(row["looked_elsewhere"] == "1" for row in rows)
    assert summary["attention"] == {"frames_checked": len(rows), "frames_looked_elsewhere": flagged}
    assert sum(run["frames"] for run in summary["looked_elsewhere"]) == flagged
    assert summary["regions"].endswith("bay_regions.json")


def test_a_mirrored_binding_is_flagged_frame_by_frame_and_as_runs(tmp_path, capfd):
    rows, summary = guarded_rows(capfd, tmp_path, mirrored(tmp_path))
    inner = rows[EDGE:-EDGE]
    assert all(float(row["attention_in_region"]) < 0.1 and row["looked_elsewhere"] == "1" for row in inner)
    runs = summary["looked_elsewhere"]
    assert sum(run["frames"] for run in runs) == summary["attention"]["frames_looked_elsewhere"] >= len(inner)
    assert {run["label"] for run in runs} == {"left_blinker"}
    assert all(run["end_frame"] >= run["start_frame"] for run in runs)


def test_regions_outside_the_video_are_refused_before_anything_is_written(tmp_path, capfd):
    regions = tmp_path / "wide.json"
    regions.write_text(json.dumps({"regions": {"far": [600, 300, 700, 350]}, "expect": {"left_blinker": ["far"]}}))
    code, err = explain(capfd, "bay", "--regions", regions, "--csv", tmp_path / "out.csv", "-q")
    assert code == 2 and len(err) == 1
    assert "region 'far' reaches outside the 640x360 frame" in err[0]
    assert list(tmp_path.iterdir()) == [regions]


def test_a_regions_file_naming_an_unknown_class_is_one_line(tmp_path, capfd):
    regions = tmp_path / "typo.json"
    regions.write_text(json.dumps({"regions": {"a": [0, 0, 10, 10]}, "expect": {"left_blinkr": ["a"]}}))
    code, err = explain(capfd, "bay", "--regions", regions, "--csv", tmp_path / "out.csv", "-q")
    assert code == 2 and len(err) == 1
    assert "left_blinkr" in err[0] and "known: all_off" in err[0]


@pytest.fixture(scope="module")
def bay_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bay_videos")
    (folder / "bay.mp4").symlink_to(assets_dir() / "demo" / "bay.mp4")
    return folder


def test_eval_scores_localisation_on_the_users_videos_against_their_regions(bay_folder, tmp_path, capfd):
    out = tmp_path / "eval.json"
    code = main(["eval", "--data", str(bay_folder), "--regions", "bay", "--n", "24", "--methods", "guided_gradcam",
                 "--sanity-clips", "1", "--steps", "2", "--frame-steps", "2", "--json", str(out), "-q"])
    assert code == 0, capfd.readouterr().err
    means = json.loads(out.read_text())["summary"]
    guided, random = means["guided_gradcam"], means["random"]
    assert guided["pointing_game"] >= 0.9 * 100 and guided["energy_in_mask"] >= 5 * random["energy_in_mask"]


def test_eval_refuses_regions_on_the_synthetic_bay(tmp_path, capfd):
    code = main(["eval", "--regions", "bay", "--n", "2", "--json", str(tmp_path / "e.json"), "-q"])
    assert code == 2
    assert "--regions goes with --data FOLDER" in capfd.readouterr().err
