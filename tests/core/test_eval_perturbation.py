"""Deletion, insertion and frame-deletion curves against hand-computed values.

The model scores a clip with s = 0.1 * (sum of all its values) and outputs logits
(s, 0), so the probability of class 0 is sigmoid(s): every curve point can be worked out
by hand from which voxels are switched.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
from vgv_core.evaluation.fill import blur_fill, mean_fill
from vgv_core.evaluation.frame_deletion import frame_deletion_curve, frame_rank
from vgv_core.evaluation.perturbation import (
    area_under_curve,
    deletion_curve,
    insertion_curve,
    rank_descending,
    relevance_rank,
    switched_fractions,
)
from vgv_core.evaluation.scoring import ClassScorer


class SumModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = 0.1 * x.flatten(1).sum(dim=1)
        return torch.stack([s, torch.zeros_like(s)], dim=1)


def sigmoid(values: list[float]) -> torch.Tensor:
    return torch.tensor([1 / (1 + math.exp(-v)) for v in values])


# One clip, 2 channels, 2 frames of 1 x 2 pixels. Voxel (t, x) sums over channels to
# 11, 22 (frame 0) and 33, 44 (frame 1).
CLIP = torch.tensor([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]]).view(1, 2, 2, 1, 2)
MAP = torch.tensor([0.1, 0.9, 0.5, 0.3]).view(1, 2, 1, 2)  # order: 22, 33, 44, 11
TARGET = torch.tensor([0])
ZERO = torch.zeros_like(CLIP)


def test_ranks_put_the_largest_value_first() -> None:
    assert relevance_rank(MAP).flatten().tolist() == [3, 0, 1, 2]


def test_ties_keep_voxel_order_without_a_generator_and_a_seeded_order_with_one() -> None:
    flat = torch.zeros(1, 6)
    assert rank_descending(flat).tolist() == [[0, 1, 2, 3, 4, 5]]
    first = rank_descending(flat, torch.Generator().manual_seed(7))
    again = rank_descending(flat, torch.Generator().manual_seed(7))
    assert torch.equal(first, again) and sorted(first[0].tolist()) == list(range(6))
    assert rank_descending(torch.tensor([[0.0, 2.0, 1.0, 2.0]]), torch.Generator().manual_seed(7))[0, 2] == 2


def test_deletion_curve_by_hand() -> None:
    curve = deletion_curve(ClassScorer(SumModel()), CLIP, ZERO, relevance_rank(MAP), TARGET, steps=4)
    expected = sigmoid([11.0, 11.0 - 2.2, 11.0 - 2.2 - 3.3, 1.1, 0.0])
    torch.testing.assert_close(curve[0], expected)


def test_insertion_curve_by_hand() -> None:
    curve = insertion_curve(ClassScorer(SumModel()), CLIP, ZERO, relevance_rank(MAP), TARGET, steps=4)
    torch.testing.assert_close(curve[0], sigmoid([0.0, 2.2, 5.5, 9.9, 11.0]))


def test_two_steps_switch_half_the_voxels() -> None:
    curve = deletion_curve(ClassScorer(SumModel()), CLIP, ZERO, relevance_rank(MAP), TARGET, steps=2)
    torch.testing.assert_close(curve[0], sigmoid([11.0, 5.5, 0.0]))


def test_frame_deletion_removes_the_heaviest_frame_first() -> None:
    # frame masses: 1.0 (frame 0) and 0.8 (frame 1)
    assert frame_rank(MAP)[0, :, 0, 0].tolist() == [0, 2]
    curve = frame_deletion_curve(ClassScorer(SumModel()), CLIP, ZERO, frame_rank(MAP), TARGET, steps=2)
    torch.testing.assert_close(curve[0], sigmoid([11.0, 7.7, 0.0]))


def test_area_by_trapezoids() -> None:
    curve = torch.tensor([[1.0, 0.5, 0.25, 0.0, 0.0]])
    area = area_under_curve(curve, switched_fractions(4, 100))
    assert area.item() == pytest.approx(0.25 * (0.5 + 0.5 + 0.25 + 0.0 + 0.0))
    uneven = area_under_curve(torch.tensor([[1.0, 0.0, 0.0, 0.0]]), switched_fractions(3, 8))  # 0, 3, 5, 8 of 8
    assert uneven.item() == pytest.approx(0.5 * 3 / 8)


def test_known_ends_are_used_and_not_scored_again() -> None:
    scorer = ClassScorer(SumModel())
    ends = (torch.tensor([0.25]), torch.tensor([0.125]))
    curve = deletion_curve(scorer, CLIP, ZERO, relevance_rank(MAP), TARGET, steps=4, ends=ends)
    assert curve[0, 0].item() == 0.25 and curve[0, -1].item() == 0.125
    assert scorer.clips_scored == 3


def test_batching_and_chunk_size_do_not_change_the_curves() -> None:
    clips = torch.randn(3, 2, 4, 3, 3)
    maps = torch.rand(3, 4, 3, 3)
    targets = torch.tensor([0, 1, 0])
    whole = deletion_curve(ClassScorer(SumModel(), batch_size=64), clips, torch.zeros_like(clips), relevance_rank(maps),
                           targets, 5)
    one_by_one = torch.cat([
        deletion_curve(ClassScorer(SumModel(), batch_size=1), clips[i:i + 1], torch.zeros_like(clips[:1]),
                       relevance_rank(maps[i:i + 1]), targets[i:i + 1], 5)
        for i in range(3)
    ])
    torch.testing.assert_close(whole, one_by_one)


def test_mean_fill_is_each_channels_mean_and_blur_keeps_a_constant_clip() -> None:
    filled = mean_fill(CLIP)
    assert filled[0, 0].unique().tolist() == [2.5] and filled[0, 1].unique().tolist() == [25.0]
    constant = torch.full((1, 3, 8, 20, 20), 0.7)
    torch.testing.assert_close(blur_fill(constant), constant)
    spike = torch.zeros(1, 1, 3, 21, 21)
    spike[0, 0, 1, 10, 10] = 1.0
    blurred = blur_fill(spike, sigma=(0.0, 1.0, 1.0))  # kernel radius 3 pixels, none over frames
    weights = torch.exp(-0.5 * torch.arange(-3.0, 4.0) ** 2)
    centre = (weights[3] / weights.sum()) ** 2
    assert blurred[0, 0, 1, 10, 10].item() == pytest.approx(centre.item())
    assert blurred.sum().item() == pytest.approx(1.0) and blurred[0, 0, 0].abs().max() == 0


def test_one_step_curves_score_only_their_ends() -> None:
    scorer = ClassScorer(SumModel())
    curve = insertion_curve(scorer, CLIP, ZERO, relevance_rank(MAP), TARGET, steps=1)
    torch.testing.assert_close(curve[0], sigmoid([0.0, 11.0]))
    assert scorer.clips_scored == 2
