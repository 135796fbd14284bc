"""Several cameras: one batched CameraWorker per model, per-camera pipelines, failure isolation,
per-camera outputs and the config's camera list, on real RTSP servers and real files."""

import json
import time
from contextlib import contextmanager

import pytest
from live_support import FAST, run_cli, wait_for

from vgv_live.camera_worker import CameraWorker
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.pipeline import LivePipeline
from vgv_live.producer import RECONNECTING, RUNNING
from vgv_live.sources import parse_source
from vgv_live.worker import WorkerOptions

MAX_GAP_S = 2.0


@contextmanager
def cameras(urls: list[str], model, **worker_kwargs):
    """A started CameraWorker with one pipeline per url (named cam0, cam1, ...); stopped after."""
    explainer = ClipExplainer(model, "gradcam", 64)
    worker = CameraWorker([explainer], **worker_kwargs)
    pipelines = {}
    for index, url in enumerate(urls):
        name = f"cam{index}"
        pipelines[name] = LivePipeline(
            parse_source(url), explainer, FAST, WorkerOptions(),
            worker=lambda ring, name=name: worker.lane(name, ring, explainer))
    worker.start()
    assert worker.ready.wait(60) and worker.error is None
    for pipeline in pipelines.values():
        pipeline.start()
    try:
        yield worker, pipelines
    finally:
        for pipeline in pipelines.values():
            assert pipeline.stop()
        assert worker.stop()


def drain(subscription) -> list:
    results = []
    while (result := subscription.get(0)) is not None:
        results.append(result)
    return results


def largest_gap(results, start: float, end: float) -> float:
    """The longest time without a result between ``start`` and ``end`` (monotonic)."""
    done = [start] + sorted(r.timings.done_t for r in results if start <= r.timings.done_t <= end) + [end]
    return max(b - a for a, b in zip(done, done[1:]))


def rate(results, start: float, end: float) -> float:
    return sum(start <= r.timings.done_t <= end for r in results) / (end - start)


@pytest.mark.rtsp
def test_three_cameras_one_killed_and_restarted_the_others_never_pause(rtsp_server, tiny_model, no_stray_threads):
    servers = [rtsp_server(fps=15) for _ in range(3)]
    with cameras([s.url for s in servers], tiny_model) as (worker, pipelines):
        subscriptions = {name: p.worker.subscribe(size=10_000) for name, p in pipelines.items()}
        wait_for(lambda: all(p.worker.results > 3 for p in pipelines.values()), 30)
        before = time.monotonic()
        time.sleep(3.0)
        killed_t = time.monotonic()
        servers[1].kill()
        wait_for(lambda: pipelines["cam1"].producer.state == RECONNECTING, FAST.stale_timeout_s + 2)
        time.sleep(2.0)
        results_down = pipelines["cam1"].worker.results
        time.sleep(1.0)
        assert pipelines["cam1"].worker.results == results_down, "a camera that is down makes no results"
        servers[1].restart()
        wait_for(lambda: pipelines["cam1"].worker.results > results_down, 15)
        back_t = time.monotonic()
        time.sleep(1.0)
        end = time.monotonic()
        results = {name: drain(s) for name, s in subscriptions.items()}
    assert pipelines["cam1"].producer.reconnects == 1
    for name in ("cam0", "cam2"):
        gap = largest_gap(results[name], before, end)
        rates = (rate(results[name], before, killed_t), rate(results[name], killed_t, back_t))
        print(f"{name}: largest gap {gap:.2f} s, results/s before {rates[0]:.1f}, during the outage {rates[1]:.1f}")
        assert gap <= MAX_GAP_S
        assert rates[1] >= 0.5 * rates[0], "the others keep their rate while one camera is down"


@pytest.mark.rtsp
def test_a_slow_model_explains_every_ready_camera_in_one_pass(rtsp_server, tiny_model, no_stray_threads):
    delay_s = 0.2  # each pass: while it runs, every camera gets new frames
    hook = tiny_model.net.register_forward_pre_hook(lambda module, args: time.sleep(delay_s))
    try:
        servers = [rtsp_server(fps=15) for _ in range(3)]
        with cameras([s.url for s in servers], tiny_model) as (worker, pipelines):
            wait_for(lambda: all(p.worker.results > 2 for p in pipelines.values()), 30)
            passes, results = worker.passes, sum(p.worker.results for p in pipelines.values())
            time.sleep(3.0)
            passes = worker.passes - passes
            made = {name: p.worker.results for name, p in pipelines.items()}
            results = sum(made.values()) - results
    finally:
        hook.remove()
    assert passes <= 3.0 / delay_s + 1
    assert results >= 2.5 * passes, f"{results} results in {passes} passes: the cameras were not batched"


@pytest.mark.rtsp
def test_a_hung_camera_is_detected_while_the_others_go_on(rtsp_server, tiny_model, no_stray_threads):
    servers = [rtsp_server(fps=15) for _ in range(3)]
    with cameras([s.url for s in servers], tiny_model) as (worker, pipelines):
        wait_for(lambda: all(p.producer.state == RUNNING and p.worker.results > 2 for p in pipelines.values()), 30)
        servers[2].hang()
        try:
            hung = time.monotonic()
            wait_for(lambda: pipelines["cam2"].producer.state == RECONNECTING, FAST.stale_timeout_s + 3)
            others = {name: pipelines[name].worker.results for name in ("cam0", "cam1")}
            time.sleep(1.5)
            assert all(pipelines[name].worker.results > count for name, count in others.items())
            assert time.monotonic() - hung < FAST.stale_timeout_s + 4.5
        finally:
            servers[2].resume()


@pytest.mark.rtsp
def test_a_fast_camera_does_not_starve_a_slow_one(rtsp_server, tiny_model, no_stray_threads):
    fast, slow = rtsp_server(fps=30), rtsp_server(fps=5)
    with cameras([fast.url, slow.url], tiny_model, max_batch=1) as (worker, pipelines):
        wait_for(lambda: pipelines["cam1"].worker.results > 0, 30)
        counts = {name: p.worker.results for name, p in pipelines.items()}
        time.sleep(4.0)
        made = {name: p.worker.results - counts[name] for name, p in pipelines.items()}
    # one camera per pass: the slow camera still gets a window for (nearly) each of its 5 new frames a second
    assert made["cam1"] >= 0.6 * 5 * 4.0, made
    assert made["cam0"] > made["cam1"]


def test_several_sources_headless_write_one_jsonl_with_cameras_and_folders_per_camera(tmp_path):
    (tmp_path / "events").mkdir()
    out = tmp_path / "all.jsonl"
    done = run_cli(["demo", "bay", "--headless", "--duration", "8", "--jsonl", out,
                    "--events", tmp_path / "events", "--record", tmp_path / "rec.mp4", "--stats-every", "2"], timeout=240)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    results = [r for r in records if "kind" not in r]
    assert {r["camera"] for r in results} == {"cam0", "cam1"}
    assert (tmp_path / "events" / "cam0").is_dir() and (tmp_path / "events" / "cam1").is_dir()
    assert (tmp_path / "rec_cam0.mp4").stat().st_size > 0 and (tmp_path / "rec_cam1.mp4").stat().st_size > 0
    assert "cam0: [running]" in done.stderr and "cam1: [running]" in done.stderr
    assert "batched passes" in done.stderr


def test_a_camera_that_never_opens_is_reported_once_and_the_others_run(tmp_path):
    out = tmp_path / "{camera}.jsonl"
    done = run_cli(["demo", "rtsp://127.0.0.1:9/none", "--headless", "--duration", "6",
                    "--open-timeout", "1", "--jsonl", out], timeout=240)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "camera cam1: error:" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert len((tmp_path / "cam0.jsonl").read_text().splitlines()) > 5


@pytest.mark.parametrize("cameras_toml, message", [
    ('[[cameras]]\nname = "a"\nsource = "demo"\n[[cameras]]\nname = "a"\nsource = "bay"\n', "given twice"),
    ('[[cameras]]\nname = "a"\nsource = "demo"\nzoom = 2\n', "unknown key 'zoom'"),
    ('[[cameras]]\nname = "a b"\nsource = "demo"\n', "letters, digits"),
    ('[[cameras]]\nname = "a"\n', "source must be a non-empty text"),
    ('[[cameras]]\nname = "a"\nsource = "demo"\nhop = 0\n', "camera 'a'"),
])
def test_bad_camera_lists_are_one_line_and_exit_2(tmp_path, cameras_toml, message):
    config = tmp_path / "cameras.toml"
    config.write_text(cameras_toml)
    done = run_cli(["--headless", "--config", config])
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_camera_list_runs_with_its_own_settings(tmp_path):
    config = tmp_path / "cameras.toml"
    config.write_text(f'duration = 6\njsonl = "{tmp_path / "out.jsonl"}"\n'
                      '[[cameras]]\nname = "front"\nsource = "demo"\nmethod = "gradcam"\n'
                      '[[cameras]]\nname = "rear"\nsource = "bay"\nhop = 4\n')
    done = run_cli(["--headless", "--config", config], timeout=240)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    methods = {r["camera"]: r["method"] for r in results if "kind" not in r}
    assert methods == {"front": "gradcam", "rear": "guided_gradcam"}
    firsts = [r["frame_ids"][1] for r in results if r.get("camera") == "rear"]
    assert all(b - a >= 4 for a, b in zip(firsts, firsts[1:]))
