"""ReplayControls: the window's transport, kept in step with the session's source.

Video files replay through the session's player: the replay bar (slider, speed, timeline)
and the frame and speed actions drive it, and the bar follows the frame on screen. Live
sources have no player: those controls are hidden and disabled, and pause freezes the
display instead (capture and explanation go on).
"""

from __future__ import annotations

from typing import Callable, Sequence

from PyQt6.QtGui import QAction

from vgv_core import frame_rate
from vgv_live.app.replay_bar import ReplayBar
from vgv_live.replay import SPEEDS, ReplayPlayer
from vgv_live.window_model.session import Session


def set_checked_quietly(action: QAction, checked: bool) -> None:
    """Check or uncheck ``action`` without running its slot."""
    action.blockSignals(True)
    action.setChecked(checked)
    action.blockSignals(False)


class ReplayControls:
    def __init__(self, bar: ReplayBar, pause: QAction, file_actions: Sequence[QAction]) -> None:
        self.bar = bar
        self.pause = pause
        self.file_actions = tuple(file_actions)  # frame steps and speed: files only
        self.player: ReplayPlayer | None = None
        self.frozen = False  # live sources: pause freezes the display
        self._timeline_points = -1
        bar.seekRequested.connect(self.seek)
        bar.speedChanged.connect(lambda speed: self._tell(lambda player: player.set_speed(speed)))

    def attach(self, session: Session) -> None:
        """The controls for ``session``'s source, pause off."""
        self.player = session.player
        self.frozen = False
        self._timeline_points = -1
        file = self.player is not None
        self.bar.setVisible(file)
        if file:
            self.bar.reset(session.labels, 0, frame_rate.or_fallback(self.player.native_fps))
        for action in self.file_actions:
            action.setEnabled(file)
        set_checked_quietly(self.pause, False)

    def follow(self, session: Session, shown_frame_id: int) -> str | None:
        """Move the bar to the frame on screen and refresh its timeline; returns the
        timeline's error, if any."""
        player, timeline = session.player, session.timeline
        if self.bar.slider.maximum() == 0 and player.frame_count:
            self.bar.reset(session.labels, player.frame_count, player.native_fps)
        index = session.file_index(shown_frame_id)
        if index is not None and index != self.bar.slider.value():
            self.bar.set_position(index)
        if timeline is None:  # turned off
            return None
        points = timeline.points + int(timeline.finished)
        if points != self._timeline_points:
            self._timeline_points = points
            self.bar.set_timeline(timeline.snapshot(), timeline.progress)
        return timeline.error

    def seek(self, index: int) -> None:
        self._tell(lambda player: player.seek(index))

    def set_paused(self, paused: bool) -> None:
        if self.player is not None:
            self.player.set_paused(paused)
        else:
            self.frozen = paused

    def step(self, frames: int) -> None:
        """Show the frame ``frames`` away, and stay paused there."""
        if self.player is not None:
            self.player.step(frames)
            self.pause.setChecked(True)

    def change_speed(self, direction: int) -> None:
        if self.player is not None:
            current = SPEEDS.index(self.player.speed)
            self.bar.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, current + direction))])

    def explain_again(self) -> None:
        """A paused replay explains its frame again (after the explanation's settings changed)."""
        if self.player is not None and self.player.paused:
            self.player.seek(self.player.position)

    def _tell(self, request: Callable[[ReplayPlayer], None]) -> None:
        if self.player is not None:
            request(self.player)
