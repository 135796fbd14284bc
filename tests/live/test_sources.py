"""parse_source: what the SOURCE text means."""

import pytest

from vgv_core.errors import VideoError
from vgv_live.sources import CAMERA, FILE, STREAM, parse_source


@pytest.mark.parametrize(
    "text, kind, target, endpoint",
    [
        ("0", CAMERA, 0, None),
        ("12", CAMERA, 12, None),
        ("/dev/video2", CAMERA, "/dev/video2", None),
        ("rtsp://127.0.0.1:8554/cam", STREAM, "rtsp://127.0.0.1:8554/cam", ("127.0.0.1", 8554)),
        ("RTSP://user:pw@cam.local/live", STREAM, "RTSP://user:pw@cam.local/live", ("cam.local", 554)),
        ("rtsps://cam.local/live", STREAM, "rtsps://cam.local/live", ("cam.local", 322)),
        ("http://10.0.0.5/mjpg/video.mjpg", STREAM, "http://10.0.0.5/mjpg/video.mjpg", ("10.0.0.5", 80)),
        ("https://cam.local:8443/s", STREAM, "https://cam.local:8443/s", ("cam.local", 8443)),
    ],
)
def test_cameras_and_streams_are_live(text, kind, target, endpoint):
    source = parse_source(text)
    assert (source.kind, source.target, source.endpoint, source.live) == (kind, target, endpoint, True)


def test_an_existing_file_is_a_lossless_source(two_second_video):
    source = parse_source(str(two_second_video))
    assert (source.kind, source.live, source.endpoint) == (FILE, False, None)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty SOURCE"),
        ("missing.mp4", "video file missing.mp4 does not exist"),
        ("ftp://host/x", "unsupported URL scheme 'ftp'"),
        ("rtsp:///path", "has no host"),
        ("/tmp", "is not a video file"),
    ],
)
def test_bad_sources_say_what_is_wrong(text, message):
    with pytest.raises(VideoError, match=message):
        parse_source(text)


def test_demo_names_the_shipped_demo_video_unless_such_a_file_is_here(tmp_path, monkeypatch):
    from vgv_core.shipped import demo_video_path

    monkeypatch.chdir(tmp_path)
    source = parse_source("demo")
    assert source.kind == FILE and source.target == str(demo_video_path()) and demo_video_path().is_file()
    (tmp_path / "demo").write_bytes(b"")
    assert parse_source("demo").target == "demo"
