"""A benchmark scored in parts (as `vgv eval --ray` does, one range of batches per task) gives
the numbers of the run in one piece: the random streams are per batch."""

from __future__ import annotations

import numpy as np
import torch
from test_eval_benchmark import FAST, SPEC, _write_video, tiny_net

from vgv_core.evaluation import MethodSet, SyntheticBay, VideoFolder, baseline_methods, run_benchmark
from vgv_core.evaluation.benchmark import merge, sanity_check, score_clips

SEED = 5


def _methods() -> MethodSet:
    return MethodSet(("gradcam", "guided_backprop"), baseline_methods(SEED))


def test_scores_of_batch_ranges_merge_into_the_whole_run() -> None:
    dataset = SyntheticBay(SPEC, torch.device("cpu"), 8, SEED)  # 3 batches of 3, 3, 2 clips
    config = FAST.__class__(**{**FAST.__dict__, "seed": SEED})
    whole = run_benchmark(tiny_net(), dataset, _methods(), config)
    # each part on a fresh model and method set, in an order other than the clips', as workers would
    parts = {span: score_clips(tiny_net(), dataset, _methods(), config, span) for span in (range(2, 3), range(0, 2))}
    sanity = sanity_check(tiny_net(), dataset, _methods(), config)
    merged = merge(whole.methods, [parts[range(0, 2)], parts[range(2, 3)]], sanity, dataset.description)

    assert merged.clip_names == whole.clip_names and len(whole.clip_names) == 8
    for name in whole.methods:
        for metric, values in whole.per_clip[name].items():
            np.testing.assert_array_equal(merged.per_clip[name][metric], values, err_msg=f"{name} {metric}")
        for curve, values in whole.curves[name].items():
            np.testing.assert_array_equal(merged.curves[name][curve], values, err_msg=f"{name} {curve}")
        np.testing.assert_array_equal(merged.sanity.rho[name], whole.sanity.rho[name])
    assert merged.summary() == whole.summary()
    # the random baseline really is random per batch, not one stream restarted
    random_maps = merged.per_clip["random"]["deletion_auc"]
    assert len(set(random_maps.round(6))) == len(random_maps)


def test_a_folder_of_videos_yields_the_same_batches_in_parts(tmp_path) -> None:
    _write_video(tmp_path / "a.avi", 13 * 5)
    _write_video(tmp_path / "b.avi", 13 * 3)
    folder = VideoFolder(tmp_path, SPEC, torch.device("cpu"), n=7)
    whole = list(folder.batches(2))
    parts = list(folder.batches(2, 0, 1)) + list(folder.batches(2, 1, 3)) + list(folder.batches(2, 3))
    assert [b.names for b in parts] == [b.names for b in whole]
    assert [len(b.names) for b in whole] == [2, 2, 2, 1]
    for mine, theirs in zip(parts, whole):
        torch.testing.assert_close(mine.clips, theirs.clips, rtol=0, atol=0)
