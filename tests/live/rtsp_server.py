"""A real RTSP server for the live tests: gst-rtsp-server on 127.0.0.1.

Run with the system Python, which has `gi` (Debian's python3-gi):

    /usr/bin/python3 tests/live/rtsp_server.py --port 8554 [--file clip.mp4] [--fps 30]

It prints the stream URL on stdout once it listens, then serves until killed.
SIGTERM is a dead camera; SIGSTOP a hung one (the socket stays open, nothing comes).
Without --file it serves a live test pattern; with --file it serves the file once
(re-encoded, so any container and codec works), paced at --fps.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

MOUNT = "/stream"
ENCODE = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! rtph264pay name=pay0 pt=96"


def pattern_launch(args: argparse.Namespace) -> str:
    width, height = args.size.split("x")
    caps = f"video/x-raw,width={width},height={height},framerate={args.fps}/1"
    return f"( videotestsrc is-live=true pattern=ball ! {caps} ! videoconvert ! {ENCODE.format(gop=args.fps)} )"


def file_launch(args: argparse.Namespace) -> str:
    caps = f"video/x-raw,framerate={args.fps}/1"
    source = f'filesrc location="{args.file}" ! decodebin ! videoconvert ! videorate'
    return f"( {source} ! {caps} ! {ENCODE.format(gop=args.fps)} )"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--file", help="serve this video instead of the test pattern")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--size", default="320x240", help="test pattern size WxH")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(file_launch(args) if args.file else pattern_launch(args))
    factory.set_shared(True)
    server.get_mount_points().add_factory(MOUNT, factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}")
    print(f"rtsp://127.0.0.1:{server.get_bound_port()}{MOUNT}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
