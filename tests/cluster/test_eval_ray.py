"""`vgv eval --ray local:2` gives the table, and every per-clip value, of the run in one process."""

from __future__ import annotations

import json

from ray_support import require_ray

from vgv_core.cli import main

SMALL = ["--n", "5", "--batch-size", "2", "--methods", "gradcam", "--steps", "2", "--frame-steps", "2",
         "--sanity-clips", "2", "--seed", "11", "-q"]


def test_eval_on_a_local_cluster_gives_the_one_process_table(tmp_path, capsys) -> None:
    require_ray()
    assert main(["eval", *SMALL, "--json", str(tmp_path / "one.json")]) == 0
    one = capsys.readouterr().out
    assert main(["eval", *SMALL, "--json", str(tmp_path / "ray.json"), "--ray", "local:2"]) == 0
    on_ray = capsys.readouterr().out

    assert on_ray == one and one.startswith("method")
    documents = [json.loads((tmp_path / f"{side}.json").read_text()) for side in ("one", "ray")]
    for key in ("per_clip", "summary", "sanity", "curves"):
        assert documents[1][key] == documents[0][key], key
    assert documents[1]["config"]["ray"] == "local:2" and len(documents[1]["per_clip"]["clips"]) == 5
    assert (tmp_path / "ray.csv").read_text() == (tmp_path / "one.csv").read_text()
