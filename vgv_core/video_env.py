"""FFmpeg settings for OpenCV, applied when a capture is opened (not when vgv_core is imported:
a library import must not change the process).

OPENCV_FFMPEG_CAPTURE_OPTIONS replaces OpenCV's defaults when set, so we set it only if the
user has not, and ask for RTSP over TCP (UDP loses packets and smears frames). FFmpeg's own
log lines ("Invalid NAL unit size", "partial file") are silenced: decode trouble is
reported by our code, in our words, with counts.
"""

import functools
import os

CAPTURE_OPTIONS = "rtsp_transport;tcp|stimeout;5000000|timeout;5000000"
QUIET_LOGLEVEL = "-8"  # AV_LOG_QUIET


@functools.cache
def configure_ffmpeg_environment() -> None:
    """Set the variables (unless the user has) and OpenCV's log level; the first call does it."""
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", CAPTURE_OPTIONS)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", QUIET_LOGLEVEL)
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2  # after the variables: OpenCV reads some of them when first imported

    # OPENCV_LOG_LEVEL is read once, so it is too late when cv2 was imported first
    # ("[WARN] cap.cpp ... VIDEOIO(FFMPEG)" for a refused URL).
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
