"""VideoGradVis Live: the streaming engine (no Qt here; the window lives in vgv_live.app).

    sources           SOURCE text -> Source; open a cv2.VideoCapture with timeouts
    wakeup            wake a capture blocked on a hung stream server (for prompt stop)
    producer          FrameProducer: what a pipeline needs from the thread that fills its ring
    pacing            FileClock: when a file's frame is due, from the file's own timestamps
    capture           CaptureThread: owns the capture, reconnects, stamps frames
    replay            ReplayPlayer: a file with seek, pause, steps and speed (the window's)
    ring              FrameRing: preallocated frames; live drop-oldest, lossless for files
    clip_explainer    one window of frames -> probabilities + per-frame uint8 maps
    explainer_process ExplainerProcess: the same explainer in a child process (the window's)
    requests          Requests: settings changed from another thread, taken between passes
    worker            ExplainWorker: the one thread that runs the model
    result            Result: the immutable payload a worker publishes
    handoff           latest-wins slot and subscriptions between threads
    stats             measured rates, latency percentiles, the stats line
    pipeline          LivePipeline: all of the above wired and stopped in order
    drawing           a result drawn onto a frame (heatmap, label bar, regions)
    region_store      RegionStore: the attention guard's regions saved per source
    sink_pump         SinkPump: results and their frames to the sinks
    sinks/            MP4 recorder, JSONL, threshold event clips, snapshots
    config            LiveConfig from defaults, a TOML file and flags
    headless          the runner behind `vgv-live SOURCE --headless`
    throughput        frames pushed at a fixed rate through the worker (`vgv bench --live`)
    bench_modes       `vgv bench --live` and `--window`, found by vgv_core through entry points
    torch_threads     torch setup in a thread that ends with it (one long-lived OpenMP team)
    window_model/     what the window runs without Qt: sessions, timelines, texts, colours
    cli               `vgv-live`
"""
