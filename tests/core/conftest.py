import pytest

from seeded_models import NUMERIC_CASES, seeded_model_and_clip


@pytest.fixture(scope="module", params=list(NUMERIC_CASES))
def net_and_clip(request):
    """Each numeric case's model with seeded random weights (the demo as shipped) and a clip."""
    return seeded_model_and_clip(request.param, NUMERIC_CASES[request.param], seed=1)
