"""What INPUTs name: folders (--recursive keeps subfolders in the outputs), glob patterns and
lists of videos (.txt, .csv), in one process; outputs inside the input are never inputs."""

from __future__ import annotations

import pytest

from explain_support import csv_rows, explain, make_video, write_spec

from vgv_core.errors import VGVError, VideoError
from vgv_core.offline.inputs import find_videos


@pytest.fixture()
def archive(tmp_path):
    root = tmp_path / "bay"
    for day in ("day1", "day2"):
        (root / day).mkdir(parents=True)
        make_video(root / day / "cam0.mp4", frames=10)
    make_video(root / "top.mp4", frames=10)
    (root / "day1" / ".cam0.x1y2z3w4.partial.mp4").write_bytes(b"an unfinished output")
    return root


def test_a_folder_with_subfolders(archive, tmp_path, capfd):
    assert [v.name for v in find_videos([str(archive)]).videos] == ["top"]
    found = find_videos([str(archive)], recursive=True)
    assert [(v.path.relative_to(archive).as_posix(), v.name) for v in found.videos] == [
        ("day1/cam0.mp4", "day1/cam0"), ("day2/cam0.mp4", "day2/cam0"), ("top.mp4", "top")]

    out = archive / "explained"  # inside the input: a rerun must not take its outputs as inputs
    for _ in range(2):
        code, _ = explain(capfd, archive, "--recursive", "--csv", out, "--model", write_spec(tmp_path),
                          "--method", "gradcam", "-q")
        assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv")) == [
        "day1/cam0.csv", "day2/cam0.csv", "top.csv"]
    assert len(csv_rows(out / "day2" / "cam0.csv")) == 11


def test_patterns_and_lists_of_videos(archive, tmp_path):
    pattern = find_videos([str(archive / "day*" / "*.mp4")])
    assert [v.name for v in pattern.videos] == ["day1/cam0", "day2/cam0"] and pattern.several

    listed = tmp_path / "lists"
    listed.mkdir()
    (listed / "videos.txt").write_text(f"# the bay\n{archive}/day1/cam0.mp4\n\n../bay/day2/cam0.mp4\n")
    assert [v.name for v in find_videos([str(listed / "videos.txt")]).videos] == ["day1/cam0", "day2/cam0"]
    (listed / "videos.csv").write_text(f"camera,path\n0,{archive}/top.mp4\n0,{archive}/day2/cam0.mp4\n")
    assert [v.name for v in find_videos([str(listed / "videos.csv")]).videos] == ["top", "day2/cam0"]

    (listed / "bad.csv").write_text("camera,file\n0,a.mp4\n")
    with pytest.raises(VGVError, match="no 'path' column"):
        find_videos([str(listed / "bad.csv")])
    with pytest.raises(VideoError, match="no video file matches"):
        find_videos([str(archive / "*.avi")])
    with pytest.raises(VGVError, match="named day2/cam0"):  # the same output name twice
        find_videos([str(listed / "videos.csv"), str(archive / "day*" / "*.mp4")])
