"""Video sources behind one interface: camera index or device path, stream URL, or file.

`parse_source` turns the SOURCE text of the command line into a `Source`; `open_capture`
opens it as a cv2.VideoCapture with open and read timeouts, or raises VideoError with a
reason a person can act on ("connection refused", "no such camera", ...).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import cv2

from vgv_core.errors import VideoError
from vgv_core.shipped import DEMO, demo_video_path, named_input
from vgv_core.validation import path_name
from vgv_core.video_env import configure_ffmpeg_environment

CAMERA = "camera"
STREAM = "stream"
FILE = "file"
STREAM_SCHEMES = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
MAX_CAMERA_INDEX = 1023  # Linux numbers video devices below this


@dataclass(frozen=True)
class Source:
    """Where frames come from. ``live`` sources drop frames; files are read without loss."""

    kind: str  # CAMERA, STREAM or FILE
    target: int | str  # camera index, device path, URL or file path
    text: str  # as the user wrote it, for messages

    @property
    def live(self) -> bool:
        return self.kind != FILE

    @property
    def endpoint(self) -> tuple[str, int] | None:
        """(host, port) of a stream's server, for diagnostics and waking blocked reads."""
        if self.kind != STREAM:
            return None
        parts = urlsplit(str(self.target))
        return parts.hostname or "", parts.port or STREAM_SCHEMES[parts.scheme.lower()]


def default_source(source: str | None, model: str) -> str | None:
    """No SOURCE: the demo video, when the demo model is the one in use."""
    if source or model != DEMO:
        return source
    return str(demo_video_path()) if demo_video_path().exists() else None


def parse_source(text: str) -> Source:
    """Classify SOURCE: ``0``, ``/dev/video0``, ``rtsp://...``, ``http(s)://...``, a file path,
    or ``demo`` (the shipped demo video)."""
    text = text.strip()
    if not text:
        raise VideoError("empty SOURCE: give a camera index, a device path, a stream URL or a video file")
    path_name(text, "SOURCE")
    if text.isdigit():
        if int(text) > MAX_CAMERA_INDEX:
            raise VideoError(f"camera index {text} is out of range: cameras are 0..{MAX_CAMERA_INDEX} (/dev/videoN)")
        return Source(CAMERA, int(text), text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in STREAM_SCHEMES:
        if not parts.hostname:
            raise VideoError(f"stream URL {text!r} has no host")
        try:
            parts.port
        except ValueError:
            raise VideoError(f"stream URL {text!r} has a port out of range (1..65535)") from None
        return Source(STREAM, text, text)
    if "://" in text:
        raise VideoError(f"unsupported URL scheme {scheme!r} in {text!r}: use one of {', '.join(STREAM_SCHEMES)}")
    if text.startswith("/dev/"):
        return Source(CAMERA, text, text)
    path = named_input(text)
    if not path.exists():
        raise VideoError(f"video file {text} does not exist")
    if not path.is_file():
        raise VideoError(f"{text} is not a video file")
    return Source(FILE, str(path), text)


def open_capture(source: Source, open_timeout_s: float, read_timeout_s: float) -> cv2.VideoCapture:
    """Open ``source``; the timeouts bound FFmpeg's connect/handshake and each read."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_s * 1000),
    ]
    backend = cv2.CAP_ANY if source.kind == CAMERA else cv2.CAP_FFMPEG
    started = time.monotonic()
    configure_ffmpeg_environment()
    capture = cv2.VideoCapture(source.target, backend, params)
    if not capture.isOpened():
        capture.release()
        left = open_timeout_s - (time.monotonic() - started)
        if left < 0.1 * open_timeout_s:
            reason = f"no video within the open timeout of {open_timeout_s:g} s"
        else:
            reason = diagnose(source, left)
        raise VideoError(f"cannot open {describe(source)}: {reason}")
    return capture


def describe(source: Source) -> str:
    if source.kind == CAMERA:
        return f"camera {source.text}"
    if source.kind == STREAM:
        return f"stream {source.text}"
    return f"video file {source.text}"


def diagnose(source: Source, timeout_s: float) -> str:
    """Why an open failed fast, in words: checked by hand because OpenCV only says 'no'."""
    if source.kind == CAMERA:
        return _diagnose_camera(source.target)
    if source.kind == FILE:
        return "not a video OpenCV can decode (or an unsupported codec)"
    host, port = source.endpoint
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except socket.gaierror:
        return f"host {host!r} does not resolve"
    except ConnectionRefusedError:
        return f"connection refused by {host}:{port} (nothing listens there)"
    except TimeoutError:
        return f"no answer from {host}:{port}"
    except OSError as exc:
        return f"{host}:{port} is unreachable ({exc.strerror or exc})"
    return f"{host}:{port} accepts connections but serves no video there (check the path)"


def _diagnose_camera(target: int | str) -> str:
    path = f"/dev/video{target}" if isinstance(target, int) else target
    if not os.path.exists(path):
        return f"no such camera ({path} does not exist)"
    if not os.access(path, os.R_OK):
        return f"no permission to read {path} (add the user to the 'video' group)"
    return f"{path} exists but does not deliver video (busy, or not a capture device)"
