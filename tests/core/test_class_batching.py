"""K classes' gradients from one forward: both ways agree, and the faster one is kept."""

import pytest
import torch
import torch.nn as nn

from vgv_core.explain.class_batching import STRATEGIES, TRIALS, ClassGradientChooser, class_gradients


def _pass():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 5 * 5, 6))
    net.eval()
    x = torch.randn(2, 3, 2, 5, 5, requires_grad=True)
    one_hot = torch.zeros(3, 2, 6)
    one_hot[torch.arange(3), :, torch.tensor([0, 2, 5])] = 1.0
    return net(x), x, one_hot


def _call():
    output, x, one_hot = _pass()
    return output, [x], one_hot


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_gives_each_class_its_own_gradient(strategy):
    output, x, one_hot = _pass()
    (grads,) = class_gradients(strategy, output, [x], one_hot)
    assert grads.shape == (3,) + x.shape
    for k in range(3):
        output, x, _ = _pass()
        (expected,) = torch.autograd.grad(output, x, one_hot[k])
        torch.testing.assert_close(grads[k], expected)


def test_unknown_strategy_is_refused():
    output, x, one_hot = _pass()
    with pytest.raises(ValueError, match="unknown strategy"):
        class_gradients("legacy", output, [x], one_hot)


class ScriptedClock:
    """Each trial reads the clock twice; trials alternate vmap, loop, vmap, loop, ...
    ``durations``: per strategy, one duration for every trial or a list of them."""

    def __init__(self, durations: dict[str, float | list[float]]) -> None:
        self.readings = []
        for trial in range(TRIALS):
            for strategy in STRATEGIES:
                duration = durations[strategy]
                self.readings += [0.0, duration[trial] if isinstance(duration, list) else duration]

    def __call__(self) -> float:
        return self.readings.pop(0)


@pytest.mark.parametrize("faster,calls_after", [("vmap", 1), ("loop", 3)])
def test_the_faster_strategy_is_kept_after_the_trials(monkeypatch, faster, calls_after):
    chooser = ClassGradientChooser(clock=ScriptedClock({s: 1.0 if s == faster else 3.0 for s in STRATEGIES}))
    calls = []
    real_grad = torch.autograd.grad
    monkeypatch.setattr(torch.autograd, "grad", lambda *a, **k: calls.append(1) or real_grad(*a, **k))
    for _ in range(len(STRATEGIES) * TRIALS):
        chooser(*_call())
    for _ in range(2):
        calls.clear()
        chooser(*_call())
        assert len(calls) == calls_after  # the clock is not read again: ScriptedClock would run dry


def _chosen_after_trials(durations) -> str:
    chooser = ClassGradientChooser(clock=ScriptedClock(durations))
    for _ in range(len(STRATEGIES) * TRIALS):
        chooser(*_call())
    (strategy,) = chooser._chosen.values()
    return strategy


def test_one_lucky_pass_does_not_decide():
    """The loop is faster in two pairs of three; vmap's one pass in a fast spell of the
    machine is its best time of all, but it does not win the choice."""
    assert _chosen_after_trials({"vmap": [3.0, 1.5, 3.0], "loop": [2.0, 2.0, 2.0]}) == "loop"
    assert _chosen_after_trials({"vmap": [1.0, 1.0, 1.0], "loop": [3.0, 0.9, 3.0]}) == "vmap"



def test_a_pass_vmap_cannot_run_falls_back_to_the_loop():
    """Batch norm's backward fails under vmap with bf16 activations; the classes' gradients
    still come out, equal to separate backwards, on every pass."""
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv3d(3, 4, 3), nn.BatchNorm3d(4), nn.Flatten(), nn.Linear(4 * 3 * 3 * 3, 5)).eval()
    chooser = ClassGradientChooser()
    for _ in range(3):
        x = torch.randn(1, 3, 5, 5, 5, requires_grad=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = net(x)
        one_hot = torch.eye(5, dtype=output.dtype)[:2, None]
        expected = [torch.autograd.grad(output, x, one_hot[k], retain_graph=True)[0] for k in range(2)]
        (grads,) = chooser(output, [x], one_hot)
        torch.testing.assert_close(grads, torch.stack(expected))
