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
    torch_threads  torch setup in a thread that ends with it (one long-lived OpenMP team)
    cli            `vgv-live`
"""
