"""Hugging Face video transformers (VideoMAE, TimeSformer, ViViT) from a ``save_pretrained`` folder.

Nothing is downloaded: the folder is read with ``local_files_only`` (and ``HF_HUB_OFFLINE``).
The models run eager attention, whose maps attention rollout reads. transformers is the
optional extra ``[hf]``; without it, loading says how to install it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import torch.nn as nn

from vgv_core.errors import CheckpointError, MissingExtraError, ModelError
from vgv_core.models.checkpoint import misfits
from vgv_core.models.huggingface.families import FAMILIES, Family
from vgv_core.models.huggingface.folder import folder_spec, read_config
from vgv_core.models.spec import ModelSpec

__all__ = ["FAMILIES", "build_transformer", "load_pretrained_folder"]


def load_pretrained_folder(
    folder: Path, num_classes: int | None = None, labels: list[str] | None = None
) -> tuple[nn.Module, ModelSpec]:
    """The folder's classifier (in training mode, on the CPU) and its spec. With ``num_classes``
    (or ``labels``) the head may be new: replaced when the folder's has another size, fresh
    where the folder has none (a pre-training checkpoint)."""
    config, family = read_config(folder)
    saved = folder_spec(folder, config, family)
    classes = len(labels) if labels else num_classes or saved.num_classes
    spec = saved if classes == saved.num_classes else replace(saved, num_classes=classes, labels=())
    if labels:
        spec = replace(spec, labels=tuple(labels))
    head = {"num_labels": classes} if classes != saved.num_classes else {}
    net = _load(folder, family, head, new_head=bool(labels) or num_classes is not None)
    # The config travels in the spec, so that build_transformer can make the architecture again.
    net.vgv_spec = replace(spec, target_layer=family.default_layer(net), arch_kwargs={"config": net.config.to_dict()})
    return net, net.vgv_spec


def build_transformer(spec: ModelSpec) -> nn.Module:
    """The architecture of a spec from `load_pretrained_folder` again, with fresh weights, in
    training mode on the CPU: for a process that receives the weights apart (the window's
    explainer process)."""
    config = spec.arch_kwargs.get("config")
    if not isinstance(config, dict):
        raise ModelError(f"a {spec.arch} spec needs its config.json in arch_kwargs['config']: load the "
                         "save_pretrained folder itself")
    model_class = _classes(f"building the {spec.arch} model")[spec.arch]
    from transformers import AutoConfig

    return model_class._from_config(AutoConfig.for_model(**config), attn_implementation="eager")


def _classes(what: str) -> dict[str, type[nn.Module]]:
    """Each family's class (adapter.py), or a MissingExtraError saying how to install transformers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from vgv_core.models.huggingface.adapter import CLASSES
    except ImportError as exc:
        raise MissingExtraError(
            f"{what} needs Hugging Face transformers ({exc}): pip install 'videogradvis-live[hf]'"
        ) from None
    return CLASSES


def _load(folder: Path, family: Family, head: dict, new_head: bool) -> nn.Module:
    model_class = _classes(f"loading the {family.model_type} model in {folder}")[family.model_type]
    with _quiet_transformers():
        try:
            net, info = model_class.from_pretrained(
                folder, local_files_only=True, attn_implementation="eager", output_loading_info=True,
                ignore_mismatched_sizes=True, **head,
            )
        except OSError as exc:  # no weights file, or an unreadable one
            raise CheckpointError(f"cannot load the weights in {folder}: {exc}") from None
    _check_loaded(folder, family, info, new_head)
    return net


def _check_loaded(folder: Path, family: Family, info: dict, new_head: bool) -> None:
    """Every weight must come from the folder, at its shape; only the head may be new, when asked for."""
    fresh_head = (lambda key: key.startswith(family.head)) if new_head else (lambda key: False)
    mismatched = [entry for entry in sorted(info["mismatched_keys"]) if not fresh_head(entry[0])]
    missing = sorted(key for key in info["missing_keys"] if not fresh_head(key))
    problems = misfits(mismatched, missing)
    if problems:
        only_head = all(key.startswith(family.head) for key in missing + [entry[0] for entry in mismatched])
        hint = " (only the classification head: pass num_classes or labels for a new one)" if only_head else ""
        raise CheckpointError(f"the weights in {folder} do not fit its config.json: " + "; ".join(problems) + hint)


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No progress bars or load reports from transformers: what matters is checked and said here."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()
