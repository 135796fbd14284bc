"""OpenMP's wait policy is the live app's choice, not a side effect of importing the library."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package,expected", [("vgv_core", "None"), ("vgv_live", "PASSIVE")])
def test_only_the_live_app_sets_the_openmp_wait_policy(package, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = f"import os, {package}; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_the_policy_is_set_before_torch_loads():
    """libgomp reads OMP_WAIT_POLICY when torch is first imported, so vgv_live sets it before."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import sys, vgv_live; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
