"""ResultOutlet: where one stream's results go, and what its stats count of them.

The newest result goes to a latest-wins slot (a display pulls it at its own rate) and every
result to each subscription (the sinks); the outlet counts results, their rate and latency
and the attention guard's verdicts. An ExplainWorker is the outlet of its one stream; a
CameraWorker has one per camera (its CameraLanes).
"""

from __future__ import annotations

from vgv_live.clip_explainer import ClipExplanation
from vgv_live.handoff import LatestSlot, Subscription
from vgv_live.result import Result, Timings
from vgv_live.ring import RingFrames
from vgv_live.stats import LatencyWindow, RateMeter


class ResultOutlet:
    def __init__(self, lossless: bool = False) -> None:
        self.latest: LatestSlot[Result] = LatestSlot()
        self.rate = RateMeter()
        self.latency = LatencyWindow()
        self.results = 0
        self.looked_elsewhere = 0  # results flagged by the attention guard
        self._lossless = lossless
        self._subscriptions: list[Subscription[Result]] = []

    def subscribe(self, size: int = 8) -> Subscription[Result]:
        """A queue of every result from now on (lossless when the stream is)."""
        subscription: Subscription[Result] = Subscription(size, lossless=self._lossless)
        self._subscriptions.append(subscription)
        return subscription

    def publish(self, window: RingFrames, clip: ClipExplanation, labels: tuple[str, ...], method: str,
                timings: Timings) -> Result:
        result = Result(
            seq=self.results,
            frame_ids=window.frame_ids,
            timestamps=window.timestamps,
            probs=clip.probs,
            labels=labels,
            target=clip.target,
            method=method,
            maps=clip.maps,
            timings=timings,
            attention_in_region=clip.attention_in_region,
            looked_elsewhere=clip.looked_elsewhere,
        )
        self.results += 1
        self.looked_elsewhere += result.looked_elsewhere
        self.rate.tick(timings.done_t)
        self.latency.add(result.latency_s)
        self.latest.put(result)
        for subscription in self._subscriptions:
            subscription.put(result)
        return result

    def close_subscriptions(self) -> None:
        """Readers waiting for more results are told there will be none."""
        for subscription in self._subscriptions:
            subscription.close()
