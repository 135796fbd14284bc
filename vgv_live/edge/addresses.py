"""Where the edge services connect and listen, checked at the boundary like every setting.

``mqtt://HOST[:PORT]`` / ``mqtts://HOST[:PORT]`` for the broker (user and password never in
the URL: they are secrets, see vgv_live.edge.secrets), ``HOST:PORT`` for the HTTP server
(``[::1]:PORT`` for IPv6), and topic prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vgv_core.loopback import is_loopback
from vgv_core.validation import SettingError, text

MQTT_PORTS = {"mqtt": 1883, "mqtts": 8883}
DEFAULT_CAMERA = "cam0"  # the name of a run's only camera


@dataclass(frozen=True)
class MqttAddress:
    host: str
    port: int
    tls: bool

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{_host_text(self.host)}:{self.port}"


@dataclass(frozen=True)
class HttpAddress:
    host: str
    port: int  # 0: any free port (the server says which)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def mqtt_address(value: Any, name: str) -> MqttAddress:
    """``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]`` (default ports 1883 and 8883)."""
    url = text(value, name).strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SettingError(f"{name} {url!r}: {exc}") from None
    if parts.scheme not in MQTT_PORTS:
        raise SettingError(f"{name} {url!r}: expected mqtt://HOST:PORT or mqtts://HOST:PORT")
    if parts.username is not None or parts.password is not None:
        raise SettingError(f"{name}: no user or password in the URL; set mqtt_user and mqtt_password in the "
                           "config file, or VGV_MQTT_USER and VGV_MQTT_PASSWORD")
    if not parts.hostname:
        raise SettingError(f"{name} {url!r}: the broker's host is missing")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingError(f"{name} {url!r}: a broker URL has no path; name topics with mqtt_prefix")
    return MqttAddress(parts.hostname, port or MQTT_PORTS[parts.scheme], parts.scheme == "mqtts")


def http_address(value: Any, name: str) -> HttpAddress:
    """``HOST:PORT`` (``[IPv6]:PORT``); PORT 0 picks a free port."""
    shown = text(value, name).strip()
    host, sep, port_text = shown.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port_text.isdigit():
        raise SettingError(f"{name} {shown!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    port = int(port_text)
    if port > 65535:
        raise SettingError(f"{name} {shown!r}: port out of range (0 to 65535)")
    return HttpAddress(host, port)


def topic_prefix(value: Any, name: str) -> str:
    """Topic levels without wildcards or empty levels, e.g. ``vgv`` or ``site/bay1``."""
    prefix = text(value, name)
    levels = prefix.split("/")
    if any(not level or "+" in level or "#" in level for level in levels) or prefix.startswith("$"):
        raise SettingError(f"{name} {prefix!r}: topic levels separated by '/', without '+', '#', empty "
                           "levels or a leading '$'")
    return prefix


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def without_credentials(source: str) -> str:
    """A source as the edge may show it: a URL's user and password replaced by '***'."""
    parts = urlsplit(source)
    if parts.scheme and (parts.username is not None or parts.password is not None):
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=f"***@{host}").geturl()
    return source
