import os
import warnings

import pytest
import torch

# Qt widgets render offscreen in tests; the real-window test starts its own Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# pytorchvideo imports torch.jit.script, which warns on every import with torch >= 2.9.
warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests run capture, worker, server and GUI threads side by side on two cores; two
    intra-op threads each then spin against one another (up to 100x slower measured)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
