"""MQTT against a real broker (Debian's mosquitto on 127.0.0.1): events, retained status, stats,
the last will, and a broker that goes away and comes back."""

import json
import signal
import subprocess
import sys
import time

import pytest

from vgv_core.shipped import assets_dir
from vgv_live.edge.addresses import mqtt_address
from vgv_live.edge.mqtt_link import MqttLink
from edge_support import Subscriber
from live_support import REPO, cli_env

pytestmark = pytest.mark.mqtt
THRESHOLDS = ["--threshold", "left_blinker=0.8", "--threshold", "right_blinker=0.8", "--threshold", "hazard=0.8"]


def demo_command(broker, events, *extra):
    """The demo model on the demo video, every 8th window, with threshold events."""
    return [sys.executable, "-m", "vgv_live", str(assets_dir() / "demo" / "demo.mp4"), "--headless", "--model", "demo",
            "--lossless", "--hop", "8", "--events", str(events), *THRESHOLDS, "--pre-roll", "0.2", "--post-roll",
            "0.5", "--mqtt", broker.url, "--stats-every", "1", "--threads", "1", *map(str, extra)]


def event_messages(subscriber):
    return [m.json() for m in subscriber.on("vgv/cam0/events")]


def records(folder):
    return {path.name: json.loads(path.read_text()) for path in sorted(folder.glob("event_*.json"))}


def retained(broker, topic):
    """What a subscriber that arrives now gets for ``topic`` (retained messages only)."""
    late = Subscriber(broker, topic, persistent=False)
    try:
        return late.wait_for(lambda m: m.topic == topic and m.retain, 10)[-1]
    finally:
        late.close()


def test_a_run_on_the_demo_video_publishes_its_events_status_and_stats(mosquitto, tmp_path):
    subscriber = Subscriber(mosquitto)
    done = subprocess.run(demo_command(mosquitto, tmp_path), capture_output=True, text=True, env=cli_env(), cwd=REPO,
                          timeout=400)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    subscriber.wait_for(lambda m: m.topic == "vgv/availability" and m.payload == b"offline", 10)
    saved = records(tmp_path)
    assert len(saved) >= 3, done.stderr
    messages = event_messages(subscriber)
    starts = {m["clip"]: m for m in messages if m["type"] == "start"}
    ends = {m["clip"]: m for m in messages if m["type"] == "end"}
    assert len(messages) == 2 * len(saved) and set(starts) == set(ends) == {r["clip"] for r in saved.values()}
    for record in saved.values():
        assert ends[record["clip"]] == {"type": "end", "camera": "cam0", **record}  # the record on disk, whole
        start = starts[record["clip"]]
        assert start["kind"] == "threshold" and start["trigger_frame_id"] == record["trigger_frame_id"]
        assert "frames" not in start  # the clip was still being written
    status = retained(mosquitto, "vgv/cam0/status").json()
    assert status["camera"] == "cam0" and status["state"] == "ended"
    assert retained(mosquitto, "vgv/availability").payload == b"offline"
    stats = [m.json() for m in subscriber.on("vgv/stats")]
    assert len(stats) >= 2 and stats[-1]["cameras"]["cam0"]["state"] == "ended"
    assert stats[-1]["cameras"]["cam0"]["events"] == {"threshold": len(saved)}
    assert stats[-1]["mqtt"]["dropped"] == 0
    assert "0 event(s) dropped while the broker was away" in done.stderr
    subscriber.close()


def test_the_broker_sends_the_last_will_when_vgv_live_is_killed(mosquitto, two_second_video, tiny_model_spec):
    subscriber = Subscriber(mosquitto)
    command = [sys.executable, "-m", "vgv_live", str(two_second_video), "--headless", "--model", str(tiny_model_spec),
               "--loop", "--mqtt", mosquitto.url]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)
    try:
        subscriber.wait_for(lambda m: m.topic == "vgv/cam0/status" and m.json()["state"] == "running", 60)
        online = subscriber.on("vgv/availability")
        assert [m.payload for m in online] == [b"online"]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        will = subscriber.wait_for(lambda m: m.topic == "vgv/availability" and m.payload == b"offline", 10)
        assert len(will) == 1
    finally:
        process.kill()
        process.stderr.close()
    assert retained(mosquitto, "vgv/availability").payload == b"offline"
    subscriber.close()


def test_broker_stopped_and_restarted_mid_run(mosquitto, tmp_path):
    subscriber = Subscriber(mosquitto)  # its session (QoS 1) survives the broker's restart
    process = subprocess.Popen(demo_command(mosquitto, tmp_path, "--mqtt-buffer", 1), stderr=subprocess.PIPE,
                               text=True, env=cli_env(), cwd=REPO)
    try:
        subscriber.wait_for(lambda m: m.topic == "vgv/cam0/events", 300)
        mosquitto.stop()
        deadline = time.monotonic() + 300
        while len(records(tmp_path)) < 3:  # events start and end while the broker is away
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.1)
        during_outage = len(records(tmp_path))
        mosquitto.start()
        _, stderr = process.communicate(timeout=400)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "vgv-live: mqtt: lost mqtt://127.0.0.1" in stderr
    subscriber.wait_for(lambda m: m.topic == "vgv/availability" and m.payload == b"offline" and not m.retain, 20)
    saved = records(tmp_path)
    assert len(saved) > during_outage, "no event after the restart: the run ended too soon to show events resume"
    received = {(m["type"], m["clip"]) for m in event_messages(subscriber)}
    last = max(saved.values(), key=lambda record: record["trigger_frame_id"])
    assert ("start", last["clip"]) in received and ("end", last["clip"]) in received  # events resumed
    final_stats = [m.json() for m in subscriber.on("vgv/stats")][-1]
    dropped = final_stats["mqtt"]["dropped"]
    assert dropped > 0 and f"{dropped} event(s) dropped while the broker was away (buffer 1)" in stderr
    assert len(received) + dropped == 2 * len(saved)  # each event message arrived, or was counted as dropped
    subscriber.close()


def test_the_link_buffers_while_the_broker_is_away_and_drops_the_oldest(mosquitto):
    subscriber = Subscriber(mosquitto, "site/bay1/#")
    link = MqttLink(mqtt_address(mosquitto.url, "--mqtt"), prefix="site/bay1", buffer=3)
    link.start()
    link.status({"camera": "cam0", "state": "running"})
    subscriber.wait_for(lambda m: m.topic == "site/bay1/cam0/status", 10)
    mosquitto.stop()
    for number in range(8):
        link.event({"camera": "cam0", "type": "start", "kind": "threshold", "number": number})
    assert link.info()["queued"] == 3 and link.info()["dropped"] == 5
    mosquitto.start()
    subscriber.wait_for(lambda m: m.topic == "site/bay1/cam0/events" and m.json()["number"] == 7, 20)
    link.close()
    assert [m.json()["number"] for m in subscriber.on("site/bay1/cam0/events")] == [5, 6, 7]
    assert link.info()["dropped"] == 5 and link.info()["queued"] == 0
    subscriber.close()


def test_mqtts_with_a_login_from_the_environment(tmp_path, two_second_video, tiny_model_spec):
    from edge_support import Mosquitto, secured_broker_files

    certificate, key, passwords = secured_broker_files(tmp_path, "bay", "s3cret-pass")
    broker = Mosquitto(tmp_path, secured=(certificate, key, passwords)).start()
    try:
        subscriber = Subscriber(broker, login=("bay", "s3cret-pass"), ca=certificate)
        command = [sys.executable, "-m", "vgv_live", str(two_second_video), "--headless", "--model",
                   str(tiny_model_spec), "--mqtt", broker.url, "--mqtt-ca", str(certificate)]
        login = {"VGV_MQTT_USER": "bay", "VGV_MQTT_PASSWORD": "s3cret-pass"}
        done = subprocess.run(command, capture_output=True, text=True, env=dict(cli_env(), **login), cwd=REPO,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"vgv-live: mqtt: connected to {broker.url}" in done.stderr
        subscriber.wait_for(lambda m: m.topic == "vgv/cam0/status" and m.json()["state"] == "ended", 10)
        subscriber.close()
        refused = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120,
                                 env=dict(cli_env(), VGV_MQTT_USER="bay", VGV_MQTT_PASSWORD="wrong"))
        assert refused.returncode == 0, refused.stderr  # the run goes on without the broker
        assert f"the broker {broker.url} refused the connection: Not authorized; retrying" in refused.stderr
        assert "s3cret-pass" not in done.stderr + refused.stderr and "wrong" not in refused.stderr
    finally:
        broker.stop()
