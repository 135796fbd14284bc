"""Class probabilities of many clips, in chunks: the forward pass every metric shares."""

from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

DEFAULT_BATCH_SIZE = 16


class ClassScorer:
    """Softmax probabilities of ``net`` for clips (N, C, T, H, W), ``batch_size`` clips per
    forward, without gradients. Counts the clips it has scored in ``clips_scored``."""

    def __init__(self, net: nn.Module, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.net = net
        self.batch_size = batch_size
        self.clips_scored = 0

    def probabilities(self, clips: Tensor) -> Tensor:
        """(N, K) class probabilities."""
        with torch.inference_mode():
            probs = [self.net(chunk).softmax(dim=1) for chunk in clips.split(self.batch_size)]
        self.clips_scored += clips.shape[0]
        return torch.cat(probs)

    def score(self, clips: Tensor, targets: Tensor) -> Tensor:
        """(N,) probability of class ``targets[i]`` for clip i."""
        return self.probabilities(clips).gather(1, targets[:, None].to(clips.device))[:, 0]
