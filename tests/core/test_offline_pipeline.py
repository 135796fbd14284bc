"""Which thread runs each stage of the offline pipeline, and that every item comes through."""

import threading

import pytest

from vgv_core.offline.pipeline import run_pipeline


def _run(pipelined: bool, explain_thread: bool) -> tuple[list[int], dict[str, set[str]]]:
    threads: dict[str, set[str]] = {"decode": set(), "explain": set(), "sink": set()}

    def decode():
        for i in range(20):
            threads["decode"].add(threading.current_thread().name)
            yield i

    def explain(frames):
        for frame in frames:
            threads["explain"].add(threading.current_thread().name)
            yield frame * 10

    received = []

    def sink(result):
        threads["sink"].add(threading.current_thread().name)
        received.append(result)

    count = run_pipeline(decode(), explain, sink, pipelined=pipelined, depth=2, explain_thread=explain_thread)
    assert count == len(received)
    return received, threads


@pytest.mark.parametrize(
    "pipelined,explain_thread,expected",
    [
        (True, True, {"decode": "vgv-decode", "explain": "vgv-explain", "sink": "caller"}),
        (True, False, {"decode": "vgv-decode", "explain": "caller", "sink": "caller"}),  # the CPU
        (False, True, {"decode": "caller", "explain": "caller", "sink": "caller"}),
    ],
)
def test_each_stage_runs_in_its_thread_and_nothing_is_lost(pipelined, explain_thread, expected):
    received, threads = _run(pipelined, explain_thread)
    assert received == [i * 10 for i in range(20)]
    caller = threading.current_thread().name
    assert threads == {stage: {caller if name == "caller" else name} for stage, name in expected.items()}
