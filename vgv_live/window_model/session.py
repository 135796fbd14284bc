"""Session: one source explained by one model, as the window runs it.

Builds the engine's LivePipeline with a ClipExplainer (in a child process on the CPU)
and the window's two sinks (RecordSwitch, EventFeed), guarded by the source's regions
(the attention guard: a regions file given, else those saved for the source, else those
shipped with it). For a video file the pipeline's producer is a ReplayPlayer (seek, pause,
steps, speed) and a TimelineJob computes the whole-file confidence on its own copy of the
network, in the worker's idle time. Everything starts and stops here; the window only
reads results and frames (fresh copies) and sends requests.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

from vgv_core import VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.models.registry import is_shipped
from vgv_core.regions import Regions, load_regions
from vgv_core.shipped import named_regions, shipped_regions_of
from vgv_core.validation import SettingError
from vgv_core.window_geometry import window_span
from vgv_live.window_model.event_feed import EventFeed
from vgv_live.window_model.layer_choices import spatial_layers
from vgv_live.window_model.record_switch import RecordSwitch
from vgv_live.window_model.timeline_cache import TimelineCache
from vgv_live.window_model.timeline_job import TimelineJob
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.config import LiveConfig
from vgv_live.edge.addresses import DEFAULT_CAMERA
from vgv_live.edge.health import HealthWatcher
from vgv_live.explainer_process import ExplainerProcess
from vgv_live.headless import capture_options, default_threads
from vgv_live.pipeline import LivePipeline
from vgv_live.region_store import RegionStore
from vgv_live.replay import ReplayPlayer
from vgv_live.result import Result
from vgv_live.ring import FrameRing, RingFrames
from vgv_live.sources import FILE, Source
from vgv_live.stats import StatsSnapshot
from vgv_live.worker import WorkerOptions


@dataclass(frozen=True)
class Outputs:
    """Where the window writes what the user asks for."""

    recordings: Path
    events: Path  # each session gets a subfolder, unless the config names an events folder
    snapshots: Path
    timelines: Path  # the confidence timeline cache
    regions: Path | None = None  # the regions saved per source (None: not saved)


class Session:
    def __init__(self, config: LiveConfig, source: Source, model: VideoModel, outputs: Outputs) -> None:
        spec = model.spec
        self.config = config
        self.source = source
        self.model = model
        self.layers: tuple[str, ...] = ()  # found by start()
        self.store = RegionStore(outputs.regions) if outputs.regions else None
        self.regions, self._regions_notice = initial_regions(config, source, spec.labels, self.store)
        self._confident = dict(config.thresholds)
        guard = self._guard()
        self.explainer = window_explainer(config, model, guard)
        self.record = RecordSwitch(config.record, source.live)
        events_folder = Path(config.events) if config.events else outputs.events / time.strftime("%Y%m%d-%H%M%S")
        thresholds = {spec.label_index(label): prob for label, prob in config.thresholds.items()}
        self.events = EventFeed(events_folder, config.hysteresis, config.pre_roll, config.post_roll, thresholds, guard)
        target = spec.label_index(config.target) if config.target is not None else None
        self.player: ReplayPlayer | None = None  # files: the pipeline's producer, with seek, pause and speed
        span = window_span(spec.clip_len, spec.frame_stride)

        def replay(ring: FrameRing) -> ReplayPlayer:
            self.player = ReplayPlayer(source, ring, span, config.open_timeout, config.loop is not False)
            return self.player  # the window loops unless told not to

        self.pipeline = LivePipeline(
            source, self.explainer, capture_options(config, loop_by_default=True),
            WorkerOptions(hop=config.hop, target=target),
            sinks=[self.record, self.events], ring_frames=config.ring_frames, style=config.style,
            regions=self.regions, producer=None if source.live else replay,
        )
        self.timeline: TimelineJob | None = None
        self.health = HealthWatcher(DEFAULT_CAMERA, self.pipeline.producer) if source.live else None
        if not source.live and config.timeline:
            self.timeline = TimelineJob(source.target, copy.deepcopy(model.net), spec, model.device,
                                        TimelineCache(outputs.timelines))
            self.pipeline.worker.idle_work = self.timeline  # the model work runs on the worker's thread

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.spec.labels

    def start(self) -> None:
        """Find the layers, warm the model up and start every thread (call it off the GUI thread)."""
        self.layers = spatial_layers(self.model)
        self.pipeline.start()
        if self.timeline is not None:
            self.timeline.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop every thread; running recordings and event clips are finished."""
        deadline = time.monotonic() + timeout
        if self.timeline is not None:
            self.timeline.request_stop()
        stopped = self.pipeline.stop(timeout)
        if self.timeline is not None and self.timeline.is_alive():
            stopped &= self.timeline.stop(max(0.0, deadline - time.monotonic()))
        return stopped

    # -- what the window shows ----------------------------------------------------------------

    def latest(self) -> Result | None:
        return self.pipeline.latest()

    @property
    def newest_frame_id(self) -> int:
        """Id of the newest captured frame (-1 before the first)."""
        return self.pipeline.ring.newest_id

    def frame(self, frame_id: int) -> RingFrames | None:
        """A fresh copy of frame ``frame_id`` if the ring still holds it."""
        window = self.pipeline.ring.frames_between(frame_id, frame_id)
        return window if len(window.frame_ids) else None

    def file_index(self, frame_id: int) -> int | None:
        """The frame's index in the video file (None for live sources)."""
        return self.player.file_index.lookup(frame_id) if self.player else None

    def stats(self) -> StatsSnapshot:
        return self.pipeline.stats()

    def health_events(self) -> list[dict]:
        """The camera's offline and back-online events since the last call (live sources)."""
        return self.health.poll().events if self.health is not None else []

    @property
    def error(self) -> str | None:
        """Why the session cannot go on (bad source, failed model), or None."""
        return self.pipeline.error or (self.player.error if self.player else None)

    @property
    def notice(self) -> str | None:
        """A request that was refused while the session goes on."""
        return self.explainer.notice or self.record.error or self._regions_notice

    # -- requests -----------------------------------------------------------------------------

    def set_method(self, method: str) -> None:
        self.explainer.request(method=method)

    def set_layer(self, layer: str) -> None:
        self.explainer.request(layer=layer)

    def set_target(self, target: int | None) -> None:
        self.pipeline.worker.request(target=target)

    def set_regions(self, regions: Regions) -> None:
        """Guard with ``regions`` from the next window on, and keep them for this source."""
        self.regions = regions
        self._apply_guard()
        if self.store is not None:
            self.store.save(self.source, regions)

    def set_thresholds(self, thresholds: dict[int, float]) -> None:
        """Per-class event thresholds, which also say from when a class is confident for the guard."""
        self.events.set_thresholds(thresholds)
        self._confident = {self.labels[index]: prob for index, prob in thresholds.items()}
        self._apply_guard()

    def _guard(self) -> AttentionGuard | None:
        return AttentionGuard(self.regions, self.labels, self._confident) if self.regions.expect else None

    def _apply_guard(self) -> None:
        guard = self._guard()
        self.explainer.request(guard=guard)
        self.events.set_guard(guard)
        if self.pipeline.pump is not None:
            self.pipeline.pump.regions = self.regions

    def set_hop(self, hop: int) -> None:
        self.pipeline.worker.request(hop=max(1, hop))


def window_explainer(config: LiveConfig, model: VideoModel, guard: AttentionGuard | None
                     ) -> ExplainerProcess | ClipExplainer:
    """On the CPU, a child process, so that the GUI's share of the interpreter lock does not
    slow the model; on CUDA the worker thread mostly waits on the device, in-process. An
    architecture registered at run time stays in-process: a child could not rebuild it."""
    if model.device.type == "cpu" and is_shipped(model.spec.arch):
        return ExplainerProcess(model, config.method, config.map_size, config.exact,
                                config.threads or default_threads(), guard)
    return ClipExplainer(model, config.method, config.map_size, config.exact, guard)


def initial_regions(config: LiveConfig, source: Source, labels: tuple[str, ...], store: RegionStore | None
                    ) -> tuple[Regions, str | None]:
    """The regions file given, else the regions saved for ``source``, else those shipped with it, else
    none; and why saved regions were passed over, if they were."""
    if config.regions:
        return load_regions(named_regions(config.regions), labels), None
    try:
        saved = store.load(source, labels) if store is not None else None
    except SettingError as exc:
        return Regions(), str(exc)
    if saved is not None:
        return saved, None
    shipped = shipped_regions_of(source.target) if source.kind == FILE else None
    return (load_regions(shipped, labels) if shipped is not None else Regions()), None

