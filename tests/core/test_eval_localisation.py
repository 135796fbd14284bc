"""Pointing game and energy in mask, and average drop / increase in confidence, by hand."""

from __future__ import annotations

import math

import pytest
import torch
from vgv_core.evaluation.confidence import confidence_change, explanation_clips
from vgv_core.evaluation.localisation import energy_in_mask, pointing_game
from vgv_core.evaluation.scoring import ClassScorer

from tests.core.test_eval_perturbation import SumModel


def _frames(*rows: list[list[float]]) -> torch.Tensor:
    """One clip (1, T, H, W) from T frames given as nested lists."""
    return torch.tensor(rows, dtype=torch.float32)[None]


MASK = _frames([[0, 0, 0], [0, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0], [0, 0, 1]]).bool()


def test_pointing_game_hit_miss_and_tolerance() -> None:
    hit = _frames([[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0.9]])
    near = _frames([[0, 0, 0], [0, 0.9, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert pointing_game(hit, MASK).tolist() == [1.0]
    assert pointing_game(near, MASK).tolist() == [0.0]
    assert pointing_game(near, MASK, tolerance=1).tolist() == [1.0]


def test_pointing_game_takes_the_first_of_equal_peaks_and_skips_empty_masks() -> None:
    flat = torch.ones(1, 2, 3, 3)
    assert pointing_game(flat, MASK).tolist() == [0.0]  # first voxel (0, 0, 0) is outside
    assert math.isnan(pointing_game(flat, torch.zeros_like(MASK)).item())


def test_tolerance_is_a_square_around_the_peak_in_its_frame() -> None:
    corner = _frames([[0.9, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert pointing_game(corner, MASK, tolerance=1).tolist() == [0.0]  # (2, 2) is 2 away
    assert pointing_game(corner, MASK, tolerance=2).tolist() == [1.0]  # diagonal counts as 2
    assert pointing_game(corner, MASK, tolerance=5).tolist() == [1.0]  # window larger than the frame
    elsewhere = torch.zeros_like(MASK)
    elsewhere[0, 1, 2, 2] = True  # lamp only in frame 1, peak in frame 0
    assert pointing_game(corner, elsewhere, tolerance=5).tolist() == [0.0]


def test_energy_in_mask_is_the_share_of_mass_inside() -> None:
    maps = _frames([[1, 0, 0], [0, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0], [0, 0, 2]])
    assert energy_in_mask(maps, MASK).item() == pytest.approx(3 / 4)
    assert energy_in_mask(torch.zeros(1, 2, 3, 3), MASK).item() == 0.0
    assert math.isnan(energy_in_mask(maps, torch.zeros_like(MASK)).item())


def test_batches_score_each_clip_on_its_own() -> None:
    maps = torch.cat([_frames([[0, 0, 0], [0, 0, 0], [0, 0, 1]], [[0] * 3] * 3), torch.ones(1, 2, 3, 3)])
    masks = torch.cat([MASK, MASK])
    assert pointing_game(maps, masks).tolist() == [1.0, 0.0]
    torch.testing.assert_close(energy_in_mask(maps, masks), torch.tensor([1.0, 2 / 18]))


def test_explanation_clip_blends_towards_the_reference() -> None:
    clips = torch.full((1, 2, 1, 1, 2), 4.0)
    reference = torch.full_like(clips, 2.0)
    maps = torch.tensor([[[[1.0, 0.25]]]])
    torch.testing.assert_close(explanation_clips(clips, reference, maps)[0, :, 0, 0], torch.tensor([[4.0, 2.5]] * 2))


def test_average_drop_and_increase_in_confidence_by_hand() -> None:
    # SumModel: p = sigmoid(0.1 * sum). Clip 0 loses half of its +10 (drop); clip 1 keeps
    # only its +10 voxel and loses the -20 one (increase).
    clips = torch.tensor([[10.0, 10.0], [10.0, -20.0]]).view(2, 1, 1, 1, 2)
    maps = torch.tensor([[1.0, 0.0], [1.0, 0.0]]).view(2, 1, 1, 2)
    drop, increase = confidence_change(ClassScorer(SumModel()), clips, torch.zeros_like(clips), maps, torch.tensor([0, 0]))
    full, kept = 1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(-1.0))
    assert drop.tolist() == pytest.approx([(full - kept) / full, 0.0])
    assert increase.tolist() == [0.0, 1.0]
