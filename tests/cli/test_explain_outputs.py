"""`vgv explain` outputs: frame count and fps kept, one CSV row and one NPZ map per frame."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from explain_support import csv_rows, everything_in, explain, make_video, npz, probe, write_spec


@pytest.fixture(scope="module")
def odd_video(tmp_path_factory):
    """H.264 with an AAC track and odd dimensions, 40 frames at 25 fps."""
    return make_video(tmp_path_factory.mktemp("odd") / "odd.mp4", size="642x362", fps=25, frames=40, audio=True)


def test_every_output_has_one_entry_per_frame(odd_video, tmp_path, capfd):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, err = explain(
        capfd, odd_video, "-o", out / "odd.mp4", "--model", spec, "--method", "gradcam", "--hop", "2", "-q",
        "--csv", out / "odd.csv", "--npz", out / "odd.npz", "--json", out / "odd.json",
        "--gif", out / "odd.gif", "--gif-width", "160",
    )
    assert code == 0, err
    assert err == []
    assert everything_in(out) == ["odd.csv", "odd.gif", "odd.json", "odd.mp4", "odd.npz"]

    frames, fps, width, height = probe(out / "odd.mp4")
    assert (frames, fps) == (40, Fraction(25))
    assert width == 642 and height > 362  # the label panel goes below the picture
    assert probe(out / "odd.gif")[0] == 40

    rows = csv_rows(out / "odd.csv")
    assert rows[0] == ["frame", "time_s", "top1", "p_red", "p_green", "p_blue"]
    assert [int(r[0]) for r in rows[1:]] == list(range(40))
    assert float(rows[11][1]) == pytest.approx(10 / 25)
    probs = np.array([[float(v) for v in r[3:]] for r in rows[1:]])
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-4)
    assert [r[2] for r in rows[1:]] == [["red", "green", "blue"][k] for k in probs.argmax(axis=1)]

    data = npz(out / "odd.npz")
    assert data["maps"].dtype == np.uint8 and data["maps"].shape[0] == 40
    assert data["maps"].shape[1:] == (90, 160)  # reduced, the frame's aspect kept
    assert data["maps"].max() > 0
    np.testing.assert_array_equal(data["frame_index"], np.arange(40))
    np.testing.assert_allclose(data["probs"], probs, atol=1e-4)

    summary = json.loads((out / "odd.json").read_text())
    segments = summary["segments"]
    assert summary["frames"] == 40 and summary["fps"] == 25
    assert segments[0]["start_frame"] == 0 and segments[-1]["end_frame"] == 39
    assert sum(s["frames"] for s in segments) == 40
    assert segments[-1]["end_s"] == pytest.approx(40 / 25)


def test_range_layout_and_sequential_run_agree(tmp_path, capfd):
    video = make_video(tmp_path / "clip.mp4", fps=20, frames=40)
    spec = write_spec(tmp_path)
    common = [video, "--model", spec, "--method", "saliency", "--layout", "side-by-side", "-q",
              "--start", "0.5", "--max-frames", "15"]
    code, err = explain(capfd, *common, "-o", tmp_path / "a.mp4", "--csv", tmp_path / "a.csv")
    assert code == 0, err
    code, err = explain(capfd, *common, "--sequential", "--csv", tmp_path / "b.csv")
    assert code == 0, err

    frames, fps, width, _ = probe(tmp_path / "a.mp4")
    assert (frames, fps, width) == (15, Fraction(20), 3 * 96)  # frame | overlay | heatmap
    pipelined, sequential = csv_rows(tmp_path / "a.csv"), csv_rows(tmp_path / "b.csv")
    assert [int(r[0]) for r in pipelined[1:]] == list(range(10, 25))
    assert float(pipelined[1][1]) == pytest.approx(0.5)
    assert [r[:3] for r in pipelined] == [r[:3] for r in sequential]
    np.testing.assert_allclose(
        [[float(v) for v in r[3:]] for r in pipelined[1:]], [[float(v) for v in r[3:]] for r in sequential[1:]], atol=1e-4
    )
    assert not (tmp_path / "b.mp4").exists()  # no -o: no video


def test_the_seeds_flags_work_as_aliases(tmp_path, capfd):
    video = make_video(tmp_path / "seed.mp4", frames=14)
    spec = write_spec(tmp_path)
    code, err = explain(
        capfd, "--input_video", video, "--output_video", tmp_path / "seed_out.mp4", "--model", spec,
        "--weights_path", tmp_path / "tiny.pt", "--selected_layer", "3", "--height", "80", "--width", "80",
        "--clip_length", "5", "--method", "gradcam", "--json", tmp_path / "seed.json", "-q",
    )
    assert code == 0, err
    settings = json.loads((tmp_path / "seed.json").read_text())
    assert (settings["layer"], settings["input_size"], settings["clip_len"]) == ("blocks.3", 80, 5)
    assert probe(tmp_path / "seed_out.mp4")[0] == 14


def test_batched_windows_match_one_window_per_pass(tmp_path, capfd):
    """--batch explains several windows in one pass of the real model; the results are those of one by one."""
    video = make_video(tmp_path / "clip.mp4", fps=20, frames=30)
    spec = write_spec(tmp_path)
    common = [video, "--model", spec, "--method", "guided_gradcam", "--hop", "2", "-q"]
    for batch in ("1", "4"):
        code, err = explain(capfd, *common, "--batch", batch, "--csv", tmp_path / f"b{batch}.csv",
                            "--npz", tmp_path / f"b{batch}.npz")
        assert code == 0, err
    one, four = csv_rows(tmp_path / "b1.csv"), csv_rows(tmp_path / "b4.csv")
    assert len(four) == 31 and [r[:3] for r in four] == [r[:3] for r in one]
    np.testing.assert_allclose([[float(v) for v in r[3:]] for r in four[1:]],
                               [[float(v) for v in r[3:]] for r in one[1:]], atol=1e-4)
    maps_one, maps_four = npz(tmp_path / "b1.npz")["maps"], npz(tmp_path / "b4.npz")["maps"]
    assert np.abs(maps_one.astype(int) - maps_four.astype(int)).max() <= 1  # uint8 maps, rounding


def test_a_batch_below_one_is_refused(tmp_path, capfd):
    video = make_video(tmp_path / "clip.mp4", fps=20, frames=30)
    spec = write_spec(tmp_path)
    code, err = explain(capfd, video, "--model", spec, "--batch", "0", "-q", "--csv", tmp_path / "x.csv")
    assert code == 2 and "--batch" in err[-1], err
