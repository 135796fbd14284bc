"""Rank correlation with ties, model stages, and the cascading randomisation check."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
from vgv_core.evaluation.baselines import RandomMap, centre_bias
from vgv_core.evaluation.methods import MethodSet
from vgv_core.evaluation.rank_correlation import average_ranks, spearman
from vgv_core.evaluation.sanity import cascading_randomisation, parameter_stages, randomise


def tiny_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv3d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv3d(4, 4, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 3),
    ).eval()


def test_average_ranks_share_ties() -> None:
    ranks = average_ranks(torch.tensor([[3.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 5.0]]))
    assert ranks.tolist() == [[4.0, 1.0, 2.5, 2.5], [2.0, 2.0, 2.0, 4.0]]


def test_spearman_by_hand_with_ties() -> None:
    # ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): centred dot 4.5, squared norms 4.5 and 5
    rho = spearman(torch.tensor([[1.0, 2.0, 2.0, 3.0]]), torch.tensor([[1.0, 3.0, 2.0, 4.0]]))
    assert rho.item() == pytest.approx(4.5 / math.sqrt(4.5 * 5))


def test_spearman_of_monotone_reversed_and_constant_maps() -> None:
    a = torch.rand(2, 3, 4, 4)
    rho = spearman(a, torch.stack([a[0].exp(), -a[1]]))
    assert rho.tolist() == pytest.approx([1.0, -1.0])
    assert spearman(a[:1], torch.zeros(1, 3, 4, 4)).item() == 0.0


def test_stages_descend_through_single_containers() -> None:
    assert [name for name, _ in parameter_stages(tiny_net())] == ["0", "2", "6"]
    wrapped = nn.Sequential()
    wrapped.add_module("body", tiny_net())
    assert [name for name, _ in parameter_stages(wrapped)] == ["body.0", "body.2", "body.6"]


def test_randomise_is_repeatable_and_changes_the_weights() -> None:
    first, second, trained = tiny_net(), tiny_net(), tiny_net()
    randomise(first[2], seed=5)
    randomise(second[2], seed=5)
    assert torch.equal(first[2].weight, second[2].weight)
    assert not torch.equal(first[2].weight, trained[2].weight)
    assert torch.equal(first[0].weight, trained[0].weight)


def test_cascade_leaves_the_model_alone_and_places_methods_on_the_scale() -> None:
    net, clips, targets = tiny_net(), torch.randn(2, 3, 4, 8, 8), torch.tensor([0, 2])
    before = [p.clone() for p in net.parameters()]
    methods = MethodSet(("gradcam", "guided_backprop"), {"random": RandomMap(0), "centre_bias": centre_bias})
    result = cascading_randomisation(net, methods, clips, targets, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert result.stages == ("6", "2", "0")
    assert result.rho["gradcam"].shape == (3, 2)
    assert (result.rho["centre_bias"] == pytest.approx(1.0))  # it never looks at the model
    assert abs(result.final()["random"]) < 0.1  # fresh draws: no shared ranking
    again = cascading_randomisation(net, MethodSet(("gradcam", "guided_backprop")), clips, targets, seed=1)
    assert (again.rho["gradcam"] == result.rho["gradcam"]).all()
