"""The random numbers of a benchmark, drawn per batch so that any split of the clips draws
the same ones.

Each batch of clips has two streams of its own, one for the order of tied map values and
one for random maps, and the sanity check one more; each is seeded from the run's seed and
its key (kind of stream, batch index) through numpy's SeedSequence, which mixes them so
that neighbouring keys give unrelated streams. So a run split into shards on several
workers (`vgv eval --ray`) draws exactly what the run in one process draws.
"""

from __future__ import annotations

import numpy as np
import torch

TIES, MAPS, SANITY = 0, 1, 2  # kinds of stream


def stream_seed(seed: int, kind: int, batch: int = 0) -> int:
    """A 63-bit seed for the stream ``kind`` of batch ``batch`` in a run seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, kind, batch]).generate_state(1, np.uint64)[0] >> 1)


def generator(seed: int, kind: int, batch: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(stream_seed(seed, kind, batch))
