import os
import warnings

import pytest
import torch

from vgv_core.video_env import configure_ffmpeg_environment

# Qt widgets render offscreen in tests; the real-window test starts its own Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# pytorchvideo imports torch.jit.script, which warns on every import with torch >= 2.9.
warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
# A command configures OpenCV's FFmpeg (quiet log, RTSP over TCP) before its process opens any video;
# FFmpeg reads it once, at the first open. Tests run commands in this process after other tests have
# opened videos with OpenCV, so this process configures it first, as a command's would.
configure_ffmpeg_environment()


# Tests taking the `device` fixture run on every device this machine has: the CPU always,
# CUDA too where present (no skips: on a CPU-only machine the CUDA cases do not exist).
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module", params=DEVICES)
def device(request):
    """CUDA runs in true fp32 here (no TF32 convolutions or matmuls), so oracles compare exactly."""
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield torch.device(request.param)
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests run capture, worker, server and GUI threads side by side on two cores; two
    intra-op threads each then spin against one another (up to 100x slower measured)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
