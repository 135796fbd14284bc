"""ExplainerProcess: the window's explanations computed in a child process, as in-process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from vgv_core.errors import VGVError
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.explainer_process import ExplainerProcess

MAP_SIZE = 96


def windows(model, count: int, seed: int = 0) -> list[tuple[np.ndarray, list[int]]]:
    """``count`` overlapping windows of one random 240x320 stream, with their frame ids."""
    spec = model.spec
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (spec.clip_len + count, 240, 320, 3), np.uint8)
    return [(frames[i:i + spec.clip_len], list(range(i, i + spec.clip_len))) for i in range(count)]


@pytest.fixture
def child(tiny_model):
    explainer = ExplainerProcess(tiny_model, "guided_gradcam", MAP_SIZE, exact=True, threads=1)
    explainer.warm_up()
    yield explainer
    explainer.close()


def test_the_child_explains_as_the_engine_does_in_process(child, tiny_model):
    here = ClipExplainer(tiny_model, "guided_gradcam", MAP_SIZE, exact=True)
    for frames, ids in windows(tiny_model, 3):
        ours, = child.explain_windows([(frames, ids)], target=None)
        theirs, = here.explain_windows([(frames, ids)], target=None)
        assert ours.target == theirs.target
        np.testing.assert_allclose(ours.probs, theirs.probs, rtol=0, atol=1e-6)
        # One process, one kernel set, one thread each: the maps agree to the uint8 step
        # (a map value on a rounding boundary may land one level apart).
        assert np.abs(ours.maps.astype(int) - theirs.maps.astype(int)).max() <= 1
        assert ours.maps.shape == theirs.maps.shape


def test_several_windows_and_a_fixed_target_in_one_call(child, tiny_model):
    batch = windows(tiny_model, 2, seed=1)
    explanations = child.explain_windows(batch, target=3)
    assert [e.target for e in explanations] == [3, 3]
    assert all(e.maps.dtype == np.uint8 and e.maps.shape[0] == tiny_model.spec.clip_len for e in explanations)


def test_a_method_request_applies_from_the_next_window(child, tiny_model):
    (frames, ids), = windows(tiny_model, 1)
    child.request(method="gradcam")
    child.explain_windows([(frames, ids)])
    assert child.method == "gradcam"
    assert child.notice is None


def test_a_layer_the_model_cannot_use_is_refused_with_a_notice(child, tiny_model):
    (frames, ids), = windows(tiny_model, 1)
    before = child.layer
    child.request(method="gradcam", layer="no.such.layer")
    child.explain_windows([(frames, ids)])
    assert child.layer == before
    assert "no.such.layer" in child.notice


def test_an_unknown_method_is_refused_in_the_caller(child):
    with pytest.raises(VGVError):
        child.request(method="no_such_method")


def test_a_dead_child_is_an_error_that_says_so(child, tiny_model):
    os.kill(child._process.pid, signal.SIGKILL)
    child._process.join(5)
    (frames, ids), = windows(tiny_model, 1)
    with pytest.raises(VGVError, match="explainer process ended unexpectedly"):
        child.explain_windows([(frames, ids)])


def test_close_stops_the_child_and_frees_the_shared_frames(tiny_model):
    explainer = ExplainerProcess(tiny_model, "gradcam", MAP_SIZE, exact=False, threads=1)
    explainer.warm_up()
    (frames, ids), = windows(tiny_model, 1)
    explainer.explain_windows([(frames, ids)])
    process, block = explainer._process, explainer._frames.name
    explainer.close()
    assert not process.is_alive()
    assert not (Path("/dev/shm") / block.lstrip("/")).exists()

