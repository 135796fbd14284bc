"""FrameRing: ids, drop-oldest accounting, lossless back-pressure, fresh copies, wake-ups."""

import threading
import time

import numpy as np
import pytest

from vgv_core.window_geometry import window_span
from vgv_live.ring import FrameRing


def frame(value: int) -> np.ndarray:
    return np.full((4, 6, 3), value % 256, np.uint8)


def test_live_ring_overwrites_oldest_and_counts_unexplained_frames_as_dropped():
    ring = FrameRing(8)
    for i in range(20):
        assert ring.put(frame(i), timestamp=float(i)) == i
    assert ring.dropped == 12
    window = ring.latest_window(clip_len=4, stride=2, timeout=0)
    assert window.frame_ids.tolist() == [13, 15, 17, 19]
    assert window.timestamps.tolist() == [13.0, 15.0, 17.0, 19.0]
    assert [int(f[0, 0, 0]) for f in window.frames] == [13, 15, 17, 19]
    for i in range(20, 28):
        ring.put(frame(i))
    # 12..19 overwritten: 13..19 were covered by the window, 12 was not
    assert ring.dropped == 13


def test_window_is_a_fresh_copy_not_a_view_of_a_slot():
    ring = FrameRing(4)
    for i in range(4):
        ring.put(frame(i))
    window = ring.latest_window(clip_len=2, timeout=0)
    for i in range(4, 12):
        ring.put(frame(i))
    assert [int(f[0, 0, 0]) for f in window.frames] == [2, 3]
    assert not np.shares_memory(window.frames, ring.frames_between(8, 11).frames)


def test_latest_window_waits_for_hop_new_frames_and_times_out():
    ring = FrameRing(16)
    for i in range(5):
        ring.put(frame(i))
    first = ring.latest_window(clip_len=3, timeout=0)
    assert first.frame_ids[-1] == 4
    assert ring.latest_window(clip_len=3, after_id=4, hop=2, timeout=0.05) is None
    ring.put(frame(5))
    assert ring.latest_window(clip_len=3, after_id=4, hop=2, timeout=0.05) is None
    ring.put(frame(6))
    assert ring.latest_window(clip_len=3, after_id=4, hop=2, timeout=0).frame_ids.tolist() == [4, 5, 6]


def test_clear_forgets_backlog_so_windows_never_straddle_a_reconnect():
    ring = FrameRing(16)
    for i in range(10):
        ring.put(frame(i))
    ring.clear()
    assert ring.dropped == 10
    ring.put(frame(10))
    assert ring.latest_window(clip_len=2, timeout=0.05) is None
    ring.put(frame(11))
    assert ring.latest_window(clip_len=2, timeout=0).frame_ids.tolist() == [10, 11]


def test_lossless_producer_waits_for_release_and_nothing_is_dropped():
    ring = FrameRing(4, lossless=True)
    cursor = ring.add_cursor()
    written = []

    def produce():
        for i in range(12):
            written.append(ring.put(frame(i)))
        ring.end()

    producer = threading.Thread(target=produce)
    producer.start()
    seen = []
    end_id = 1
    while True:
        window = ring.window_ending_at(end_id, clip_len=2, timeout=2)
        if window is None:
            break
        seen.append(window.frame_ids.tolist())
        ring.release(cursor, end_id - 1)
        end_id += 1
    producer.join(2)
    assert written == list(range(12))
    assert seen == [[i - 1, i] for i in range(1, 12)]
    assert ring.dropped == 0


def test_lossless_producer_blocks_when_full_and_stop_wakes_it():
    ring = FrameRing(3, lossless=True)
    ring.add_cursor()
    for i in range(3):
        ring.put(frame(i))
    result = []
    producer = threading.Thread(target=lambda: result.append(ring.put(frame(3))))
    producer.start()
    time.sleep(0.2)
    assert producer.is_alive() and result == []
    started = time.monotonic()
    ring.stop()
    producer.join(1)
    assert not producer.is_alive() and result == [None]
    assert time.monotonic() - started < 0.5


def test_stop_and_end_wake_a_waiting_reader():
    for wake in ("stop", "end"):
        ring = FrameRing(8)
        got = []
        reader = threading.Thread(target=lambda: got.append(ring.latest_window(clip_len=2, timeout=10)))
        reader.start()
        time.sleep(0.1)
        getattr(ring, wake)()
        reader.join(1)
        assert not reader.is_alive() and got == [None]


def test_storage_is_preallocated_and_constant():
    ring = FrameRing(10)
    ring.put(frame(0))
    size = ring.nbytes
    assert size == 10 * 4 * 6 * 3
    for i in range(1000):
        ring.put(frame(i))
    assert ring.nbytes == size


def test_frames_between_returns_only_held_frames():
    ring = FrameRing(5)
    for i in range(9):
        ring.put(frame(i), timestamp=float(i))
    held = ring.frames_between(0, 20)
    assert held.frame_ids.tolist() == [4, 5, 6, 7, 8]
    assert [int(f[0, 0, 0]) for f in held.frames] == [4, 5, 6, 7, 8]


def test_window_larger_than_ring_is_refused():
    assert window_span(8, 4) == 29
    with pytest.raises(ValueError):
        FrameRing(16).latest_window(clip_len=8, stride=4, timeout=0)
