"""Helpers for the edge tests: a real MQTT broker (Debian's mosquitto), a subscriber, HTTP calls.

When mosquitto is not installed, the MQTT tests fail in CI (CI=true) and are skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from live_support import free_port

START_TIMEOUT_S = 10.0


def unavailable(what: str, reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} unavailable in CI: {reason}")
    pytest.skip(f"{what} unavailable: {reason}")


class Mosquitto:
    """A broker on 127.0.0.1 on a free port; stop() and start() again keep the port and its store
    (persistence: a subscriber's session and retained messages survive a restart)."""

    def __init__(self, folder: Path, secured: tuple[Path, Path, Path] | None = None) -> None:
        """``secured``: (certificate, key, password file): TLS and a login, no anonymous clients."""
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.config = folder / "mosquitto.conf"
        self.tls = secured is not None
        access = (f"certfile {secured[0]}\nkeyfile {secured[1]}\npassword_file {secured[2]}\nallow_anonymous false\n"
                  if secured else "allow_anonymous true\n")
        self.config.write_text(f"listener {self.port} 127.0.0.1\n{access}persistence true\n"
                               f"persistence_location {folder}/\nlog_dest none\nuser root\n")

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> "Mosquitto":
        program = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(program):
            unavailable("mosquitto", "not installed (apt-get install mosquitto)")
        self.process = subprocess.Popen([program, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                unavailable("mosquitto", f"did not start: {self.process.stderr.read()[-300:]!r}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool

    def json(self):
        return json.loads(self.payload)


class Subscriber:
    """A paho client that keeps its session (QoS 1) across broker restarts and records every message."""

    def __init__(self, broker: Mosquitto, topic: str = "vgv/#", persistent: bool = True,
                 login: tuple[str, str] | None = None, ca: Path | None = None) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._client = Client(CallbackAPIVersion.VERSION2, client_id=f"test-sub-{free_port()}",
                              clean_session=not persistent)
        if login:
            self._client.username_pw_set(*login)
        if ca:
            self._client.tls_set(ca_certs=str(ca))
        self._client.reconnect_delay_set(1, 1)
        self._client.on_connect = lambda client, *args: client.subscribe(topic, qos=1)
        self._client.on_message = self._received
        self._client.connect("127.0.0.1", broker.port, keepalive=5)
        self._client.loop_start()

    def _received(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append(Message(message.topic, bytes(message.payload), bool(message.retain)))

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, predicate, timeout: float) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no such message within {timeout} s; got {[m.topic for m in self.messages][-20:]}")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def get(url: str, headers: dict | None = None, timeout: float = 10.0) -> tuple[int, bytes, dict]:
    """Status, body and headers of a GET (an HTTP error status is returned, not raised)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def secured_broker_files(folder: Path, user: str, password: str) -> tuple[Path, Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA), its key, and a password file."""
    certificate, key, passwords = folder / "broker.pem", folder / "broker.key", folder / "passwd"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), user, password], check=True, capture_output=True)
    return certificate, key, passwords
