"""ModelSpec: everything needed to feed a video model and read its answer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vgv_core.errors import ModelError
from vgv_core.settings_keys import check_known_keys, read_settings_file
from vgv_core.validation import SettingError, integer, known_name, listing, mapping, numbers, optional, text

KINETICS_MEAN = (0.45, 0.45, 0.45)
KINETICS_STD = (0.225, 0.225, 0.225)
RESIZE_MODES = ("short_side_crop", "stretch")
CHANNEL_ORDERS = ("RGB", "BGR")


@dataclass(frozen=True)
class ModelSpec:
    """How a model is built, what it expects as input and what its outputs mean.

    ``resize_mode``: ``short_side_crop`` scales the short side to ``resize_size`` and
    takes a centred ``crop_size`` square; ``stretch`` resizes the frame straight to
    ``crop_size`` x ``crop_size``. ``weights`` is relative to the spec file.
    """

    arch: str
    num_classes: int
    labels: tuple[str, ...] = ()
    clip_len: int = 16
    frame_stride: int = 1
    crop_size: int = 112
    resize_size: int | None = None
    resize_mode: str = "short_side_crop"
    mean: tuple[float, float, float] = KINETICS_MEAN
    std: tuple[float, float, float] = KINETICS_STD
    channel_order: str = "RGB"
    target_layer: str | None = None
    weights: str | None = None
    arch_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            self._validate()
        except SettingError as exc:
            raise ModelError(f"invalid model spec: {exc}") from None
        if not self.labels:
            object.__setattr__(self, "labels", tuple(f"class_{i}" for i in range(self.num_classes)))
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        object.__setattr__(self, "arch_kwargs", dict(self.arch_kwargs))

    def _validate(self) -> None:
        text(self.arch, "arch")
        integer(self.num_classes, "num_classes", 1, 1_000_000)
        labels = [text(label, "each label") for label in listing(self.labels, "labels")]
        if labels and len(labels) != self.num_classes:
            raise SettingError(f"{len(labels)} labels for {self.num_classes} classes")
        if len(set(labels)) != len(labels):
            raise SettingError("labels must differ from one another")
        integer(self.clip_len, "clip_len", 1, 1024)
        integer(self.frame_stride, "frame_stride", 1, 1024)
        integer(self.crop_size, "crop_size", 8, 4096)
        optional(integer, self.resize_size, "resize_size", self.crop_size, 8192)
        known_name(self.resize_mode, "resize_mode", RESIZE_MODES)
        known_name(self.channel_order, "channel_order", CHANNEL_ORDERS)
        numbers(self.mean, "mean", 3)
        numbers(self.std, "std", 3, 0, low_open=True)
        optional(text, self.target_layer, "target_layer")
        optional(text, self.weights, "weights")
        mapping(self.arch_kwargs, "arch_kwargs")

    @property
    def short_side(self) -> int:
        return self.resize_size or self.crop_size

    def label_index(self, name_or_index: str | int) -> int:
        """Class index for a label name or an index given as int or digit string."""
        if isinstance(name_or_index, int) or str(name_or_index).isdigit():
            index = int(name_or_index)
            if 0 <= index < self.num_classes:
                return index
        elif name_or_index in self.labels:
            return self.labels.index(name_or_index)
        raise ModelError(
            f"unknown class {name_or_index!r}: use a label ({', '.join(self.labels)}) "
            f"or an index 0..{self.num_classes - 1}"
        )

    def to_json(self, path: str | Path) -> None:
        data = asdict(self)
        data["labels"] = list(self.labels)
        Path(path).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> "ModelSpec":
        path = Path(path)
        what = f"model spec {path}"
        data = read_settings_file(path, json.loads, (json.JSONDecodeError,), "JSON", what, ModelError)
        check_known_keys(data, cls, what, ModelError)
        for required in ("arch", "num_classes"):
            if required not in data:
                raise ModelError(f"model spec {path} lacks the required key {required!r}")
        return cls(**data)
