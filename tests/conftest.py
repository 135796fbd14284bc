import os
import warnings

# Qt widgets render offscreen in tests; the real-window test starts its own Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# pytorchvideo imports torch.jit.script, which warns on every import with torch >= 2.9.
warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
