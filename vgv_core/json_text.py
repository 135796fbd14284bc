"""JSON as every output writes it: valid JSON, with NaN and infinities written as null."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def json_text(document: Any, indent: int | None = None) -> str:
    """``document`` as JSON text; non-finite numbers (which JSON cannot hold) become null."""
    return json.dumps(_finite(document), indent=indent, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
