import sys
from pathlib import Path

# the `vgv explain` test helpers (fixture videos, the tiny model) live beside the CLI tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
