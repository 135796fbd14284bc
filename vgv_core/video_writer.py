"""Writing videos atomically: frames go to a temporary file renamed into place on close.

H.264 through the ``ffmpeg`` program when it is installed (OpenCV's wheels carry no H.264
encoder); otherwise OpenCV's MPEG-4 Part 2 ("mp4v"). A writer that is aborted, or whose
process is interrupted, leaves no file under the final name.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.errors import VideoError, WriteError


class AtomicVideoWriter:
    """``write(frame)`` uint8 BGR (H, W, 3) frames of one size; ``close()`` publishes the file."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], codec: str = "auto") -> None:
        self.path = Path(path)
        self.fps = float(fps)
        self.width, self.height = size
        self.frames_written = 0
        self._temp = temp_path_beside(self.path.with_suffix(self.path.suffix or ".mp4"))
        self._ffmpeg = codec in ("auto", "h264") and shutil.which("ffmpeg") is not None
        if codec == "h264" and not self._ffmpeg:
            raise VideoError("H.264 output needs the ffmpeg program; install it or use codec 'mp4v'")
        self._sink = self._open_ffmpeg() if self._ffmpeg else self._open_opencv()

    def _open_ffmpeg(self) -> subprocess.Popen:
        command = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{self.width}x{self.height}", "-r", f"{self.fps:.6g}",
            "-i", "-", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
            "-f", _container(self.path), str(self._temp),
        ]
        # Own session: a terminal's Ctrl-C reaches Python, which aborts the file, not ffmpeg.
        return subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)

    def _open_opencv(self) -> cv2.VideoWriter:
        writer = cv2.VideoWriter(str(self._temp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (self.width, self.height))
        if not writer.isOpened():
            self._temp.unlink(missing_ok=True)
            raise VideoError(f"cannot write video {self.path}")
        return writer

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise VideoError(f"frame {frame.dtype} {frame.shape} does not match the video's {self.height}x{self.width}x3 uint8")
        if self._ffmpeg:
            try:
                self._sink.stdin.write(np.ascontiguousarray(frame).tobytes())
            except BrokenPipeError:  # ffmpeg died: the disk is full, say
                message = self._ffmpeg_error() or "no message"
                self.abort()
                raise WriteError(f"cannot write {self.path}: ffmpeg stopped: {message}") from None
        else:
            self._sink.write(frame)
        self.frames_written += 1

    def close(self) -> Path:
        """Finish the file and move it to its final name; on failure nothing is left behind."""
        try:
            self.finish()
            return self.publish()
        finally:
            self._temp.unlink(missing_ok=True)  # gone already once published

    def finish(self) -> None:
        """Complete the temporary file (its final name does not exist yet)."""
        if self._ffmpeg:
            self._finish_ffmpeg()
        else:
            self._sink.release()

    def publish(self) -> Path:
        """Move the finished file to its final name."""
        return publish(self._temp, self.path)

    def _finish_ffmpeg(self) -> None:
        try:
            self._sink.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg died; its exit status and last words say why
        failed = self._sink.wait() != 0
        error = self._ffmpeg_error()
        if failed or error:  # ffmpeg may report a full disk at its last write and still exit 0
            raise WriteError(f"cannot write {self.path}: ffmpeg failed: {error or 'no message'}")

    def abort(self) -> None:
        """Drop everything written so far; the final name is never created."""
        if self._ffmpeg:
            self._sink.kill()
            self._sink.wait()
            with contextlib.suppress(BrokenPipeError):  # frames still buffered for the killed ffmpeg
                self._sink.stdin.close()
            self._sink.stderr.close()
        else:
            self._sink.release()
        self._temp.unlink(missing_ok=True)

    def _ffmpeg_error(self) -> str:
        """ffmpeg's last line on stderr ("" when it said nothing: it runs with -loglevel error)."""
        with self._sink.stderr as stream:
            lines = stream.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def __enter__(self) -> "AtomicVideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _container(path: Path) -> str:
    return {".mkv": "matroska", ".avi": "avi", ".mov": "mov"}.get(path.suffix.lower(), "mp4")
