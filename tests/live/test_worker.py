"""ExplainWorker and LivePipeline on real sources: newest window, hop, slow model, lossless files."""

import time

import numpy as np
import pytest
from live_support import FAST, wait_for

from vgv_core.window_geometry import window_span
from vgv_live.capture import CaptureOptions
from vgv_live.pipeline import LivePipeline
from vgv_live.sources import parse_source
from vgv_live.worker import WorkerOptions


SETTLE_S = 2.0  # a GStreamer server sends a burst (up to ~43 fps) in the first second of a connection


def pipeline_for(source: str, model, worker: WorkerOptions = WorkerOptions(), capture: CaptureOptions = FAST, **kw):
    return LivePipeline.for_model(
        parse_source(str(source)), model, "gradcam", 64, capture_options=capture, worker_options=worker, **kw
    )


def collect(pipeline: LivePipeline, seconds: float) -> list:
    """Every result published during ``seconds`` (a subscription, as sinks get them)."""
    subscription = pipeline.worker.subscribe(size=1000)
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = subscription.get(0.1)
        if result is not None:
            results.append(result)
    return results


@pytest.mark.rtsp
def test_results_are_immutable_fresh_windows_of_the_live_stream(rtsp_server, tiny_model, no_stray_threads):
    server = rtsp_server()
    pipeline = pipeline_for(server.url, tiny_model)
    pipeline.start()
    try:
        wait_for(lambda: pipeline.worker.results > 0, 15)
        results = collect(pipeline, 2.0)
        newest = pipeline.latest_frame()
    finally:
        assert pipeline.stop()
    assert newest.frames.shape == (1, 240, 320, 3) and newest.frame_ids[0] >= results[-1].frame_ids[-1]
    spec = tiny_model.spec
    assert len(results) >= 10
    for result in results:
        assert result.frame_ids.tolist() == list(range(result.frame_ids[0], result.frame_ids[0] + spec.clip_len * 2, 2))
        assert result.maps.shape == (spec.clip_len, 48, 64) and result.maps.dtype == np.uint8  # 320x240 -> long side 64
        assert result.probs.shape == (6,) and abs(float(result.probs.sum()) - 1) < 1e-4
        assert result.labels[2] == "left_blinker" and result.method == "gradcam"
        assert not result.maps.flags.writeable and not result.probs.flags.writeable
        assert result.timings.done_t >= result.timings.taken_t >= result.timestamps[-1]
    ends = [int(r.frame_ids[-1]) for r in results]
    assert ends == sorted(set(ends))
    assert pipeline.latest().seq >= results[-1].seq


@pytest.mark.rtsp
def test_hop_explains_after_every_n_new_frames(rtsp_server, tiny_model, no_stray_threads):
    server = rtsp_server()
    pipeline = pipeline_for(server.url, tiny_model, WorkerOptions(hop=6))
    pipeline.start()
    try:
        wait_for(lambda: pipeline.worker.results > 0, 15)
        results = collect(pipeline, 2.0)
    finally:
        assert pipeline.stop()
    gaps = np.diff([int(r.frame_ids[-1]) for r in results])
    assert len(results) >= 5
    assert gaps.min() >= 6
    assert np.median(gaps) <= 7  # the model is fast: it waits for the hop, not longer


@pytest.mark.rtsp
def test_slow_worker_skips_to_the_newest_window_with_constant_memory(rtsp_server, tiny_model, no_stray_threads):
    server = rtsp_server(fps=30)
    delay_s = 0.3
    hook = tiny_model.net.register_forward_pre_hook(lambda module, args: time.sleep(delay_s))
    pipeline = pipeline_for(server.url, tiny_model)
    every_result = pipeline.worker.subscribe(size=1000)
    try:
        pipeline.start()
        wait_for(lambda: pipeline.worker.results > 0, 15)
        time.sleep(SETTLE_S)
        ring_bytes = pipeline.ring.nbytes
        frames_before, start = pipeline.ring.newest_id, time.monotonic()
        time.sleep(4.0)
        frames, end = pipeline.ring.newest_id - frames_before, time.monotonic()
        capture_fps = frames / (end - start)
        assert pipeline.ring.nbytes == ring_bytes
    finally:
        hook.remove()
        assert pipeline.stop()
    results = []
    while (result := every_result.get(0)) is not None:
        results.append(result)
    assert 27 <= capture_fps <= 33, "capture must keep its rate whatever the model does"
    assert 100 <= frames <= 135
    # back to back: one result per pass, each pass the delay plus the model's own time (measured)
    per_pass = float(np.median([r.timings.explain_s + r.timings.preprocess_s for r in results]))
    assert per_pass >= delay_s
    measured = [r for r in results if start <= r.timings.done_t <= end]
    assert 4.0 / per_pass - 2 <= len(measured) <= 4.0 / delay_s + 1
    # every frame no window covered is counted as dropped (clear() drops the rest of the ring
    # now); a window taken as stop() came may be covered without its result being published
    pipeline.ring.clear()
    span = window_span(tiny_model.spec.clip_len, tiny_model.spec.frame_stride)
    covered = set()
    for result in results:
        covered.update(range(int(result.frame_ids[-1]) - span + 1, int(result.frame_ids[-1]) + 1))
    never_covered = pipeline.ring.newest_id + 1 - len(covered)
    assert never_covered - span <= pipeline.ring.dropped <= never_covered
    assert pipeline.ring.dropped > frames * 0.15
    frame_period = 1 / 30
    for previous, result in zip(results, results[1:]):
        worker_period = result.timings.done_t - previous.timings.done_t
        age_at_publish = result.timings.done_t - result.timestamps[-1]
        assert age_at_publish <= worker_period + frame_period + 0.02
        assert result.timings.taken_t - result.timestamps[-1] <= frame_period + 0.02  # it took the newest frame


def test_lossless_file_explains_every_window_in_order(two_second_video, tiny_model, no_stray_threads):
    pipeline = pipeline_for(two_second_video, tiny_model, WorkerOptions(lossless=True), CaptureOptions(paced=False))
    subscription = pipeline.worker.subscribe(size=4)  # lossless: the worker waits for this reader
    pipeline.start()
    ends = []
    while (result := subscription.get(10)) is not None:
        ends.append(int(result.frame_ids[-1]))
        time.sleep(0.002)  # a reader slower than the model must not lose windows
    assert pipeline.join_finished(10)
    span = window_span(tiny_model.spec.clip_len, tiny_model.spec.frame_stride)
    assert ends == list(range(span - 1, 60))
    assert pipeline.ring.dropped == 0
    assert pipeline.stop()


def test_lossless_hop_explains_every_hop_th_window(two_second_video, tiny_model, no_stray_threads):
    pipeline = pipeline_for(two_second_video, tiny_model, WorkerOptions(lossless=True, hop=5), CaptureOptions(paced=False))
    subscription = pipeline.worker.subscribe()
    pipeline.start()
    ends = []
    while (result := subscription.get(10)) is not None:
        ends.append(int(result.frame_ids[-1]))
    assert pipeline.join_finished(10)
    assert ends == list(range(6, 60, 5))
    assert pipeline.stop()


def _lossless_run(video, model, batch: int) -> tuple[dict[int, np.ndarray], int]:
    """Probabilities per window end, and how many passes the model made; the first pass is
    held back 0.3 s so the ring fills up and the worker finds itself behind."""
    pipeline = pipeline_for(video, model, WorkerOptions(lossless=True, batch=batch), CaptureOptions(paced=False))
    engine = pipeline.worker.explainer._explainer
    real_explain, passes = engine.explain, []

    def counted_explain(clip, **kwargs):
        passes.append(clip.shape[0])
        if len(passes) == 2:  # the first pass is the warm-up
            time.sleep(0.3)
        return real_explain(clip, **kwargs)

    engine.explain = counted_explain
    subscription = pipeline.worker.subscribe()
    pipeline.start()
    probs = {}
    while (result := subscription.get(10)) is not None:
        probs[int(result.frame_ids[-1])] = result.probs
    assert pipeline.join_finished(10)
    assert pipeline.stop()
    assert max(passes) <= batch
    return probs, len(passes) - 1


def test_lossless_worker_behind_explains_ready_windows_in_one_pass(two_second_video, tiny_model, no_stray_threads):
    one_by_one, single_passes = _lossless_run(two_second_video, tiny_model, batch=1)
    batched, batched_passes = _lossless_run(two_second_video, tiny_model, batch=4)
    span = window_span(tiny_model.spec.clip_len, tiny_model.spec.frame_stride)
    assert list(batched) == list(one_by_one) == list(range(span - 1, 60))
    assert single_passes == len(one_by_one) and batched_passes < single_passes
    for end, probs in one_by_one.items():
        np.testing.assert_allclose(batched[end], probs, atol=1e-5)


@pytest.mark.rtsp
def test_results_resume_within_ten_seconds_after_the_server_restarts(rtsp_server, tiny_model, no_stray_threads):
    server = rtsp_server()
    pipeline = pipeline_for(server.url, tiny_model)
    pipeline.start()
    try:
        wait_for(lambda: pipeline.worker.results > 5, 15)
        server.kill()
        wait_for(lambda: pipeline.producer.state == "reconnecting", FAST.stale_timeout_s + 1)
        time.sleep(1.0)
        assert pipeline.producer.is_alive() and pipeline.worker.is_alive() and pipeline.error is None
        results_during_outage = pipeline.worker.results
        restarted = time.monotonic()
        server.restart()
        wait_for(lambda: pipeline.worker.results > results_during_outage, 10 - (time.monotonic() - restarted))
        assert pipeline.producer.reconnects == 1
        assert pipeline.stats().reconnects == 1
    finally:
        assert pipeline.stop()


@pytest.mark.rtsp
def test_pipeline_stop_returns_within_two_seconds_while_the_server_hangs(rtsp_server, tiny_model, no_stray_threads):
    server = rtsp_server()
    pipeline = pipeline_for(server.url, tiny_model, capture=CaptureOptions(open_timeout_s=30, stale_timeout_s=30))
    pipeline.start()
    wait_for(lambda: pipeline.worker.results > 2, 15)
    server.hang()
    time.sleep(0.5)
    started = time.monotonic()
    try:
        assert pipeline.stop(timeout=2.0)
        assert time.monotonic() - started < 2.0
    finally:
        server.resume()
