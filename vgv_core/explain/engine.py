"""The Explainer: every asked-for method from ONE forward pass and one backward per rule.

How one pass serves methods that need different backward rules:
- CAM methods need the true gradient at the target layer, guided methods need the
  guided rule at every gate, saliency needs the true gradient down to the input.
- The forward runs once, on the clip's batch as given. The backward then runs over the one
  graph in up to two steps (`BackwardStep`): the true rule first (to the layer for CAM,
  which only traverses the layers above it; to the input for saliency), the guided rule
  second. With guided and CAM methods together the trunk's backward runs once.
  The forward never depends on which methods were asked for, so a method's map is the
  same alone or beside others, bit for bit.
- K target classes per clip share the one forward; their gradients come from one vmapped
  backward or K backwards over the one graph, by a fixed rule (class_batching.py).
- The clip may be a two-pathway model's [slow, fast] (model_input.py); maps are per frame of
  the fast pathway. Transformers' token outputs are reshaped to their grid (tokens.py), and
  attention rollout reads their attention maps in the true rule's step (attention.py).
- Speed rules (``exact=False``, the default) change how input gradients are computed on the
  CPU, never a forward value (vgv_core/explain/cpu/); ``exact=True`` runs PyTorch's own
  kernels only.
Gradients come from ``torch.autograd.grad`` on the layer output and the input only, so
no parameter ``.grad`` is ever written.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.errors import ClipError, MethodError
from vgv_core.explain.attention import ATTENTION_METHOD, AttentionTrace, gradient_rollout, recording_attention
from vgv_core.explain.cam import fused_activation_map
from vgv_core.explain.class_batching import ClassGradients
from vgv_core.explain.cpu import speed_rules
from vgv_core.explain.function_rules import FunctionRules, ModeNeed
from vgv_core.explain.guided import GateRule, guided_rules
from vgv_core.explain.layer_tap import LayerOutput, LayerTap, detect_layer, resolve_layer
from vgv_core.explain.maps import (
    NORMALIZATIONS,
    UPSAMPLINGS,
    gradient_magnitude,
    normalize,
    temporal_rolling_mean,
    upsample_cam,
)
from vgv_core.explain.methods import (
    ATTENTION_METHODS,
    CAM_METHODS,
    DEFAULT_METHODS,
    GUIDED_METHODS,
    validate_methods,
)
from vgv_core.explain.model_input import Clip, ModelInput
from vgv_core.explain.model_state import evaluation_mode
from vgv_core.explain.pass_kind import PassKind
from vgv_core.explain.targets import Targets, resolve_class_targets
from vgv_core.explain.tokens import token_grid_of

AMP_DTYPES = {None: None, "bf16": torch.bfloat16, "fp16": torch.float16}
SHAPE_ERRORS = ("Output size is too small", "Kernel size can't be greater", "smaller than kernel", "must be greater than")


@dataclass(frozen=True)
class Explanation:
    """Result of one explain call. maps[m]: (B, T, H, W) in [0, 1], or (B, K, T, H, W) when
    several classes per clip were asked for; raw[m]: unnormalised (see the module doc)."""

    logits: Tensor
    probs: Tensor
    targets: Tensor
    maps: dict[str, Tensor] = field(default_factory=dict)
    raw: dict[str, Tensor] = field(default_factory=dict)
    layer: str | None = None


@dataclass(frozen=True)
class MapOptions:
    normalize_per: str = "clip"  # scale maps to [0, 1] over the clip or per frame
    upsample: str = "trilinear"  # how CAM maps reach the clip's size (see maps.upsample_cam)

    def __post_init__(self) -> None:
        if self.normalize_per not in NORMALIZATIONS:
            raise MethodError(f"normalize_per must be one of {NORMALIZATIONS}, got {self.normalize_per!r}")
        if self.upsample not in UPSAMPLINGS:
            raise MethodError(f"upsample must be one of {UPSAMPLINGS}, got {self.upsample!r}")


@dataclass(frozen=True)
class PassPlan:
    methods: tuple[str, ...]

    @property
    def cam_methods(self) -> tuple[str, ...]:
        needed = [m for m in self.methods if m in CAM_METHODS]
        if "guided_gradcam" in self.methods and "gradcam" not in needed:
            needed.append("gradcam")
        return tuple(needed)

    @property
    def guided(self) -> bool:
        return any(m in GUIDED_METHODS for m in self.methods)

    @property
    def saliency(self) -> bool:
        return "saliency" in self.methods

    @property
    def attention(self) -> bool:
        return any(m in ATTENTION_METHODS for m in self.methods)

    @property
    def input_gradient(self) -> bool:
        return self.guided or self.saliency

    def backward_steps(self) -> list["BackwardStep"]:
        """The backward's steps, true rule first."""
        steps = []
        if self.cam_methods or self.saliency or self.attention:
            steps.append(BackwardStep(False, bool(self.cam_methods), self.saliency, self.attention))
        if self.guided:
            steps.append(BackwardStep(guided=True, to_layer=False, to_input=True))
        return steps


@dataclass(frozen=True)
class BackwardStep:
    """One backward over the pass's graph: under which gate rule, to which tensors."""

    guided: bool
    to_layer: bool
    to_input: bool
    to_attention: bool = False


@dataclass
class PassTaps:
    """What a pass records on the way forward for its backward: the CAM layer's output, and
    the attention maps for attention rollout."""

    layer: LayerTap | None
    attention: AttentionTrace = field(default_factory=AttentionTrace)


class Explainer:
    """Explain a video classifier. ``target_layer``: a module, its dotted name, or None
    for the model spec's layer (models from ``load_model``) or, failing that, the last
    module producing a spatial feature map (found by a probe pass on first use).
    ``amp``: None (fp32), "bf16" or "fp16" to run the pass under autocast; maps are
    always computed in fp32. ``exact``: PyTorch's own kernels only, so maps equal what
    autograd computes to float rounding on any machine; the default is faster on the CPU
    and within the bound stated in the README of exact mode."""

    def __init__(
        self,
        model: nn.Module,
        target_layer: nn.Module | str | None = None,
        amp: str | None = None,
        exact: bool = False,
    ) -> None:
        if amp not in AMP_DTYPES:
            raise MethodError(f"amp must be one of {list(AMP_DTYPES)}, got {amp!r}")
        self.model = model
        self.amp = amp
        self.exact = bool(exact)
        self._layer = resolve_layer(model, target_layer)
        self._speed_rules = speed_rules(self.exact)
        self._mode_need = ModeNeed()
        self._class_gradients = ClassGradients()
        self._in_channels = next(
            (m.in_channels for m in model.modules() if isinstance(getattr(m, "in_channels", None), int)), None
        )

    @property
    def target_layer(self) -> str | None:
        return self._layer[0] if self._layer else None

    def explain(
        self,
        clip: Clip,
        targets: Targets = None,
        methods: str | tuple[str, ...] | list[str] = DEFAULT_METHODS,
        normalize_per: str = "clip",
        upsample: str = "trilinear",
    ) -> Explanation:
        """Explain ``clip`` (B, C, T, H, W), normalised as the model expects, or a two-pathway
        model's [slow, fast] pathways. ``upsample``: how layer maps reach the clip's size,
        "trilinear" (half-pixel) or "spline" (corner-aligned cubic, as pytorch-grad-cam)."""
        plan = PassPlan(validate_methods(methods))
        options = MapOptions(normalize_per, upsample)
        model_input = ModelInput.of(clip, self._in_channels)
        with torch.enable_grad(), evaluation_mode(self.model) as modules:
            if plan.cam_methods and self._layer is None:
                self._layer = detect_layer(self.model, model_input.first_item())
            return self._explain(model_input, targets, plan, options, modules)

    def _explain(
        self, model_input: ModelInput, targets: Targets, plan: PassPlan, options: MapOptions, modules: list[nn.Module]
    ) -> Explanation:
        batch, frames = model_input.batch, model_input.frames
        rule = GateRule()
        grid = token_grid_of(self.model, tuple(frames.shape))
        taps = PassTaps(LayerTap(self.model, self._layer[1], grid) if plan.cam_methods else None)
        kind = PassKind.of(
            model_input.leaves, self.target_layer if taps.layer else None, plan.guided, plan.input_gradient, self.amp
        )
        output = self._forward(model_input, taps, plan, rule, kind, modules)
        class_targets, scores, grad_outputs = self._scores(output, targets, batch)
        grads = self._backward(scores, grad_outputs, plan, rule, kind, taps, model_input)
        logits = output.detach().float()
        layer_maps = {}
        if taps.layer:
            layer_maps |= self._cams(taps.layer, grads["layer"], plan)
        if plan.attention:
            readout = self.model.attention_readout
            layer_maps[ATTENTION_METHOD] = gradient_rollout(taps.attention, grads["attention"], grid, readout, batch)
        size = tuple(frames.shape[2:])
        raw = {m: layer_map.unflatten(0, (batch, -1)) for m, layer_map in layer_maps.items()}
        maps = {
            m: upsample_cam(layer_map, size, options.upsample).unflatten(0, (batch, -1))
            for m, layer_map in layer_maps.items()
        }
        self._gradient_maps(grads, plan, batch, maps, raw)
        keep_k = class_targets is not None and class_targets.shape[1] > 1 or _asks_several(targets)
        shape = (lambda x: x) if keep_k else (lambda x: x[:, 0])
        maps = {m: normalize_maps(shape(maps[m]), options.normalize_per) for m in plan.methods}
        raw = {m: shape(raw[m]) for m in plan.methods}
        if class_targets is None:
            class_targets = torch.full((batch, 1), -1, dtype=torch.long, device=logits.device)
        return Explanation(
            logits=logits,
            probs=_probabilities(logits),
            targets=shape(class_targets),
            maps=maps,
            raw=raw,
            layer=self.target_layer,
        )

    def _forward(
        self,
        model_input: ModelInput,
        taps: PassTaps,
        plan: PassPlan,
        rule: GateRule,
        kind: PassKind,
        modules: list[nn.Module],
    ) -> Tensor:
        argument = model_input.forward_argument()
        with ExitStack() as hooks, self._shape_errors_explained(model_input.frames):
            layer = taps.layer.module if taps.layer is not None else None
            handlers = dict(hooks.enter_context(self._speed_rules.applied(self.model, argument, kind, modules, layer)))
            if taps.layer is not None:
                hooks.enter_context(taps.layer.attached())
            if plan.attention:
                taps.attention = hooks.enter_context(recording_attention(self.model))
            if plan.guided:
                handlers |= hooks.enter_context(guided_rules(modules, rule))
            mode = hooks.enter_context(FunctionRules(handlers)) if handlers and self._mode_need.needed(kind) else None
            if self.amp is not None:
                hooks.enter_context(torch.autocast(kind.device, dtype=AMP_DTYPES[self.amp]))
            output = self.model(argument)
            if mode is not None:
                self._mode_need.record(kind, mode)
            return output

    @contextmanager
    def _shape_errors_explained(self, clip: Tensor) -> Iterator[None]:
        """A clip too small for the model's kernels fails deep inside torch; say what to do."""
        try:
            yield
        except RuntimeError as exc:
            if not any(marker in str(exc) for marker in SHAPE_ERRORS):
                raise
            spec = getattr(self.model, "vgv_spec", None)
            need = f" ({spec.clip_len} frames of {spec.crop_size}x{spec.crop_size})" if spec else ""
            t, h, w = clip.shape[2:]
            raise ClipError(
                f"a clip of {t} frames of {h}x{w} is smaller than the model's kernels allow; "
                f"give it the model's clip size{need}. Detail: {str(exc).splitlines()[0]}"
            ) from None

    def _scores(self, output: Tensor, targets: Targets, batch: int) -> tuple[Tensor | None, Tensor, Tensor]:
        """(class targets (B, K) or None for a callable, the tensor to differentiate, its K
        gradient outputs stacked)."""
        if callable(targets):
            scores = targets(output)
            return None, scores, torch.ones((1,) + tuple(scores.shape), dtype=scores.dtype, device=scores.device)
        if output.dim() != 2:
            raise MethodError(
                f"the model outputs shape {tuple(output.shape)}, not class scores; pass a callable target "
                "(e.g. SegmentationMaskTarget)"
            )
        class_targets = resolve_class_targets(targets, output.detach())
        one_hot = torch.zeros((class_targets.shape[1],) + tuple(output.shape), dtype=output.dtype, device=output.device)
        one_hot.scatter_(2, class_targets.T[:, :, None], 1.0)
        return class_targets, output, one_hot

    def _backward(
        self,
        scores: Tensor,
        grad_outputs: Tensor,
        plan: PassPlan,
        rule: GateRule,
        kind: PassKind,
        taps: PassTaps,
        model_input: ModelInput,
    ) -> dict[str, Tensor | list[Tensor]]:
        """Gradients by name, each (K, B, ...): "layer" (one per pathway) and "attention" (one
        per record) lists, and the "vanilla" and "guided" gradients of the window's frames."""
        grads: dict[str, Tensor | list[Tensor]] = {}
        steps = plan.backward_steps()
        for i, step in enumerate(steps):
            rule.guided = step.guided
            wanted = {
                "layer": [output.tensor for output in taps.layer.outputs] if step.to_layer else [],
                "attention": taps.attention.tensors() if step.to_attention else [],
                "guided" if step.guided else "vanilla": list(model_input.leaves) if step.to_input else [],
            }
            inputs = [tensor for tensors in wanted.values() for tensor in tensors]
            got = iter(self._gradients(scores, inputs, grad_outputs, kind, retain_graph=i < len(steps) - 1))
            for name, tensors in wanted.items():
                if tensors:
                    grads[name] = [next(got) for _ in tensors]
        for name in ("vanilla", "guided"):
            if name in grads:
                grads[name] = model_input.frame_gradient(grads[name])
        return grads

    def _gradients(
        self, scores: Tensor, inputs: list[Tensor], grad_outputs: Tensor, kind: PassKind, retain_graph: bool
    ) -> tuple[Tensor, ...]:
        if grad_outputs.shape[0] == 1:
            grads = torch.autograd.grad(scores, inputs, grad_outputs[0], retain_graph=retain_graph)
            return tuple(g[None] for g in grads)
        return self._class_gradients(scores, inputs, grad_outputs, kind, retain_graph)

    def _cams(self, tap: LayerTap, layer_grads: list[Tensor], plan: PassPlan) -> dict[str, Tensor]:
        """Each CAM method's layer map, (B*K, t, h, w), its pathways fused (cam.py)."""
        pathways = [_cam_inputs(output, grads) for output, grads in zip(tap.outputs, layer_grads)]
        return {method: fused_activation_map(method, pathways) for method in plan.cam_methods}

    def _gradient_maps(self, grads: dict[str, Tensor], plan: PassPlan, batch: int, maps: dict, raw: dict) -> None:
        if plan.saliency:
            vanilla = grads["vanilla"].transpose(0, 1)  # (B, K, C, T, H, W)
            raw["saliency"] = vanilla
            magnitude = gradient_magnitude(vanilla.flatten(0, 1))
            maps["saliency"] = temporal_rolling_mean(magnitude).unflatten(0, (batch, -1))
        if plan.guided:
            guided = grads["guided"].transpose(0, 1)
            raw["guided_backprop"] = guided
            maps["guided_backprop"] = gradient_magnitude(guided.flatten(0, 1)).unflatten(0, (batch, -1))
        if "guided_gradcam" in plan.methods:
            cam = normalize_maps(maps["gradcam"], "clip")
            raw["guided_gradcam"] = guided * cam[:, :, None]
            maps["guided_gradcam"] = gradient_magnitude(raw["guided_gradcam"].flatten(0, 1)).unflatten(0, (batch, -1))


def _cam_inputs(layer: LayerOutput, layer_grads: Tensor) -> tuple[Tensor, Tensor]:
    """(activations, gradients) of one pathway of the layer, channels first, (B*K, C, *S)."""
    per_class = layer_grads.shape[0]
    activations = layer.to_channels_first(layer.tensor.detach().float())
    grads = layer.to_channels_first(layer_grads.flatten(0, 1).float())
    grads = grads.unflatten(0, (per_class, -1)).transpose(0, 1).flatten(0, 1)
    return activations.repeat_interleave(per_class, dim=0), grads


def normalize_maps(maps: Tensor, per: str) -> Tensor:
    """normalize() over the trailing (T, H, W) of maps with any leading axes."""
    return normalize(maps.flatten(0, -4), per).reshape(maps.shape)


def _asks_several(targets: Targets) -> bool:
    if targets is None or callable(targets):
        return False
    try:
        return torch.as_tensor(targets).dim() == 2
    except (TypeError, ValueError, RuntimeError):
        return False


def _probabilities(logits: Tensor) -> Tensor:
    """Softmax of the logits, unless the model already outputs probabilities."""
    sums = logits.sum(dim=1)
    if logits.min() >= 0 and torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        return logits
    return logits.softmax(dim=1)
