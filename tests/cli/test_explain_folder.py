"""A folder of videos: every readable one explained, an unreadable one reported, exit code 1."""

from __future__ import annotations

from fractions import Fraction

from explain_support import csv_rows, everything_in, explain, make_video, probe, write_spec

SOME_FAILED = 1


def test_folder_with_one_unreadable_file(tmp_path, capfd):
    videos = tmp_path / "videos"
    videos.mkdir()
    make_video(videos / "a.mp4", frames=12, fps=25)
    make_video(videos / "b.avi", frames=14, fps=20, codec="mpeg4")
    make_video(videos / "c.mkv", frames=16, fps=30, audio=True)
    (videos / "broken.mp4").write_text("this is text, not a video\n")
    (videos / "notes.txt").write_text("not a video name: skipped\n")
    out, csvs = tmp_path / "out", tmp_path / "csv"

    code, err = explain(capfd, videos, "-o", out, "--csv", csvs, "--model", write_spec(tmp_path),
                        "--method", "gradcam", "--hop", "3", "-q")

    assert code == SOME_FAILED
    assert len(err) == 2
    assert "broken.mp4 is not a video" in err[0]
    assert "1 of 4 videos failed" in err[1]
    assert everything_in(out) == ["a.mp4", "b.mp4", "c.mp4"]
    assert everything_in(csvs) == ["a.csv", "b.csv", "c.csv"]
    for name, frames, fps in [("a", 12, 25), ("b", 14, 20), ("c", 16, 30)]:
        assert probe(out / f"{name}.mp4")[:2] == (frames, Fraction(fps))
        assert len(csv_rows(csvs / f"{name}.csv")) == frames + 1
