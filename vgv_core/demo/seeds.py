"""Seed ranges of the demo's clips, disjoint so evaluation never sees a training clip.

| range                          | used by                                             |
|--------------------------------|-----------------------------------------------------|
| [0, 1e9)                       | training: clip i of run seed s is s * 1e7 + i       |
| [1e9, 1e9 + 1e5)               | tests (accuracy, localisation)                      |
| [1e9 + 1e5, 1e9 + 2e5)         | validation printed at the end of `vgv train-demo`  |
| [1e9 + 2e5, 1e9 + 3e5)         | the 500-clip acceptance evaluation                  |
| [2e9, 2e9 + 1e5)               | the demo video's cars; the bay video's car (BAY_SEED) |
"""

TRAIN_RUN_SPAN = 10_000_000
MAX_RUN_SEED = 99  # keeps training seeds below 1e9
TEST_SEEDS = 1_000_000_000
VALIDATION_SEEDS = 1_000_100_000
ACCEPTANCE_SEEDS = 1_000_200_000
VIDEO_SEEDS = 2_000_000_000
BAY_SEED = VIDEO_SEEDS + 2  # the bay video's parked car (vgv_core.demo.bay)


def train_seed(run_seed: int, index: int) -> int:
    """Seed of the ``index``-th training clip of run ``run_seed``."""
    if not 0 <= run_seed <= MAX_RUN_SEED or not 0 <= index < TRAIN_RUN_SPAN:
        raise ValueError(f"run seed must be 0..{MAX_RUN_SEED} and index below {TRAIN_RUN_SPAN}")
    return run_seed * TRAIN_RUN_SPAN + index
