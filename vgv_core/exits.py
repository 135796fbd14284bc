"""How the command lines end: exit codes, bugs as one line, SIGTERM as an interruption.

Every command prints one line on stderr for a failure, never a traceback: user errors
(VGVError) say what to do; a bug ends as "internal error: TYPE: message" with exit 70
(``VGV_DEBUG=1`` shows the traceback too); SIGTERM is handled like Ctrl-C, so every
temporary output is removed, and ends with 143. An exception that escapes a thread is
reported the same way by ``threading.excepthook`` and makes the command fail.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from vgv_core.errors import VGVError, WriteError

EXIT_OK = 0
EXIT_SOURCE_FAILED = 1  # vgv-live: the source could not be opened, or failed for good
EXIT_USER_ERROR = 2
EXIT_PART_FAILED = 3  # vgv-live: a part of the running pipeline failed
EXIT_WRITE_ERROR = 4
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
DEBUG_VARIABLE = "VGV_DEBUG"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C."""


def interrupted_code(exc: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def internal_error(prog: str, exc: BaseException, where: str = "") -> int:
    """Report a bug in one line (and its traceback with VGV_DEBUG=1); the exit code for it."""
    if os.environ.get(DEBUG_VARIABLE) == "1":
        traceback.print_exception(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(f"{prog}: internal error{where}: {type(exc).__name__}: {message}; "
          f"rerun with {DEBUG_VARIABLE}=1 for details", file=sys.stderr, flush=True)
    return EXIT_INTERNAL_ERROR


def thread_failure(exc: Exception) -> tuple[str, int]:
    """What a thread that caught ``exc`` reports, in one line, and the exit code it calls for:
    a write error, another user-facing error, or a bug (its traceback with VGV_DEBUG=1)."""
    if isinstance(exc, VGVError):
        return str(exc), EXIT_WRITE_ERROR if isinstance(exc, WriteError) else EXIT_PART_FAILED
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), EXIT_WRITE_ERROR
    if os.environ.get(DEBUG_VARIABLE) == "1":
        traceback.print_exception(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"internal error: {type(exc).__name__}: {message}; rerun with {DEBUG_VARIABLE}=1 for details",
            EXIT_INTERNAL_ERROR)


@contextmanager
def failing_threads(prog: str) -> Iterator[list[str]]:
    """Within the block, an exception that escapes a thread prints one line and is listed."""
    failed: list[str] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "?"
        failed.append(name)
        internal_error(prog, args.exc_value, f" in thread {name}")

    previous, threading.excepthook = threading.excepthook, hook
    try:
        yield failed
    finally:
        threading.excepthook = previous


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block (main thread only), SIGTERM raises Terminated like Ctrl-C raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(prog: str, run: Callable[[], int]) -> int:
    """``run()``'s exit code, with every failure as one line on stderr and its documented code."""
    with failing_threads(prog) as failed, sigterm_interrupts():
        try:
            code = run()
        except WriteError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return EXIT_WRITE_ERROR
        except VGVError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt as exc:
            print(f"{prog}: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}", file=sys.stderr)
            return interrupted_code(exc)
        except Exception as exc:  # a bug: one line, the traceback only with VGV_DEBUG=1
            return internal_error(prog, exc)
    return EXIT_INTERNAL_ERROR if failed and code == EXIT_OK else code


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (what is wrong, and where help is), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}; see {self.prog} --help\n")

    def parse_or_exit_code(self, argv: list[str] | None) -> argparse.Namespace | int:
        """The parsed arguments, or the exit code after --help, --version or a bad argument."""
        try:
            return self.parse_args(argv)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
