"""Prometheus metrics of every camera, in the text format (prometheus_client), read at scrape time.

Per camera (label ``camera``): capture and explain rates, frames captured and dropped,
explanations, looked-elsewhere results, reconnects, the age of the newest frame, the capture
state, events started by kind, and a histogram of result latency (capture of a window's
newest frame to its result). For the MQTT link: connected, messages sent, events dropped
while the broker was away, events waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from vgv_live.producer import CONNECTING, ENDED, ERROR, RECONNECTING, RUNNING
from vgv_live.edge.camera import EdgeCamera
from vgv_live.edge.event_hub import EventHub
from vgv_live.edge.health import OFFLINE, ONLINE
from vgv_live.edge.mqtt_link import MqttLink
from vgv_live.result import Result
from vgv_live.sinks.events import LOOKED_ELSEWHERE, THRESHOLD
from vgv_live.sinks.sink import Sink

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
STATES = (CONNECTING, RUNNING, RECONNECTING, ENDED, ERROR)
EVENT_KINDS = (THRESHOLD, LOOKED_ELSEWHERE, OFFLINE, ONLINE)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class EdgeMetrics:
    def __init__(self, cameras: Mapping[str, EdgeCamera], hub: EventHub, mqtt: MqttLink | None = None) -> None:
        from prometheus_client import CollectorRegistry, Histogram

        self.cameras = cameras
        self.hub = hub
        self.mqtt = mqtt
        self.registry = CollectorRegistry()
        self.latency = Histogram("vgv_result_latency_seconds", "Capture of a window's newest frame to its result",
                                 ["camera"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(self)

    def latency_sink(self, camera: str) -> Sink:
        """A sink that adds each result of ``camera`` to the latency histogram."""
        return LatencySink(self.latency.labels(camera=camera).observe)

    def text(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def collect(self) -> Iterator:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        cameras = {name: camera.stats() for name, camera in self.cameras.items() if camera.pipeline is not None}

        def per_camera(family, value: Callable):
            for name, stats in cameras.items():
                family.add_metric([name], value(stats))
            return family

        yield per_camera(GaugeMetricFamily("vgv_capture_fps", "Frames captured per second", labels=["camera"]),
                         lambda s: s.capture_fps)
        yield per_camera(GaugeMetricFamily("vgv_explain_fps", "Explanations per second", labels=["camera"]),
                         lambda s: s.explain_fps)
        yield per_camera(CounterMetricFamily("vgv_frames_captured", "Frames captured", labels=["camera"]),
                         lambda s: s.frames)
        yield per_camera(CounterMetricFamily("vgv_frames_dropped", "Frames no window covered", labels=["camera"]),
                         lambda s: s.dropped)
        yield per_camera(CounterMetricFamily("vgv_explanations", "Results explained", labels=["camera"]),
                         lambda s: s.results)
        yield per_camera(CounterMetricFamily("vgv_looked_elsewhere", "Results whose map lay outside its regions",
                                             labels=["camera"]), lambda s: s.looked_elsewhere)
        yield per_camera(CounterMetricFamily("vgv_reconnects", "Reconnects of the source", labels=["camera"]),
                         lambda s: s.reconnects)
        yield per_camera(GaugeMetricFamily("vgv_frame_age_seconds", "Seconds since the newest frame",
                                           labels=["camera"]), lambda s: s.frame_age_s)
        yield per_camera(GaugeMetricFamily("vgv_camera_up", "1 while the camera delivers frames", labels=["camera"]),
                         lambda s: float(s.state == RUNNING))
        state = GaugeMetricFamily("vgv_camera_state", "1 for the capture's current state", labels=["camera", "state"])
        for name, stats in cameras.items():
            for value in STATES:
                state.add_metric([name, value], float(stats.state == value))
        yield state
        events = CounterMetricFamily("vgv_events", "Events started", labels=["camera", "kind"])
        counts = self.hub.counts()
        for name in cameras:
            for kind in EVENT_KINDS:
                events.add_metric([name, kind], counts.get((name, kind), 0))
        yield events
        if self.mqtt is not None:
            info = self.mqtt.info()
            yield GaugeMetricFamily("vgv_mqtt_connected", "1 while connected to the broker", value=info["connected"])
            yield CounterMetricFamily("vgv_mqtt_sent", "Messages handed to the broker", value=info["sent"])
            yield CounterMetricFamily("vgv_mqtt_dropped", "Events dropped while the broker was away",
                                      value=info["dropped"])
            yield GaugeMetricFamily("vgv_mqtt_queued", "Events waiting for the broker", value=info["queued"])


class LatencySink(Sink):
    def __init__(self, observe: Callable[[float], None]) -> None:
        self.observe = observe

    def on_result(self, result: Result) -> None:
        self.observe(result.latency_s)
