"""MqttLink: events, camera status and stats to an MQTT broker, through the broker's outages.

Topics, under a prefix (default ``vgv``):

- ``PREFIX/<camera>/events``: every event message of the EventHub (JSON, QoS 1);
- ``PREFIX/<camera>/status``: the camera's capture state (JSON, QoS 1, retained, sent
  again on every reconnect, so a broker that restarted without its store has it again);
- ``PREFIX/stats``: the stats document of /api/stats, every stats period (QoS 0);
- ``PREFIX/availability``: ``online`` (retained) once connected; ``offline`` at a clean
  exit, and as the last will, which the broker sends itself when the process dies.

paho-mqtt's own thread keeps the connection and reconnects (1 s, doubling up to 30 s). One
sender thread of ours publishes: while the broker is away, events wait in a bounded buffer
(``buffer`` messages; when full, the oldest is dropped and counted), only the newest stats
and the current status of each camera are kept. No publisher ever waits for the network.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import deque
from typing import TextIO

from vgv_core.json_text import json_text
from vgv_live.edge.addresses import MqttAddress

KEEPALIVE_S = 15
RECONNECT_DELAY_S = (1, 30)
RETRY_WAIT_S = 0.5  # after a publish the client refused, before trying again
CLOSE_FLUSH_S = 3.0  # at exit, how long buffered messages may take to go out
ONLINE, OFFLINE = "online", "offline"


class MqttLink:
    def __init__(self, address: MqttAddress, prefix: str = "vgv", user: str | None = None,
                 password: str | None = None, ca: str | None = None, buffer: int = 1000,
                 log: TextIO | None = None) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        self.address = address
        self.prefix = prefix
        self.buffer = buffer
        self.log = log
        self.sent = 0  # messages handed to the broker's connection
        self.dropped = 0  # events dropped from a full buffer
        self._events: deque[tuple[str, bytes]] = deque()
        self._statuses: dict[str, bytes] = {}  # topic -> payload: each camera's current status
        self._unsent_statuses: set[str] = set()
        self._stats: bytes | None = None
        self._connected = False
        self._announce = False  # availability "online" and every status, due after a (re)connect
        self._closing = False
        self._stopped = False
        self._down_reported = False
        self._cond = threading.Condition()
        self._client = Client(CallbackAPIVersion.VERSION2, client_id=f"vgv-live-{socket.gethostname()}-{os.getpid()}")
        self._client.will_set(self.availability_topic, OFFLINE, qos=1, retain=True)
        if user is not None:
            self._client.username_pw_set(user, password)
        if address.tls:
            self._client.tls_set(ca_certs=ca)
        self._client.reconnect_delay_set(*RECONNECT_DELAY_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        self._sender = threading.Thread(target=self._send_loop, name="vgv-mqtt", daemon=True)

    @property
    def availability_topic(self) -> str:
        return f"{self.prefix}/availability"

    def start(self) -> None:
        self._client.connect_async(self.address.host, self.address.port, keepalive=KEEPALIVE_S)
        self._client.loop_start()
        self._sender.start()

    # -- what the edge publishes (any thread, never waits) --------------------------------------

    def event(self, message: dict) -> None:
        topic = f"{self.prefix}/{message['camera']}/events"
        with self._cond:
            self._events.append((topic, json_text(message).encode()))
            while len(self._events) > self.buffer:
                self._events.popleft()
                self.dropped += 1
            self._cond.notify_all()

    def status(self, status: dict) -> None:
        topic = f"{self.prefix}/{status['camera']}/status"
        with self._cond:
            self._statuses[topic] = json_text(status).encode()
            self._unsent_statuses.add(topic)
            self._cond.notify_all()

    def stats(self, document: dict) -> None:
        with self._cond:
            self._stats = json_text(document).encode()
            self._cond.notify_all()

    def info(self) -> dict:
        with self._cond:
            return {"url": self.address.url, "connected": self._connected, "sent": self.sent,
                    "dropped": self.dropped, "queued": len(self._events), "buffer": self.buffer}

    def close(self) -> None:
        """Send what is buffered (for a few seconds, if connected), say offline, disconnect."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._connected or not self._has_work(), CLOSE_FLUSH_S)
            self._stopped = True
            self._cond.notify_all()
        self._sender.join(CLOSE_FLUSH_S)
        if self._client.is_connected():
            self._client.publish(self.availability_topic, OFFLINE, qos=1, retain=True).wait_for_publish(CLOSE_FLUSH_S)
        self._client.disconnect()
        self._client.loop_stop()

    # -- the sender thread ----------------------------------------------------------------------

    def _has_work(self) -> bool:
        return bool(self._announce or self._unsent_statuses or self._events or self._stats is not None)

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopped or (self._connected and self._has_work()))
                if self._stopped:
                    return
                message = self._next_message()
            if message is not None and not self._publish(*message):
                self._put_back(message)
                time.sleep(RETRY_WAIT_S)

    def _next_message(self) -> tuple[str, bytes, int, bool] | None:
        """The next thing to send (called holding the lock): availability and statuses first."""
        if self._announce:
            self._announce = False
            self._unsent_statuses = set(self._statuses)
            return self.availability_topic, ONLINE.encode(), 1, True
        if self._unsent_statuses:
            topic = self._unsent_statuses.pop()
            return topic, self._statuses[topic], 1, True
        if self._events:
            topic, payload = self._events.popleft()
            return topic, payload, 1, False
        payload, self._stats = self._stats, None
        return f"{self.prefix}/stats", payload, 0, False

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        from paho.mqtt.client import MQTT_ERR_SUCCESS

        if self._client.publish(topic, payload, qos=qos, retain=retain).rc != MQTT_ERR_SUCCESS:
            return False
        with self._cond:
            self.sent += 1
        return True

    def _put_back(self, message: tuple[str, bytes, int, bool]) -> None:
        """A message the client refused (the connection just went) waits for the next connection."""
        topic, payload, _, retain = message
        with self._cond:
            if topic == self.availability_topic:
                self._announce = True
            elif retain:
                self._unsent_statuses.add(topic)
            elif topic.endswith("/events"):
                self._events.appendleft((topic, payload))
                while len(self._events) > self.buffer:
                    self._events.popleft()
                    self.dropped += 1

    # -- paho's thread --------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._say_once_down(f"the broker {self.address.url} refused the connection: {reason_code}; retrying")
            return
        with self._cond:
            self._connected = True
            self._announce = True
            self._down_reported = False
            self._cond.notify_all()
        self._say(f"connected to {self.address.url}")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._cond:
            was_connected, self._connected = self._connected, False
            self._cond.notify_all()
            closing = self._closing
        if was_connected and not closing:
            self._say(f"lost {self.address.url} ({reason_code}); keeping up to {self.buffer} events until it is back")

    def _on_connect_fail(self, client, userdata) -> None:
        self._say_once_down(f"cannot reach {self.address.url}; retrying, keeping up to {self.buffer} events")

    def _say_once_down(self, text: str) -> None:
        """Say why there is no connection once, not at every retry."""
        with self._cond:
            first, self._down_reported = not self._down_reported, True
        if first:
            self._say(text)

    def _say(self, text: str) -> None:
        if self.log is not None:
            print(f"vgv-live: mqtt: {text}", file=self.log, flush=True)
