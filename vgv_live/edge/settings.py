"""The checks of edge settings that span several settings (each alone is checked in
vgv_live.config.FIELD_CHECKS)."""

from __future__ import annotations

from typing import Any

from vgv_core.loopback import is_loopback
from vgv_core.validation import SettingError
from vgv_live.edge.addresses import http_address, mqtt_address


def check_edge_settings(config: Any) -> None:
    """A LiveConfig's edge settings that only make sense together; SettingError otherwise."""
    if (config.keep_days is not None or config.keep_gb is not None) and not config.events:
        raise SettingError("keep_days and keep_gb need an events folder (--events DIR)")
    if config.http and not config.http_token and not is_loopback(http_address(config.http, "http").host):
        raise SettingError(f"--http {config.http} is reachable from other machines: set VGV_HTTP_TOKEN (or "
                           "http_token in the config file) so that every request needs it, or bind 127.0.0.1")
    if config.mqtt_password and not config.mqtt_user:
        raise SettingError("mqtt_password needs mqtt_user (VGV_MQTT_USER)")
    if config.mqtt_ca and not (config.mqtt and mqtt_address(config.mqtt, "mqtt").tls):
        raise SettingError("mqtt_ca is for an mqtts:// broker")
    edge = [flag for flag, value in (("--mqtt", config.mqtt), ("--http", config.http),
                                    ("--keep-days", config.keep_days), ("--keep-gb", config.keep_gb)) if value]
    if edge and not config.headless:
        raise SettingError(f"{', '.join(edge)}: edge operations run with --headless")
