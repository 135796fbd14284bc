"""The status bar's text: source state, rates, latency, device, drops, and the display's own pace."""

from __future__ import annotations

from vgv_live.stats import StatsSnapshot


def status_text(stats: StatsSnapshot, device: str, display_fps: float, paused: bool) -> str:
    state = f"{stats.state} (paused)" if paused else stats.state
    latency = "-" if stats.latency_p50_ms != stats.latency_p50_ms else f"{stats.latency_p50_ms:.0f} ms"  # NaN: none yet
    return (
        f"{state} | capture {stats.capture_fps:.1f} fps | explain {stats.explain_fps:.1f}/s | latency {latency}"
        f" | display {display_fps:.1f} fps | {device} | dropped {stats.dropped} | reconnects {stats.reconnects}"
    )
