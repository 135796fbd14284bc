"""A virtual X screen (Xvfb) for a window where no display is: benchmarks, CI, edge boxes; and
whether the display named by DISPLAY answers at all (Qt aborts the process when it does not).

Xvfb picks a free display number itself (-displayfd) and listens on no TCP port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vgv_core.errors import VGVError

START_TIMEOUT_S = 10.0


class DisplayError(VGVError):
    """No display to open a window on, and no Xvfb to make one."""


@contextmanager
def virtual_display(size: tuple[int, int] = (1280, 800)) -> Iterator[str]:
    """A running Xvfb for the block; yields its DISPLAY value (":N")."""
    if shutil.which("Xvfb") is None:
        raise DisplayError("no display (DISPLAY is not set) and no Xvfb to make one: install it "
                           "(Debian: apt install xvfb) or run under a desktop session")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        number = _read_display_number(read_end, START_TIMEOUT_S)
        if number is None:
            server.kill()
            raise DisplayError(f"Xvfb did not start: {server.communicate(timeout=5)[1].decode()[-300:]!r}")
        yield f":{number}"
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(5)


@contextmanager
def some_display(size: tuple[int, int] = (1280, 800)) -> Iterator[str]:
    """The session's display when there is one, else a virtual one; sets DISPLAY for the block."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        yield os.environ.get("DISPLAY") or os.environ["WAYLAND_DISPLAY"]
        return
    with virtual_display(size) as display:
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            del os.environ["DISPLAY"]


def unreachable_display(environ: dict[str, str] | None = None, timeout: float = 2.0) -> str | None:
    """Why the X display in DISPLAY cannot be reached, or None (reachable, or not an X display)."""
    environ = os.environ if environ is None else environ
    display = environ.get("DISPLAY", "")
    if environ.get("WAYLAND_DISPLAY") or environ.get("QT_QPA_PLATFORM", "xcb") != "xcb" or not display:
        return None
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return f"DISPLAY={display} is not a display name such as :0"
    try:
        if host in ("", "unix"):
            path = f"/tmp/.X11-unix/X{number}"
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(timeout)
                try:
                    connection.connect(path)
                except OSError:
                    connection.connect("\0" + path)  # Linux's abstract socket, where Xorg also listens
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=timeout).close()
    except OSError as exc:
        return f"cannot reach the X display DISPLAY={display} ({exc.strerror or exc})"
    return None


def _read_display_number(fd: int, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    text = b""
    os.set_blocking(fd, False)
    while time.monotonic() < deadline and not text.endswith(b"\n"):
        try:
            chunk = os.read(fd, 16)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        if not chunk:
            break
        text += chunk
    os.close(fd)
    return text.decode().strip() or None
