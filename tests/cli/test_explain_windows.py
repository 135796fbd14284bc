"""Sliding windows and their fusion: every frame covered once per result, weights, warm-up."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vgv_core.errors import VGVError, VideoError
from vgv_core.models.spec import ModelSpec
from vgv_core.offline.sliding_windows import SlidingWindows
from vgv_core.offline.windows import FrameFusion, WindowPlan
from vgv_core.preprocess import Preprocessor

SIZE = 8


class FrameEcho:
    """A stand-in Explainer: probs say which frames the window saw, maps repeat each sampled
    frame's value, so fusion can be checked by hand."""

    def __init__(self) -> None:
        self.clips: list[list[int]] = []  # the frames each window sampled, in order
        self.passes = 0

    def explain(self, clip, targets=None, methods=()):
        self.passes += 1
        values = clip[:, 0, :, 0, 0]  # (windows, one value per sampled frame)
        seen = [[int(round(v)) for v in row] for row in values.tolist()]
        self.clips += seen
        probs = torch.tensor([[float(np.mean(row)), 1.0] for row in seen])
        maps = values[:, :, None, None].expand(-1, -1, SIZE, SIZE) / 100
        return SimpleNamespace(probs=probs, maps={methods[0]: maps})


def engine(clip_len: int, stride: int, hop: int, batch: int = 1) -> tuple[SlidingWindows, FrameEcho]:
    # mean 0 / std 1/255 makes the normalised input equal to the raw pixel value
    spec = ModelSpec("x3d_xs", 2, clip_len=clip_len, frame_stride=stride, crop_size=SIZE, resize_mode="stretch",
                     mean=(0, 0, 0), std=(1 / 255,) * 3, channel_order="BGR")
    echo = FrameEcho()
    return SlidingWindows(echo, Preprocessor(spec), WindowPlan(clip_len, stride, hop), "gradcam", batch=batch), echo


def frames(count: int, first: int = 0):
    for index in range(first, first + count):
        yield index, np.full((SIZE, SIZE, 3), index - first, np.uint8)


@pytest.mark.parametrize("clip_len,stride,hop,count", [(4, 2, 1, 7), (4, 2, 3, 20), (4, 2, 7, 23), (8, 4, 4, 64), (1, 1, 1, 3)])
def test_every_frame_gets_exactly_one_result_in_order(clip_len, stride, hop, count):
    explainer, echo = engine(clip_len, stride, hop)
    results = list(explainer.run(frames(count, first=100)))
    _check_one_result_per_frame(results, echo, clip_len, stride, hop, count)


@pytest.mark.parametrize("batch", [2, 3, 8])
@pytest.mark.parametrize("clip_len,stride,hop,count", [(4, 2, 1, 7), (4, 2, 3, 20), (8, 4, 4, 64)])
def test_batched_windows_give_the_same_results_in_fewer_passes(clip_len, stride, hop, count, batch):
    one_by_one, single = engine(clip_len, stride, hop)
    batched, together = engine(clip_len, stride, hop, batch)
    expected = list(one_by_one.run(frames(count, first=100)))
    results = list(batched.run(frames(count, first=100)))
    _check_one_result_per_frame(results, together, clip_len, stride, hop, count)
    assert together.clips == single.clips
    assert together.passes == -(-single.passes // batch)
    for ours, theirs in zip(results, expected):
        torch.testing.assert_close(ours.probs, theirs.probs)
        torch.testing.assert_close(ours.heatmap, theirs.heatmap)


def _check_one_result_per_frame(results, echo, clip_len, stride, hop, count):
    assert [r.index for r in results] == list(range(100, 100 + count))
    assert all(r.frame[0, 0, 0] == r.index - 100 for r in results)
    assert all(torch.isfinite(r.probs).all() and r.probs[1] == pytest.approx(1.0) for r in results)
    span = (clip_len - 1) * stride + 1
    assert len(echo.clips) == -(-(count + span - 1) // hop)  # windows start every hop from -(span - 1)


def test_warm_up_repeats_the_first_frame_and_fusion_interpolates():
    explainer, echo = engine(clip_len=4, stride=2, hop=1)
    results = list(explainer.run(frames(12)))
    assert echo.clips[0] == [0, 0, 0, 0]  # the first window ends on frame 0
    assert echo.clips[3] == [0, 0, 1, 3]
    assert echo.clips[-1] == [11, 11, 11, 11]  # and the last starts on the last frame
    # each window's map at a frame is that frame's value (sampled or interpolated), away from the edges
    middle = results[6]
    assert torch.allclose(middle.heatmap, torch.full((SIZE, SIZE), 0.06))


def test_weights_peak_at_the_window_centre_and_stay_positive():
    plan = WindowPlan(clip_len=8, frame_stride=4, hop=1)
    weights = plan.weights(torch.arange(plan.span, dtype=torch.float32))
    assert plan.span == 29
    assert weights.argmax() == 14 and (weights > 0).all()
    assert torch.allclose(weights, weights.flip(0))


def test_fusion_of_equal_windows_returns_them_unchanged():
    plan = WindowPlan(clip_len=3, frame_stride=2, hop=2)
    fusion = FrameFusion(plan, 2, (SIZE, SIZE), torch.device("cpu"))
    probs, maps = torch.tensor([0.25, 0.75]), torch.full((3, SIZE, SIZE), 0.5)
    fused = []
    for k in range(6):  # windows start at -4, -2, ..., 6: the last one on the last frame
        fusion.add(plan.start(k), probs, maps, last_frame=6)
        fused += fusion.pop_until(min(plan.start(k + 1), 7))
    assert [f.index for f in fused] == list(range(7))
    assert all(torch.allclose(f.probs, probs) and torch.allclose(f.heatmap, maps[0]) for f in fused)


def test_a_video_shorter_than_one_window_is_refused():
    explainer, _ = engine(clip_len=4, stride=2, hop=1)
    with pytest.raises(VideoError, match="6 frame.* fewer than one window of the model .7 frames"):
        list(explainer.run(frames(6)))


def test_a_hop_longer_than_the_window_is_refused():
    with pytest.raises(VGVError, match="--hop 8 must be between 1 and the model's window of 7 frames"):
        WindowPlan(clip_len=4, frame_stride=2, hop=8)
