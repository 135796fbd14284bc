"""Loading untrusted checkpoint files into a model."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Sequence

import torch
import torch.nn as nn

from vgv_core.errors import CheckpointError

# Where common trainers nest the weights: Lightning, generic, pytorchvideo / SlowFast.
NESTED_KEYS = ("state_dict", "model", "model_state")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint with ``weights_only=True`` and return a flat state_dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise CheckpointError(
            f"checkpoint {path} was refused: it holds objects other than weights "
            f"({first_line}); save it with torch.save(model.state_dict(), ...)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parse failure of an untrusted file means "not weights"
        raise CheckpointError(f"checkpoint {path} is not a PyTorch weights file: {exc}") from None
    return _flatten(data, path)


def _flatten(data: object, path: Path) -> dict[str, torch.Tensor]:
    for key in NESTED_KEYS:
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
            break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise CheckpointError(
            f"checkpoint {path} holds no state_dict (a dict of tensors, possibly nested under "
            f"one of {NESTED_KEYS})"
        )
    return {_strip_module_prefix(k): v for k, v in data.items()}


def _strip_module_prefix(key: str) -> str:
    while key.startswith("module."):
        key = key[len("module."):]
    return key


def load_checkpoint(net: nn.Module, path: str | Path) -> None:
    """Load weights strictly; any mismatch is reported by key and shape."""
    state = read_state_dict(path)
    expected = net.state_dict()
    mismatched = [
        (key, state[key].shape, param.shape) for key, param in expected.items()
        if key in state and state[key].shape != param.shape
    ]
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    problems = misfits(mismatched, missing, unexpected)
    if problems:
        raise CheckpointError(f"checkpoint {path} does not fit the model: " + "; ".join(problems))
    broken = [key for key, value in state.items() if value.is_floating_point() and not torch.isfinite(value).all()]
    if broken:
        raise CheckpointError(f"checkpoint {path} holds NaN or infinite weights in {_preview(broken)}: "
                              "the model it saves cannot be explained; use a checkpoint from before training diverged")
    net.load_state_dict(state, strict=True)


def misfits(
    mismatched: Sequence[tuple[str, Sequence[int], Sequence[int]]], missing: Sequence[str], unexpected: Sequence[str] = ()
) -> list[str]:
    """What keeps weights from loading: each (key, checkpoint shape, model shape), then the
    missing and unexpected keys."""
    problems = [f"{key}: checkpoint {tuple(saved)} vs model {tuple(model)}" for key, saved, model in mismatched]
    if missing:
        problems.append(f"missing keys {_preview(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_preview(unexpected)}")
    return problems


def _preview(keys: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")
