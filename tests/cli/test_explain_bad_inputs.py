"""Bad input to `vgv explain`: one clear stderr line, a documented exit code, no partial output."""

from __future__ import annotations

import os
import subprocess
import tempfile

import pytest

from explain_support import TINY_SPAN, csv_rows, everything_in, explain, make_video, probe, write_spec

BAD_INPUT = 2
DAMAGED = 3


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return write_spec(tmp_path_factory.mktemp("model"))


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run_into(capfd, out, video, spec, *extra):
    """Explain into ``out`` with every output asked for; (exit code, stderr lines)."""
    return explain(
        capfd, video, "-o", out / "v.mp4", "--csv", out / "v.csv", "--npz", out / "v.npz",
        "--json", out / "v.json", "--model", spec, "--method", "gradcam", "--hop", "3", "-q", *extra,
    )


def truncated(path, source, keep=0.6):
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def test_missing_file(tmp_path, out, spec, capfd):
    code, err = run_into(capfd, out, tmp_path / "nothere.mp4", spec)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert "nothere.mp4 does not exist" in err[0]
    assert everything_in(out) == []


def test_text_file_named_mp4(tmp_path, out, spec, capfd):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 20)
    code, err = run_into(capfd, out, text, spec)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert "notes.mp4 is not a video OpenCV/FFmpeg can read" in err[0]
    assert everything_in(out) == []


def test_truncated_mp4_is_explained_up_to_the_damage(tmp_path, out, spec, capfd):
    whole = make_video(tmp_path / "whole.mp4", frames=60, faststart=True)  # index first: the data is cut
    code, err = run_into(capfd, out, truncated(tmp_path / "cut.mp4", whole), spec)
    assert (code, len(err)) == (DAMAGED, 1)
    rows = len(csv_rows(out / "v.csv")) - 1
    assert 0 < rows < 60
    assert f"{60 - rows} frame(s) could not be decoded" in err[0] and f"cover the {rows} frames" in err[0]
    assert probe(out / "v.mp4")[0] == rows
    assert everything_in(out) == ["v.csv", "v.json", "v.mp4", "v.npz"]


def test_truncated_mp4_without_its_index_is_refused(tmp_path, out, spec, capfd):
    whole = make_video(tmp_path / "whole.mp4", frames=60)  # index last: cut off with the tail
    code, err = run_into(capfd, out, truncated(tmp_path / "cut.mp4", whole), spec)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert "cut.mp4 is not a video" in err[0] and "without its index" in err[0]
    assert everything_in(out) == []


def test_video_shorter_than_one_window_is_refused(tmp_path, out, spec, capfd):
    short = make_video(tmp_path / "short.mp4", frames=TINY_SPAN - 2)
    code, err = run_into(capfd, out, short, spec)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert f"{TINY_SPAN - 2} frame(s) are fewer than one window of the model ({TINY_SPAN} frames" in err[0]
    assert everything_in(out) == []


@pytest.fixture
def unwritable(tmp_path):
    """A folder nobody may write into: read-only mode, or immutable when running as root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = _writable(folder) and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    if _writable(folder):
        pytest.skip("cannot make a folder unwritable here (root without chattr)")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def _writable(folder) -> bool:
    try:
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def test_unwritable_output_folder(tmp_path, unwritable, spec, capfd):
    video = make_video(tmp_path / "ok.mp4", frames=12)
    code, err = run_into(capfd, unwritable, video, spec)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert str(unwritable) in err[0] and ("not writable" in err[0] or "cannot write into" in err[0])
    assert os.listdir(unwritable) == []


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--method", "gradcamm"], "unknown method(s) ['gradcamm']"),
        (["--target", "purple"], "unknown class 'purple'"),
        (["--target", "7"], "unknown class '7'"),
        (["--layer", "blocks.99"], "model has no layer 'blocks.99'"),
        (["--hop", "99"], "--hop 99 must be between 1"),
        (["--colormap", "rainbow"], "unknown colormap 'rainbow'"),
    ],
)
def test_unknown_names(tmp_path, out, spec, capfd, extra, message):
    video = tmp_path / "never-opened.mp4"
    code, err = run_into(capfd, out, video, spec, *extra)
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert err[0].startswith("vgv explain: error: ") and message in err[0]
    assert everything_in(out) == []


def test_missing_output_folder(tmp_path, spec, capfd):
    video = make_video(tmp_path / "ok.mp4", frames=12)
    code, err = explain(capfd, video, "-o", tmp_path / "no" / "such" / "v.mp4", "--model", spec, "-q")
    assert (code, len(err)) == (BAD_INPUT, 1)
    assert "does not exist" in err[0]
