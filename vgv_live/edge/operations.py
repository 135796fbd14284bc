"""EdgeOperations: what an unattended run adds around its pipelines.

    with EdgeOperations(config, log) as edge:            # binds --http, connects --mqtt
        sinks += edge.sinks_for(camera, sinks)           # before the pipeline is built
        pipeline = ...; edge.attach(camera, pipeline)
        ... edge.tick() every ~0.1 s while it runs ...
                                                          # at exit: last tick, MQTT offline, server closed

Camera health is always watched: offline/online events go to the JSONL file and the events
folder (when asked for), to MQTT (--mqtt) and to /api/events (--http). Events that save a
clip reach MQTT and /api/events as they start and end. The events folder's retention runs at
the start and every RETENTION_EVERY_S. A failing edge part never stops the run: its trouble
is one line on the log, said once.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import TextIO

from vgv_core.errors import VGVError
from vgv_core.version import package_version
from vgv_live.config import LiveConfig
from vgv_live.edge.addresses import http_address, mqtt_address, without_credentials
from vgv_live.edge.camera import EdgeCamera
from vgv_live.edge.event_hub import EventHub
from vgv_live.edge.frame_tap import FrameTap
from vgv_live.edge.health_records import HealthRecords
from vgv_live.edge.retention import Retention
from vgv_live.pipeline import LivePipeline
from vgv_live.sinks import EventRecorder, JsonlWriter, Sink
from vgv_live.sinks.jsonl import CameraJsonl

RETENTION_EVERY_S = 60.0
EXTRAS = {"--mqtt": ("paho.mqtt.client", "paho-mqtt"), "--http": ("prometheus_client", "prometheus_client")}


def require_extra(flag: str) -> None:
    """A VGVError (exit 2) that says how to install what ``flag`` needs, when it is missing."""
    module, package = EXTRAS[flag]
    try:
        importlib.import_module(module)
    except ImportError:
        raise VGVError(f"{flag} needs {package}: pip install 'videogradvis-live[edge]'") from None


class EdgeOperations:
    def __init__(self, config: LiveConfig, log: TextIO) -> None:
        for flag, value in (("--mqtt", config.mqtt), ("--http", config.http)):
            if value:
                require_extra(flag)
        self.config = config
        self.log = log
        self.started_t = time.monotonic()
        self.hub = EventHub()
        self.cameras: dict[str, EdgeCamera] = {}
        self.records: dict[str, HealthRecords] = {}
        self.recorders: list[EventRecorder] = []
        self.mqtt = self._mqtt_link() if config.mqtt else None
        self.metrics = self.http = None
        if config.http:
            self._serve(config)
        self.retention = (Retention(config.events, config.keep_days, config.keep_gb, self._clips_in_use)
                          if config.keep_days or config.keep_gb else None)
        self._next_stats = self._next_retention = 0.0
        self._warned: set[str] = set()

    def _mqtt_link(self):
        from vgv_live.edge.mqtt_link import MqttLink

        config = self.config
        try:
            link = MqttLink(mqtt_address(config.mqtt, "--mqtt"), config.mqtt_prefix, config.mqtt_user,
                            config.mqtt_password, config.mqtt_ca, config.mqtt_buffer, self.log)
        except (OSError, ValueError) as exc:  # the CA file: missing, or not a certificate
            raise VGVError(f"--mqtt-ca {config.mqtt_ca}: cannot use it: {exc}") from None
        self.hub.subscribe(link.event)
        return link

    def _serve(self, config: LiveConfig) -> None:
        from vgv_live.edge.http_api import EdgeHttpServer
        from vgv_live.edge.metrics import EdgeMetrics

        self.metrics = EdgeMetrics(self.cameras, self.hub, self.mqtt)
        self.http = EdgeHttpServer(http_address(config.http, "--http"), self.cameras, self.hub, self.metrics,
                                   self.stats_document, config.http_token, config.stream_fps)

    # -- building the cameras -------------------------------------------------------------------

    def sinks_for(self, camera: str, sinks: list[Sink]) -> list[Sink]:
        """The edge's own sinks for ``camera``, and the hooks into its file sinks (``sinks``)."""
        jsonl = next((sink for sink in sinks if isinstance(sink, (JsonlWriter, CameraJsonl))), None)
        recorders = [sink for sink in sinks if isinstance(sink, EventRecorder)]
        for recorder in recorders:
            recorder.listeners.append(self.hub.clip_listener(camera))
        self.recorders += recorders
        self.records[camera] = HealthRecords(jsonl, recorders[0].folder if recorders else None)
        self.cameras[camera] = EdgeCamera(camera, FrameTap())
        extra: list[Sink] = []
        if self.http is not None:
            extra += [self.cameras[camera].tap, self.metrics.latency_sink(camera)]
        return extra

    def attach(self, camera: str, pipeline: LivePipeline) -> None:
        self.cameras[camera].attach(pipeline)

    # -- running --------------------------------------------------------------------------------

    def __enter__(self) -> "EdgeOperations":
        self._enforce_retention()
        if self.mqtt is not None:
            self.mqtt.start()
        if self.http is not None:
            self.http.start()
            self._say(f"serving {self.http.url}: /metrics, /api/stats, /api/events, /cameras/<camera>/stream.mjpg")
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.tick(final=True)
        finally:
            if self.mqtt is not None:
                self.mqtt.close()
            if self.http is not None:
                self.http.close()

    def tick(self, final: bool = False) -> None:
        """Health, then stats and retention when due (call it often: ~0.1 s)."""
        now = time.monotonic()
        for camera in self.cameras.values():
            if camera.health is not None:
                self._report_health(camera)
        if self.mqtt is not None and (final or now >= self._next_stats):
            self._next_stats = now + self.config.stats_every
            self.mqtt.stats(self.stats_document())
        if now >= self._next_retention and not final:
            self._enforce_retention()

    def _report_health(self, camera: EdgeCamera) -> None:
        update = camera.health.poll()
        if self.mqtt is not None:
            for status in update.statuses:
                self.mqtt.status(status)
        for event in update.events:
            self.hub.publish_health(event)
            try:
                self.records[camera.name].write(event)
            except VGVError as exc:
                self._warn_once("health", f"cannot record a camera health event: {exc}")

    def _enforce_retention(self) -> None:
        self._next_retention = time.monotonic() + RETENTION_EVERY_S
        if self.retention is None:
            return
        try:
            report = self.retention.enforce()
        except OSError as exc:
            self._warn_once("retention", f"retention of {self.config.events} failed: {exc.strerror or exc}")
            return
        if report.deleted:
            self._say(f"retention: deleted {len(report.deleted)} event(s), {report.freed_bytes / 1e6:.1f} MB, "
                      f"from {self.config.events}; {report.kept_bytes / 1e6:.1f} MB kept")

    def _clips_in_use(self) -> Iterator[str]:
        for recorder in self.recorders:
            yield from recorder.active_clips()

    # -- reporting ------------------------------------------------------------------------------

    def stats_document(self) -> dict:
        """/api/stats and the MQTT stats message: every camera by name, and the edge's parts."""
        counts = self.hub.counts()
        cameras = {}
        for name, camera in self.cameras.items():
            if camera.pipeline is None:
                continue
            events = {kind: count for (owner, kind), count in counts.items() if owner == name}
            cameras[name] = {"source": without_credentials(camera.pipeline.source.text), **asdict(camera.stats()),
                             "status": camera.health.status, "events": events}
        return {
            "version": package_version(),
            "uptime_s": round(time.monotonic() - self.started_t, 1),
            "cameras": cameras,
            "mqtt": self.mqtt.info() if self.mqtt is not None else None,
            "http": {"streams": self.http.streams} if self.http is not None else None,
            "retention": ({"deleted": self.retention.deleted, "freed_bytes": self.retention.freed_bytes}
                          if self.retention is not None else None),
        }

    def summary(self) -> str | None:
        """The run's last word on the edge, for the log; None without MQTT."""
        if self.mqtt is None:
            return None
        info = self.mqtt.info()
        return (f"mqtt {info['url']}: {info['sent']} message(s) sent, {info['dropped']} event(s) dropped while the "
                f"broker was away (buffer {info['buffer']}), {info['queued']} never sent")

    def _warn_once(self, topic: str, text: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            self._say(text)

    def _say(self, text: str) -> None:
        print(f"vgv-live: {text}", file=self.log, flush=True)
