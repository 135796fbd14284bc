"""Retention of the events folder with events of known age and size."""

import json
import os
import time

from vgv_live.cli import main
from vgv_live.edge.retention import GRACE_S, Retention

DAY = 86400
MB = 10**6


def make_event(folder, number, age_days, megabytes, now, label="left_blinker", kind=""):
    """An event as the recorder leaves it (clip, record, map), all of one age; its name."""
    name = f"event_{number:04d}_{kind}{label}_f{100 * number}"
    files = [folder / f"{name}.mp4", folder / f"{name}.json"] + ([folder / f"{name}_map.png"] if kind else [])
    files[0].write_bytes(b"\0" * (megabytes * MB - 100 * (len(files) - 1)))
    for extra in files[1:]:
        extra.write_bytes(b"{}".ljust(100))
    for path in files:
        os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    return name


def names(folder):
    return sorted(path.name for path in folder.iterdir())


def test_keep_days_deletes_whole_events_older_than_the_limit(tmp_path):
    now = time.time()
    old = make_event(tmp_path, 0, 10, 1, now)
    old_elsewhere = make_event(tmp_path, 1, 8, 1, now, kind="looked_elsewhere_")
    kept = make_event(tmp_path, 2, 2, 1, now)
    report = Retention(tmp_path, keep_days=7).enforce(now)
    assert report.deleted == [old, old_elsewhere]
    assert report.freed_bytes == 2 * MB and report.kept_bytes == MB
    assert names(tmp_path) == [f"{kept}.json", f"{kept}.mp4"]


def test_keep_gb_deletes_the_oldest_until_the_folder_fits(tmp_path):
    now = time.time()
    events = [make_event(tmp_path, n, age, 3, now) for n, age in enumerate([5, 1, 3, 4])]  # 12 MB
    report = Retention(tmp_path, keep_gb=0.007).enforce(now)  # 7 MB: the two oldest go
    assert report.deleted == [events[0], events[3]] and report.kept_bytes == 6 * MB
    assert sorted({name.rsplit(".", 1)[0] for name in names(tmp_path)}) == sorted([events[1], events[2]])


def test_clips_being_written_and_fresh_files_and_other_files_are_never_deleted(tmp_path):
    now = time.time()
    writing = make_event(tmp_path, 0, 30, 2, now)
    (tmp_path / f"{writing}.mp4").rename(tmp_path / f".{writing}.a1b2c3d4.partial.mp4")  # the clip, unfinished
    (tmp_path / f"{writing}.json").unlink()
    just_renamed = make_event(tmp_path, 1, 30, 2, now)
    os.utime(tmp_path / f"{just_renamed}.mp4", (now - GRACE_S / 2,) * 2)  # its record not written yet
    mine = tmp_path / "notes_event_0002_x_f1.txt"
    mine.write_bytes(b"\0" * 5 * MB)
    os.utime(mine, (now - 100 * DAY,) * 2)
    old = make_event(tmp_path, 3, 20, 2, now)
    report = Retention(tmp_path, keep_days=1, keep_gb=0.000001,
                       in_use=lambda: [f"{writing}.mp4"]).enforce(now)
    assert report.deleted == [old]
    assert names(tmp_path) == sorted([f".{writing}.a1b2c3d4.partial.mp4", f"{just_renamed}.json",
                                      f"{just_renamed}.mp4", mine.name])


def test_health_records_age_like_events(tmp_path):
    now = time.time()
    record = tmp_path / "health_cam0_offline_20240101-120000-000.json"
    record.write_text("{}")
    os.utime(record, (now - 3 * DAY,) * 2)
    assert Retention(tmp_path, keep_days=2).enforce(now).deleted == [record.stem]


def test_vgv_live_keep_days_cleans_the_events_folder_at_start(two_second_video, tiny_model_spec, tmp_path, capsys):
    now = time.time()
    old = make_event(tmp_path, 7, 40, 1, now)
    recent = make_event(tmp_path, 8, 1, 1, now)
    status = main([str(two_second_video), "--headless", "--model", str(tiny_model_spec), "--events", str(tmp_path),
                   "--keep-days", "30", "--threshold", "all_off=0.99"])
    assert status == 0
    err = capsys.readouterr().err
    assert "retention: deleted 1 event(s), 1.0 MB" in err
    assert not (tmp_path / f"{old}.mp4").exists() and (tmp_path / f"{recent}.mp4").exists()
    assert json.loads((tmp_path / f"{recent}.json").read_text()) == {}


def test_the_clip_an_event_recorder_is_writing_survives_retention_and_its_listeners_hear_start_and_end(tmp_path):
    import numpy as np

    from vgv_live.sinks import AnnotatedFrame, EventRecorder, ThresholdTrigger
    from test_sinks import FPS, make_result

    recorder = EventRecorder(tmp_path, [ThresholdTrigger({2: 0.6})], pre_roll_s=0.1, post_roll_s=60.0)
    heard = []
    recorder.listeners.append(lambda phase, record: heard.append((phase, record)))
    for frame_id in range(4):
        result = make_result(0, frame_id, 0.9)
        recorder.on_frame(AnnotatedFrame(frame_id, frame_id / FPS, np.zeros((48, 64, 3), np.uint8), result, FPS))
    recorder.on_result(make_result(0, 3, 0.9))
    (partial,) = tmp_path.glob(".event_0000_*.partial.mp4")
    long_ago = time.time() - 100 * DAY
    os.utime(partial, (long_ago, long_ago))  # as if the camera had sent nothing for long
    report = Retention(tmp_path, keep_days=1, keep_gb=1e-9, in_use=recorder.active_clips).enforce()
    assert report.deleted == [] and partial.exists()
    assert [phase for phase, _ in heard] == ["start"] and heard[0][1]["clip"] == recorder.active_clips()[0]
    recorder.close()
    (record_file,) = tmp_path.glob("event_0000_*.json")
    assert [phase for phase, _ in heard] == ["start", "end"] and heard[1][1] == json.loads(record_file.read_text())
