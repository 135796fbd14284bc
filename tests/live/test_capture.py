"""CaptureThread against a real RTSP server and real files: rate, watchdog, reconnects, stop."""

import random
import socket
import time

import pytest

from vgv_live.capture import CaptureOptions, CaptureThread, backoff_delay
from vgv_live.ring import FrameRing
from vgv_live.sources import parse_source
from live_support import FAST, RtspServer, frame_index, free_port, wait_for


SETTLE_S = 2.0


def start_capture(url_or_path: str, options: CaptureOptions = FAST, ring: FrameRing | None = None):
    ring = ring or FrameRing(64)
    capture = CaptureThread(parse_source(str(url_or_path)), ring, options)
    capture.start()
    return capture, ring


@pytest.mark.rtsp
def test_live_stream_runs_at_the_source_rate_with_contiguous_ids(rtsp_server, no_stray_threads):
    server = rtsp_server(fps=30)
    capture, ring = start_capture(server.url)
    try:
        wait_for(lambda: capture.state == "running" and ring.newest_id >= 0, 10)
        time.sleep(SETTLE_S)  # gst-rtsp-server sends its first second faster than real time (measured 43 fps)
        first, started = ring.newest_id, time.monotonic()
        time.sleep(3.0)
        window = ring.latest_window(clip_len=20, timeout=1)
        rate = (window.frame_ids[-1] - first) / (window.timestamps[-1] - started)
        assert 25 <= rate <= 36  # the source's 30 fps (a starved server may send late frames in bursts)
        assert capture.fps_meter.rate() > 20
        assert (window.frame_ids[1:] - window.frame_ids[:-1]).tolist() == [1] * 19
        assert all(b > a for a, b in zip(window.timestamps, window.timestamps[1:]))
        assert time.monotonic() - window.timestamps[-1] < 0.2  # no stale backlog in front of live frames
    finally:
        assert capture.stop()


@pytest.mark.rtsp
def test_dead_server_means_reconnecting_then_one_reconnect_after_restart(rtsp_server, no_stray_threads):
    server = rtsp_server()
    capture, ring = start_capture(server.url)
    try:
        wait_for(lambda: capture.state == "running" and ring.newest_id > 10, 10)
        server.kill()
        wait_for(lambda: capture.state == "reconnecting", FAST.stale_timeout_s + 1)
        time.sleep(1.0)
        assert capture.state == "reconnecting" and capture.is_alive()
        before = ring.newest_id
        server.restart()
        wait_for(lambda: capture.state == "running" and ring.newest_id > before + 10, 10)
        assert capture.reconnects == 1
        window = ring.latest_window(clip_len=10, timeout=1)
        assert window.frame_ids[0] > before  # the ring was cleared: no window spans the outage
    finally:
        assert capture.stop()


@pytest.mark.rtsp
def test_watchdog_notices_a_hung_server_within_the_stale_timeout_and_recovers(rtsp_server, no_stray_threads):
    server = rtsp_server()
    capture, ring = start_capture(server.url)
    try:
        wait_for(lambda: capture.state == "running" and ring.newest_id > 10, 10)
        server.hang()
        noticed = wait_for(lambda: capture.state != "running", FAST.stale_timeout_s + 1.0)
        assert noticed <= FAST.stale_timeout_s + 0.3
        assert capture.state == "reconnecting"
        time.sleep(0.5)
        server.resume()
        before = ring.newest_id
        wait_for(lambda: capture.state == "running" and ring.newest_id > before + 5, 10)
        assert capture.reconnects == 1
    finally:
        server.resume()
        assert capture.stop()


@pytest.mark.rtsp
def test_stop_returns_within_two_seconds_while_the_server_hangs(rtsp_server, no_stray_threads):
    server = rtsp_server()
    slow_watchdog = CaptureOptions(open_timeout_s=30.0, stale_timeout_s=30.0)
    capture, ring = start_capture(server.url, slow_watchdog)
    wait_for(lambda: capture.state == "running" and ring.newest_id > 5, 10)
    server.hang()
    time.sleep(0.5)
    started = time.monotonic()
    assert capture.stop(timeout=2.0)
    assert time.monotonic() - started < 2.0
    assert capture.state == "ended"
    server.resume()


def test_stop_returns_within_two_seconds_while_opening_a_silent_server(no_stray_threads):
    with socket.socket() as silent:  # accepts connections, never answers: a camera hung at open
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"rtsp://127.0.0.1:{silent.getsockname()[1]}/stream"
        capture, _ = start_capture(url, CaptureOptions(open_timeout_s=30.0, stale_timeout_s=30.0))
        time.sleep(0.5)
        assert capture.state == "connecting"
        started = time.monotonic()
        assert capture.stop(timeout=2.0)
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "source, expected",
    [
        (f"rtsp://127.0.0.1:{free_port()}/stream", "connection refused"),
        ("rtsp://no-such-camera.invalid/stream", "does not resolve"),
        ("7", "no such camera"),
        ("/dev/video9", "no such camera"),
    ],
)
def test_unopenable_sources_end_in_error_with_a_clear_reason(source, expected, no_stray_threads):
    capture, _ = start_capture(source)
    capture.join(FAST.open_timeout_s + 1)
    assert not capture.is_alive()
    assert capture.state == "error"
    assert expected in capture.error


def test_silent_server_errors_at_the_open_timeout(no_stray_threads):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        options = CaptureOptions(open_timeout_s=1.0)
        started = time.monotonic()
        capture, _ = start_capture(f"rtsp://127.0.0.1:{silent.getsockname()[1]}/x", options)
        capture.join(5)
        assert 0.9 <= time.monotonic() - started <= 2.0
        assert capture.state == "error" and "open timeout of 1 s" in capture.error


@pytest.mark.rtsp
def test_retry_keeps_retrying_with_backoff_until_the_server_appears(rtsp_server, no_stray_threads):
    port = free_port()
    options = CaptureOptions(open_timeout_s=2.0, retry=True, backoff_initial_s=0.1, backoff_max_s=0.4)
    capture, ring = start_capture(f"rtsp://127.0.0.1:{port}/stream", options)
    try:
        time.sleep(1.5)
        assert capture.state == "connecting" and capture.is_alive()
        assert 3 <= capture.open_attempts <= 10  # 0.1, 0.2, 0.4, 0.4 ... s apart
        assert "connection refused" in capture.error and "retrying in" in capture.error
        server = RtspServer(port, []).start()
        try:
            wait_for(lambda: capture.state == "running" and ring.newest_id > 5, 10)
            assert capture.reconnects == 0
        finally:
            server.kill()
    finally:
        assert capture.stop()


def test_backoff_is_exponential_capped_and_jittered():
    options = CaptureOptions(backoff_initial_s=0.5, backoff_max_s=8.0, backoff_jitter=0.25)
    rng = random.Random(1)
    delays = [backoff_delay(a, options, rng) for a in range(8)]
    bases = [0.5, 1, 2, 4, 8, 8, 8, 8]
    assert all(0.75 * b <= d <= 1.25 * b for d, b in zip(delays, bases))
    assert len({round(d, 6) for d in delays[4:]}) == 4  # jitter: capped delays differ


def test_paced_file_plays_ten_seconds_in_ten_seconds(ten_second_video, no_stray_threads):
    capture, ring = start_capture(ten_second_video, CaptureOptions(paced=True))
    started = time.monotonic()
    capture.join(20)
    elapsed = time.monotonic() - started
    assert capture.state == "ended"
    assert ring.newest_id == 299
    assert 9.0 <= elapsed <= 11.0
    assert capture.native_fps == pytest.approx(30.0, rel=0.01)


def test_lossless_file_delivers_every_frame_in_order(two_second_video, no_stray_threads):
    ring = FrameRing(8, lossless=True)
    cursor = ring.add_cursor()
    capture, _ = start_capture(two_second_video, CaptureOptions(paced=False), ring)
    values = []
    end_id = 0
    while (window := ring.window_ending_at(end_id, clip_len=1, timeout=5)) is not None:
        values.append(frame_index(window.frames[0]))
        ring.release(cursor, end_id)
        end_id += 1
    capture.join(2)
    assert len(values) == 60 and ring.dropped == 0
    assert values == list(range(60))


def test_loop_restarts_the_file(two_second_video, no_stray_threads):
    capture, ring = start_capture(two_second_video, CaptureOptions(paced=False, loop=True), FrameRing(8))
    try:
        wait_for(lambda: ring.newest_id > 150, 20)
        assert capture.state == "running"
    finally:
        assert capture.stop()
