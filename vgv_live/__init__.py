"""VideoGradVis Live: the streaming engine (no Qt here; the window lives in vgv_live.app).

    sources        SOURCE text -> Source; open a cv2.VideoCapture with timeouts
    wakeup         wake a capture blocked on a hung stream server (for prompt stop)
    capture        CaptureThread: owns the capture, reconnects, stamps frames
    ring           FrameRing: preallocated frames; live drop-oldest, lossless for files
    clip_explainer one window of frames -> probabilities + per-frame uint8 maps
    worker         ExplainWorker: the one thread that runs the model
    result         Result: the immutable payload a worker publishes
    publish        latest-wins slot and subscriptions between threads
    stats          measured rates, latency percentiles, the stats line
    pipeline       LivePipeline: all of the above wired and stopped in order
    annotate       a result drawn onto a frame (heatmap + label bar)
    sink_pump      SinkPump: results and their frames to the sinks
    sinks/         MP4 recorder, JSONL, threshold event clips, snapshots
    config         LiveConfig from defaults, a TOML file and flags
    headless       the runner behind `vgv-live SOURCE --headless`
    cli            `vgv-live`
"""

import os

# The app's capture, worker and GUI threads share the cores: idle OpenMP threads sleep
# instead of spinning (spinning slowed model calls several-fold on a busy 2-core box).
# Set before torch loads, which reads it once; a library import must not do this, as it
# makes small models' passes up to 1.8x slower for everyone else in the process.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
