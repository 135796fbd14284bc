"""`vgv-live SOURCE --headless` as a user runs it: outputs, stats, signals, bad input, config."""

import json
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from vgv_live.cli import main
from vgv_live.config import ConfigError, load_toml, merge
from live_support import REPO, cli_env, free_port, run_cli


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def video_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def no_partial_files(folder) -> bool:
    return not [p for p in folder.iterdir() if ".partial" in p.name]


@pytest.mark.rtsp
def test_headless_on_a_live_rtsp_pattern_writes_jsonl_and_mp4(rtsp_server, tiny_model_spec, tmp_path):
    server = rtsp_server()
    jsonl, record = tmp_path / "preds.jsonl", tmp_path / "out.mp4"
    done = run_cli([server.url, "--headless", "--model", tiny_model_spec, "--duration", 4, "--jsonl", jsonl,
                    "--record", record, "--stats-every", 1])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    stats_lines = [line for line in done.stderr.splitlines() if line.startswith("[running]")]
    assert len(stats_lines) >= 2 and "capture" in stats_lines[-1] and "reconnects 0" in stats_lines[-1]
    lines = read_jsonl(jsonl)
    assert len(lines) >= 20
    assert [line["seq"] for line in lines] == list(range(len(lines)))
    ends = [line["frame_ids"][1] for line in lines]
    assert ends == sorted(ends)
    for line in lines:
        assert set(line["probs"]) == {"all_off", "headlights_on", "left_blinker", "right_blinker", "hazard",
                                      "headlight_defective"}
        assert abs(sum(line["probs"].values()) - 1) < 1e-3 and line["latency_ms"] > 0
    assert 60 <= video_frames(record) <= 4 * 30 + 5
    assert no_partial_files(tmp_path)


@pytest.mark.rtsp
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_signals_finish_every_file(rtsp_server, tiny_model_spec, tmp_path, stop_signal):
    server = rtsp_server()
    jsonl, record, events = tmp_path / "preds.jsonl", tmp_path / "out.mp4", tmp_path / "events"
    events.mkdir()
    command = [sys.executable, "-m", "vgv_live", server.url, "--headless", "--model", str(tiny_model_spec),
               "--jsonl", str(jsonl), "--record", str(record), "--events", str(events),
               "--threshold", "all_off=0.01", "--pre-roll", "0.2", "--post-roll", "60"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not (jsonl.exists() and len(jsonl.read_text().splitlines()) >= 10):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.2)
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "stopped by signal" in stderr and "Traceback" not in stderr
    assert all(isinstance(line["seq"], int) for line in read_jsonl(jsonl))
    assert video_frames(record) >= 10
    (clip,) = events.glob("event_*.mp4")  # the open event (60 s post-roll) was finished too
    record_json = json.loads(clip.with_suffix(".json").read_text())
    assert video_frames(clip) == record_json["frames"] and record_json["post_roll_s"] < 60
    assert no_partial_files(tmp_path) and no_partial_files(events)


@pytest.mark.parametrize(
    "source, message, code",
    [
        (f"rtsp://127.0.0.1:{free_port()}/stream", "connection refused", 1),  # the source failed
        ("rtsp://camera.invalid/stream", "does not resolve", 1),
        ("5", "no such camera", 1),
        ("missing.mp4", "does not exist", 2),  # not a source at all: bad input
        ("ftp://127.0.0.1/x", "unsupported URL scheme", 2),
        ("rtsp://127.0.0.1:70000/x", "port out of range", 2),
        ("4096", "camera index 4096 is out of range", 2),
    ],
)
def test_unopenable_sources_fail_with_one_clear_line(source, message, code, tiny_model_spec, capsys):
    started = time.monotonic()
    status = main([source, "--headless", "--model", str(tiny_model_spec), "--open-timeout", "2"])
    elapsed = time.monotonic() - started
    assert status == code
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vgv-live: error: ") and message in lines[0], lines
    assert elapsed < 2 + 3  # the open timeout, plus building the model and the worker's warm-up


def test_silent_server_fails_at_the_open_timeout(tiny_model_spec):
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"rtsp://127.0.0.1:{silent.getsockname()[1]}/x"
        done = run_cli([url, "--headless", "--model", tiny_model_spec, "--open-timeout", 1.5])
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"vgv-live: error: cannot open stream {url}: "
        "no video within the open timeout of 1.5 s"
    )


def test_retry_keeps_retrying_with_backoff(tiny_model_spec):
    port = free_port()
    done = run_cli([f"rtsp://127.0.0.1:{port}/stream", "--headless", "--model", tiny_model_spec, "--retry",
                    "--duration", 4, "--stats-every", 1, "--backoff-max", 1])
    assert done.returncode == 0, done.stderr
    retries = [line for line in done.stderr.splitlines() if "retrying in" in line]
    assert len(retries) >= 2 and "connection refused" in retries[0]
    assert "[connecting]" in done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "no_such_arch"], "unknown model 'no_such_arch'"),
        (["--target", "no_such_class"], "unknown class 'no_such_class'"),
        (["--threshold", "left_blinker=high", "--events", "."], "expected LABEL=PROBABILITY"),
        (["--threshold", "left_blinker=0.5"], "thresholds need an events folder"),
        (["--record", "/no/such/folder/out.mp4"], "output folder /no/such/folder does not exist"),
        (["--hop", "0"], "argument --hop: must be at least 1"),
        (["--config", "/no/such/live.toml"], "config file /no/such/live.toml does not exist"),
    ],
)
def test_bad_settings_fail_with_one_clear_line(args, message, two_second_video, tiny_model_spec, capsys):
    model_args = [] if "--model" in args else ["--model", str(tiny_model_spec)]
    assert main([str(two_second_video), "--headless", *model_args, *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vgv-live: error: ") and message in lines[0], lines


def test_lossless_file_run_writes_one_line_per_window(two_second_video, tiny_model_spec, tmp_path):
    jsonl = tmp_path / "preds.jsonl"
    done = run_cli([two_second_video, "--headless", "--model", tiny_model_spec, "--lossless", "--jsonl", jsonl])
    assert done.returncode == 0, done.stderr
    assert "end of source" in done.stderr
    assert [line["frame_ids"][1] for line in read_jsonl(jsonl)] == list(range(6, 60))


def test_config_file_is_used_and_flags_override_it(two_second_video, tiny_model_spec, tmp_path):
    config = tmp_path / "live.toml"
    config.write_text(f'model = "{tiny_model_spec}"\nlossless = true\nhop = 10\njsonl = "{tmp_path / "a.jsonl"}"\n')
    done = run_cli([two_second_video, "--headless", "--config", config, "--hop", 20])
    assert done.returncode == 0, done.stderr
    assert [line["frame_ids"][1] for line in read_jsonl(tmp_path / "a.jsonl")] == [6, 26, 46]


def test_config_merge_precedence_and_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('hop = 3\nevents = "ev"\n[thresholds]\nleft_blinker = 0.7\nhazard = 0.8\n')
    config = merge(load_toml(path), {"hop": None, "duration": 5.0, "thresholds": {"hazard": 0.5}})
    assert config.hop == 3 and config.duration == 5.0
    assert config.thresholds == {"left_blinker": 0.7, "hazard": 0.5}
    path.write_text("hopp = 3\n")
    with pytest.raises(ConfigError, match="unknown keys \\['hopp'\\]"):
        load_toml(path)
    path.write_text("hop = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(path)


def test_without_headless_and_without_a_display_the_window_refuses_clearly(two_second_video):
    env = {k: v for k, v in cli_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "vgv_live", str(two_second_video)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vgv-live: error: ") and "--headless" in lines[0], done.stderr


@pytest.mark.parametrize("flags,exact", [([], False), (["--exact"], True)])
def test_exact_flag_reaches_the_live_explainer(flags, exact, two_second_video, tiny_model_spec):
    from vgv_core import load_model
    from vgv_live.cli import build_parser, config_from_args
    from vgv_live.headless import build_pipeline
    from vgv_live.sources import parse_source

    config = config_from_args(build_parser().parse_args([str(two_second_video), "--headless", *flags]))
    model = load_model(str(tiny_model_spec), device="cpu")
    pipeline = build_pipeline(config, parse_source(config.source), model, None, [])
    explanation = pipeline.worker.explainer(np.zeros((4, 48, 48, 3), np.uint8))
    assert config.exact is exact and pipeline.worker.explainer.exact is exact
    assert explanation.maps.dtype == np.uint8
