"""EdgeCamera: one camera's pipeline as the edge services see it.

The edge (MQTT, HTTP, metrics, health) works on a mapping of camera names to these, so
a run with several cameras adds one per pipeline; today's command line has one, ``cam0``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vgv_live.edge.frame_tap import FrameTap
from vgv_live.edge.health import HealthWatcher
from vgv_live.pipeline import LivePipeline
from vgv_live.stats import StatsSnapshot


@dataclass
class EdgeCamera:
    name: str
    tap: FrameTap  # the newest annotated frame, for the live view
    pipeline: LivePipeline | None = None  # attached once built (its sinks include the tap)
    health: HealthWatcher | None = None

    def attach(self, pipeline: LivePipeline) -> None:
        self.pipeline = pipeline
        self.health = HealthWatcher(self.name, pipeline.producer)

    def stats(self) -> StatsSnapshot:
        return self.pipeline.stats()
