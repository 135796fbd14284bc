"""The edge's HTTP server (standard library): metrics, stats, events and the live view.

    GET /metrics                      Prometheus text format
    GET /api/stats                    JSON: {"cameras": {NAME: {...}}, ...}
    GET /api/events[?camera=NAME&limit=N]   JSON: {"events": [...]}, oldest first
    GET /cameras/NAME/stream.mjpg     the annotated video, MJPEG, at most ``stream_fps`` frames/s

With a token, every request needs it, as ``Authorization: Bearer TOKEN`` or ``?token=TOKEN``
(for a browser's address bar); others get 401. Each request has its own thread, so a viewer
that reads slowly only holds up its own stream, never the pipeline (see FrameTap).
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from vgv_core.errors import VGVError
from vgv_core.json_text import json_text
from vgv_live.edge.addresses import HttpAddress
from vgv_live.edge.camera import EdgeCamera
from vgv_live.edge.event_hub import EventHub
from vgv_live.edge.metrics import CONTENT_TYPE, EdgeMetrics

BOUNDARY = "vgvframe"
FRAME_WAIT_S = 1.0  # a viewer checks this often whether the server is closing
SEND_TIMEOUT_S = 30.0  # a viewer that takes no data for this long is disconnected
STREAM_SEND_BUFFER = 256 * 1024  # a viewer that falls behind gets fresh frames, not seconds of backlog
MAX_EVENTS = 500


class EdgeHttpServer:
    def __init__(self, address: HttpAddress, cameras: Mapping[str, EdgeCamera], hub: EventHub,
                 metrics: EdgeMetrics, stats: Callable[[], dict], token: str | None = None,
                 stream_fps: float = 10.0) -> None:
        self.cameras = cameras
        self.hub = hub
        self.metrics = metrics
        self.stats = stats
        self.token = token
        self.stream_interval_s = 1.0 / stream_fps
        self.closing = threading.Event()
        self.streams = 0  # viewers watching now
        self._count_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
        server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True,
                                                               "handle_error": lambda *args: None})
        try:
            self._server = server_class((address.host, address.port), handler_for(self))
        except OSError as exc:
            raise VGVError(f"--http {address.host}:{address.port}: cannot listen there: {exc.strerror or exc}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="vgv-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def count_stream(self, change: int) -> None:
        with self._count_lock:
            self.streams += change

    def authorised(self, headers, query: dict[str, list[str]]) -> bool:
        if self.token is None:
            return True
        given = headers.get("Authorization", "")
        offered = [given[len("Bearer "):]] if given.startswith("Bearer ") else []
        offered += query.get("token", [])
        return any(hmac.compare_digest(candidate.encode(), self.token.encode()) for candidate in offered)


def handler_for(edge: EdgeHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(EdgeRequest):
        server_edge = edge

    return Handler


class EdgeRequest(BaseHTTPRequestHandler):
    server_edge: EdgeHttpServer
    server_version = "vgv-live"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """Quiet: an unattended box's stderr is for the run's own lines."""

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        edge = self.server_edge
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if not edge.authorised(self.headers, query):
            self._send(HTTPStatus.UNAUTHORIZED, b"a token is needed: Authorization: Bearer TOKEN or ?token=TOKEN\n",
                       "text/plain; charset=utf-8", {"WWW-Authenticate": 'Bearer realm="vgv-live"'})
            return
        path = parts.path.rstrip("/") or "/"
        if path == "/metrics":
            self._send(HTTPStatus.OK, edge.metrics.text(), CONTENT_TYPE)
        elif path == "/api/stats":
            self._json(edge.stats())
        elif path == "/api/events":
            self._events(query)
        elif path.startswith("/cameras/") and path.endswith("/stream.mjpg"):
            camera = edge.cameras.get(path[len("/cameras/"):-len("/stream.mjpg")])
            if camera is None:
                self._not_found()
            else:
                self._stream(camera)
        else:
            self._not_found()

    def _events(self, query: dict[str, list[str]]) -> None:
        edge = self.server_edge
        camera = query.get("camera", [None])[-1]
        limit_text = query.get("limit", [str(MAX_EVENTS)])[-1]
        if not limit_text.isdigit():
            self._send(HTTPStatus.BAD_REQUEST, b"limit must be a whole number\n", "text/plain; charset=utf-8")
        elif camera is not None and camera not in edge.cameras:
            self._not_found()
        else:
            self._json({"events": edge.hub.recent(camera, min(int(limit_text), MAX_EVENTS))})

    def _stream(self, camera: EdgeCamera) -> None:
        edge = self.server_edge
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.connection.settimeout(SEND_TIMEOUT_S)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)
        edge.count_stream(+1)
        shown = -1
        try:
            while not edge.closing.is_set():
                frame = camera.tap.newer_than(shown, FRAME_WAIT_S)
                if frame is None and camera.tap.closed:
                    return  # the camera's run is over: its last frame stays on the viewer's screen
                if frame is None:
                    continue
                jpeg = camera.tap.jpeg(frame)
                self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                                 .encode() + jpeg + b"\r\n")
                self.wfile.flush()
                shown = frame.frame_id
                edge.closing.wait(edge.stream_interval_s)
        except OSError:  # the viewer left (or stopped reading for SEND_TIMEOUT_S)
            pass
        finally:
            edge.count_stream(-1)

    def _json(self, document: dict) -> None:
        self._send(HTTPStatus.OK, (json_text(document) + "\n").encode(), "application/json")

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found; see /api/stats for the cameras\n", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
