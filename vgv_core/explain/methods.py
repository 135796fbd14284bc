"""Names of the explanation methods and what each one needs from the single pass."""

from __future__ import annotations

from vgv_core.errors import MethodError

CAM_METHODS = ("gradcam", "gradcam++", "hirescam", "layercam", "xgradcam")
GUIDED_METHODS = ("guided_backprop", "guided_gradcam")
INPUT_GRADIENT_METHODS = ("saliency",)
ATTENTION_METHODS = ("attention_rollout",)  # transformers only (vgv_core.explain.attention)
METHODS = CAM_METHODS + GUIDED_METHODS + INPUT_GRADIENT_METHODS + ATTENTION_METHODS
DEFAULT_METHODS = ("gradcam", "guided_backprop", "guided_gradcam")


def validate_methods(methods: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the methods as a tuple, refusing unknown names and empty requests."""
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(dict.fromkeys(methods))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise MethodError(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    if not methods:
        raise MethodError(f"no method asked for; choose from {', '.join(METHODS)}")
    return methods
