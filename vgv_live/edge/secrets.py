"""Secrets (the broker's user and password, the HTTP token) come from the config file or the
environment, never from the command line, where other users of the machine can read them
(``ps``, /proc, shell history). The environment wins over the file, so one config file can
serve several boxes that each hold their own secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

ENVIRONMENT = {
    "mqtt_user": "VGV_MQTT_USER",
    "mqtt_password": "VGV_MQTT_PASSWORD",
    "http_token": "VGV_HTTP_TOKEN",
}
SECRET_FLAGS = ("--http-token", "--mqtt-password", "--mqtt-user")


def secrets_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The secrets the environment sets (empty variables count as unset)."""
    return {key: environ[variable] for key, variable in ENVIRONMENT.items() if environ.get(variable)}


def not_on_command_line(flag: str) -> str:
    """The one line that refuses a secret given as a flag."""
    key = flag.lstrip("-").replace("-", "_")
    return (f"{flag} is a secret and is never taken from the command line (other users can read it there); "
            f"set {ENVIRONMENT[key]} or {key} in the --config file")
