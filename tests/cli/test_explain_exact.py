"""`vgv explain --exact`: the engine's exact mode, said in the JSON summary; its maps agree with
the fast mode's to the documented bound (here seen through the uint8 maps of the NPZ)."""

from __future__ import annotations

import json

import numpy as np

from explain_support import explain, make_video, npz, write_spec


def test_exact_flag_runs_exact_mode_and_says_so(tmp_path, capfd):
    video = make_video(tmp_path / "in.mp4", size="160x120", fps=10, frames=12)
    spec = write_spec(tmp_path)
    outputs = {}
    for mode, flag in (("fast", []), ("exact", ["--exact"])):
        out = tmp_path / mode
        out.mkdir()
        code, err = explain(capfd, video, "-o", out / "out.mp4", "--model", spec, "--method", "guided_backprop",
                            "-q", "--npz", out / "maps.npz", "--json", out / "summary.json", *flag)
        assert code == 0, err
        outputs[mode] = (json.loads((out / "summary.json").read_text()), npz(out / "maps.npz")["maps"])
    assert outputs["fast"][0]["exact"] is False and outputs["exact"][0]["exact"] is True
    fast, exact = (outputs[m][1].astype(int) for m in ("fast", "exact"))
    assert fast.shape == exact.shape and exact.max() > 0
    assert np.abs(fast - exact).max() <= 1  # 1e-4 of the peak is well under one uint8 step
