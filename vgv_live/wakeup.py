"""Wake a capture blocked inside FFmpeg on a hung stream server.

OpenCV gives no way to abort a blocking open or read except its timeouts, and a hung
camera (accepts TCP, sends nothing) keeps a read waiting for the whole read timeout.
To stop promptly we shut down our own process's TCP connections to that server:
FFmpeg's poll returns, the read fails, and the capture thread releases the capture as
usual. shutdown() leaves the descriptor open, so FFmpeg still owns and closes it: no
descriptor can be reused under it. Linux only (/proc); elsewhere a no-op.
"""

from __future__ import annotations

import ipaddress
import os
import socket

PROC_TCP_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def shutdown_connections(addresses: set, port: int) -> int:
    """Shut down this process's TCP connections to ``port`` on any of ``addresses``; return how many."""
    inodes = _connection_inodes(addresses, port)
    return sum(_shutdown(fd, inode) for fd, inode in _socket_fds(inodes))


def _shutdown(fd: int, inode: int) -> bool:
    """Shut down ``fd`` if it is still the socket ``inode``: its owner may close it meanwhile."""
    try:
        if os.fstat(fd).st_ino != inode:
            return False
        sock = socket.socket(fileno=fd)
    except OSError:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
        return True
    except OSError:
        return False  # not connected any more: nothing to wake
    finally:
        sock.detach()


def peer_addresses(host: str) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses ``host`` resolves to, as /proc/net/tcp shows them (IPv4 also v4-mapped)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return set()
    found = set()
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        found.add(address)
        if address.version == 4:
            found.add(ipaddress.IPv6Address(f"::ffff:{address}"))
    return found


def _connection_inodes(addresses: set, port: int) -> set[str]:
    inodes = set()
    for table in PROC_TCP_TABLES:
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    remote_hex, remote_port = fields[2].split(":")
                    if int(remote_port, 16) == port and _decode(remote_hex) in addresses:
                        inodes.add(fields[9])
        except OSError:
            continue
    return inodes


def _decode(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp stores addresses as host-order 32-bit words in hex."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _socket_fds(inodes: set[str]) -> list[tuple[int, int]]:
    """(descriptor, inode) of our sockets whose inode is in ``inodes``."""
    found = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for name in names:
        try:
            link = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            found.append((int(name), int(link[8:-1])))
    return found
