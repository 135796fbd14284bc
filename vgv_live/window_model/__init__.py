"""What the window runs without Qt: its sessions and their parts, and the text and colours
it shows. Kept apart from vgv_live.app (widgets only) so that it can be used and tested
without a display.

    session          Session: one source explained by one model (a LivePipeline, its sinks, regions)
    opener           ModelCache, PendingOpen: opening a session off the GUI thread
    background       BackgroundTask: one slow call in a thread, polled by the GUI
    record_switch    RecordSwitch: the sink that records while recording is on
    event_feed       EventFeed: the window's events, with thumbnails for its list
    timeline_job     TimelineJob: a file's whole confidence timeline, in the worker's idle time
    timeline_cache   TimelineCache: finished timelines, keyed by file, model and step
    layer_choices    the layers the window offers for CAM
    prob_history     ProbabilityHistory: fixed-size rings for the plots
    display_meter    DisplayMeter: frames shown per second, GUI tick times
    caption          the text above the video
    status_line      the status bar's text
    palette          the colours of the classes and plots
    virtual_display  Xvfb for a window where no display is; whether DISPLAY answers
"""
