"""Where results go in headless mode: MP4 recorder, JSONL, threshold events, snapshots."""

from vgv_live.sinks.events import EventRecorder, ThresholdTrigger
from vgv_live.sinks.jsonl import JsonlWriter
from vgv_live.sinks.recorder import Recorder
from vgv_live.sinks.sink import AnnotatedFrame, Sink
from vgv_live.sinks.snapshots import Snapshotter

__all__ = ["AnnotatedFrame", "EventRecorder", "JsonlWriter", "Recorder", "Sink", "Snapshotter", "ThresholdTrigger"]
