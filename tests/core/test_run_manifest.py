"""The run manifest: what counts as finished, what is redone, and a line cut short by a crash."""

from __future__ import annotations

import json
import os

from vgv_core.offline.run_manifest import (
    DAMAGED,
    DONE,
    FAILED,
    MANIFEST_NAME,
    FileState,
    RunManifest,
    VideoRecord,
    settings_hash,
)

SETTINGS = settings_hash({"method": "gradcam", "hop": 2})


def _setup(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"0123456789")
    out = tmp_path / "out"
    out.mkdir()
    outputs = {"video": out / "a.mp4", "csv": tmp_path / "csv" / "a.csv"}
    (tmp_path / "csv").mkdir()
    for path in outputs.values():
        path.write_text("complete")
    return video, out, outputs


def _record(manifest: RunManifest, state: FileState, outputs, status: str = DONE) -> VideoRecord:
    return VideoRecord(state.path, state.size, state.mtime_ns, SETTINGS, status, manifest.relative(outputs), 10, 1.0)


def test_finished_only_when_file_settings_and_outputs_are_unchanged(tmp_path):
    video, out, outputs = _setup(tmp_path)
    manifest = RunManifest(out)
    state = FileState.of(video)
    assert manifest.finished(state, SETTINGS, outputs) is None
    manifest.add(_record(manifest, state, outputs))
    assert manifest.records[state.path].outputs == {"video": "a.mp4", "csv": "../csv/a.csv"}

    reopened = RunManifest(out)
    assert reopened.finished(state, SETTINGS, outputs) is not None
    assert reopened.finished(state, settings_hash({"method": "gradcam", "hop": 1}), outputs) is None
    assert reopened.finished(state, SETTINGS, outputs | {"npz": out / "a.npz"}) is None  # asked for more
    outputs["csv"].unlink()
    assert reopened.finished(state, SETTINGS, outputs) is None
    outputs["csv"].write_text("complete")
    os.utime(video, ns=(state.mtime_ns, state.mtime_ns + 1))
    assert reopened.finished(FileState.of(video), SETTINGS, outputs) is None


def test_damaged_counts_as_finished_failed_does_not(tmp_path):
    video, out, outputs = _setup(tmp_path)
    manifest = RunManifest(out)
    state = FileState.of(video)
    manifest.add(_record(manifest, state, outputs, FAILED))
    assert RunManifest(out).finished(state, SETTINGS, outputs) is None
    manifest.add(_record(manifest, state, outputs, DAMAGED))
    assert RunManifest(out).finished(state, SETTINGS, outputs).status == DAMAGED


def test_a_torn_last_line_is_ignored_and_superseded_lines_compacted(tmp_path):
    video, out, outputs = _setup(tmp_path)
    manifest = RunManifest(out)
    state = FileState.of(video)
    manifest.add(_record(manifest, state, outputs, FAILED))
    manifest.add(_record(manifest, state, outputs, DONE))
    with (out / MANIFEST_NAME).open("a") as handle:
        handle.write('{"path": "/videos/b.mp4", "size": 12')  # the crash came mid-line

    reopened = RunManifest(out)
    assert list(reopened.records) == [state.path]
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert [json.loads(line)["status"] for line in lines] == [DONE]
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", MANIFEST_NAME]  # no temporary left
