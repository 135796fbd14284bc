"""PendingOpen: one session opened at a time off the GUI thread, handed over once, cancellable on close."""

import time

from app_support import wait_for_no_threads
from vgv_live.window_model.opener import PendingOpen
from vgv_live.config import LiveConfig


def _outcome(pending: PendingOpen, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = pending.finished()
        if task is not None:
            return task
        time.sleep(0.02)
    raise AssertionError("the open did not finish")


def test_one_open_at_a_time_and_its_outcome_is_handed_over_once(demo, models, outputs, tmp_path):
    pending = PendingOpen(outputs, models)
    missing = tmp_path / "missing.mp4"
    assert pending.start(LiveConfig(source=str(missing), model=demo.model), None)
    assert pending.busy
    assert not pending.start(LiveConfig(source=str(demo.video), model=demo.model), None)
    task = _outcome(pending)
    assert "missing.mp4" in task.error and task.value is None
    assert not pending.busy and pending.finished() is None


def test_cancelling_an_open_under_way_leaves_no_session_running(demo, models, outputs):
    pending = PendingOpen(outputs, models)
    assert pending.start(LiveConfig(source=str(demo.video), model=demo.model), None)
    assert pending.cancel(timeout=30.0)
    assert not pending.busy and pending.finished() is None
    assert not wait_for_no_threads(2.0), "the cancelled open left a thread running"
