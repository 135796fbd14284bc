"""Importing the library changes nothing in the process: no environment variables, no warning
filters, no OpenCV log level (FFmpeg is configured when a video is first opened)."""

import subprocess
import sys

CHECK = """
import os, warnings, cv2, torch, torchvision  # their own import-time effects are not ours
env, filters, level = dict(os.environ), list(warnings.filters), cv2.utils.logging.getLogLevel()
import vgv_core, vgv_core.models, vgv_live, vgv_live.pipeline, vgv_live.camera_set
assert dict(os.environ) == env, set(os.environ.items()) ^ set(env.items())
assert list(warnings.filters) == filters
assert cv2.utils.logging.getLogLevel() == level
from vgv_core.video_env import configure_ffmpeg_environment
configure_ffmpeg_environment()
assert os.environ["OPENCV_FFMPEG_LOGLEVEL"] == "-8"
"""


def test_importing_the_packages_leaves_the_process_as_it_was():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
