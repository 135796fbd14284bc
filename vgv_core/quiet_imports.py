"""Importing pytorchvideo without its warning: it calls torch.jit.script at import, which warns
(FutureWarning) with torch >= 2.9. The warning is pytorchvideo's to fix, not our users' to
read; the filter holds only while the import runs, never for the whole process."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def pytorchvideo_quietly() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
        yield
