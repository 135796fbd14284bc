"""Camera health: offline and back-online events from the capture's states, in every output."""

import json
import signal
import subprocess
import sys
from collections import deque
from types import SimpleNamespace

import pytest

from vgv_live.producer import CONNECTING, ERROR, RECONNECTING, RUNNING, Transition
from vgv_live.edge.health import HealthWatcher
from edge_support import Subscriber
from live_support import REPO, cli_env, wait_for


def watch(*changes):
    """A watcher of a capture whose transitions are ``changes`` ((t, state, reason), ...)."""
    capture = SimpleNamespace(transitions=deque(Transition(*change) for change in changes))
    return HealthWatcher("cam0", capture), capture


def test_offline_when_a_running_camera_is_lost_and_online_when_it_is_back():
    watcher, capture = watch((1.0, CONNECTING, ""), (2.0, RUNNING, ""))
    first = watcher.poll()
    assert [s["state"] for s in first.statuses] == [CONNECTING, RUNNING] and first.events == []
    capture.transitions.append(Transition(5.0, RECONNECTING, "source lost"))
    capture.transitions.append(Transition(5.5, RECONNECTING, "still"))  # the capture never repeats a state; no matter
    (offline,) = watcher.poll().events
    assert {k: offline[k] for k in ("kind", "camera", "state", "reason")} == {
        "kind": "offline", "camera": "cam0", "state": RECONNECTING, "reason": "source lost"}
    assert watcher.poll().events == []  # nothing new
    capture.transitions.append(Transition(9.25, RUNNING, ""))
    (online,) = watcher.poll().events
    assert online["kind"] == "online" and online["offline_s"] == 4.25
    assert online["wall_time"] - offline["wall_time"] == pytest.approx(4.25, abs=2e-3)
    assert watcher.status["state"] == RUNNING


def test_a_camera_that_never_ran_is_not_offline():
    watcher, capture = watch((1.0, CONNECTING, ""), (3.0, ERROR, "connection refused"))
    update = watcher.poll()
    assert update.events == [] and watcher.status["state"] == ERROR and watcher.status["reason"] == "connection refused"


@pytest.mark.rtsp
@pytest.mark.mqtt
def test_a_dead_camera_goes_offline_and_comes_back_in_jsonl_events_folder_and_mqtt(
        rtsp_server, mosquitto, tiny_model_spec, tmp_path):
    server = rtsp_server()
    subscriber = Subscriber(mosquitto)
    events, jsonl = tmp_path / "events", tmp_path / "preds.jsonl"
    events.mkdir()
    command = [sys.executable, "-m", "vgv_live", server.url, "--headless", "--model", str(tiny_model_spec), "--retry",
               "--stale-timeout", "1", "--open-timeout", "2", "--backoff-max", "1", "--events", str(events),
               "--jsonl", str(jsonl), "--mqtt", mosquitto.url]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)

    def health(kind):
        return subscriber.wait_for(lambda m: m.topic == "vgv/cam0/events" and m.json()["type"] == kind, 60)

    try:
        wait_for(lambda: jsonl.exists() and len(jsonl.read_text().splitlines()) >= 3, 120, step=0.1)
        server.kill()
        health("offline")
        server.restart()
        health("online")
        wait_for(lambda: len(list(events.glob("health_*.json"))) == 2, 10)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in stderr, stderr
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    health_lines = [line for line in lines if "kind" in line]
    assert [line["kind"] for line in health_lines] == ["offline", "online"]
    offline, online = health_lines
    assert offline["camera"] == "cam0" and offline["state"] == "reconnecting"
    assert online["offline_s"] > 0 and online["wall_time"] > offline["wall_time"]
    assert lines[0]["seq"] == 0  # results first
    records = [json.loads(path.read_text()) for path in events.glob("health_cam0_*.json")]
    assert sorted(records, key=lambda record: record["wall_time"]) == health_lines
    messages = [m.json() for m in subscriber.on("vgv/cam0/events")]
    assert [{k: v for k, v in m.items() if k != "type"} for m in messages] == health_lines
    states = [m.json()["state"] for m in subscriber.on("vgv/cam0/status")]
    assert states[-3:] == ["reconnecting", "running", "ended"]
    subscriber.close()
