"""Helpers for the Ray tests: a real head node on loopback, and what a process tree listens on.

Ray is in the `dev` extra: where it is missing these tests are skipped, except in CI
(CI=true), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vgv_core.cluster.connection import LOOPBACK, LOOPBACK_SWITCH

START_TIMEOUT_S = 90.0


def require_ray() -> None:
    """Skip (fail in CI) without Ray; it is not imported here: the loopback switch must be set first."""
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Ray is missing in CI: pip install -e '.[dev]'")
        pytest.skip("Ray is not installed (pip install -e '.[ray]')")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class RayHead:
    """`ray start --head --block` on 127.0.0.1 with ``cpus`` CPUs, in a session of its own;
    stopped by SIGTERM to its process (which stops what it started), then any of its
    descendants left, by pid. Drivers joining it need RAY_AUTH_MODE=token (Ray enables
    token authentication for `ray start` where ~/.ray/auth_token exists, and a driver
    given an address only uses it when told)."""

    def __init__(self, temp_dir: Path, cpus: int = 2) -> None:
        self.address = f"{LOOPBACK}:{free_port()}"
        env = dict(os.environ, **{LOOPBACK_SWITCH: "0", "RAY_AUTH_MODE": "token"})
        subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "get-auth-token", "--generate"], env=env,
                       capture_output=True, check=True)  # creates ~/.ray/auth_token where there is none
        command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
                   f"--node-ip-address={LOOPBACK}", f"--port={self.address.rsplit(':', 1)[1]}", f"--num-cpus={cpus}",
                   "--num-gpus=0", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self._wait_started()

    def _wait_started(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        seen = []
        for line in self.process.stdout:
            seen.append(line.rstrip())
            if "Ray runtime started" in line:
                return
            if time.monotonic() > deadline:
                break
        self.stop()
        raise RuntimeError("ray start did not start:\n" + "\n".join(seen[-20:]))

    def pids(self) -> set[int]:
        return descendants(self.process.pid) | {self.process.pid}

    def stop(self) -> None:
        left = self.pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        for pid in left - {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def descendants(root: int) -> set[int]:
    """Every process below ``root``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def listening_hosts(pids: set[int]) -> set[str]:
    """The addresses that TCP sockets of ``pids`` listen on, e.g. {'127.0.0.1'}."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                hosts.add(_host(fields[1].split(":")[0]))
    return hosts


def _host(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[k:k + 4][::-1] for k in range(0, len(raw), 4))  # each 32-bit word is little-endian
    if len(words) == 16 and words[:12] == b"\0" * 10 + b"\xff\xff":  # IPv4-mapped IPv6
        words = words[12:]
    return socket.inet_ntop(socket.AF_INET if len(words) == 4 else socket.AF_INET6, words)
