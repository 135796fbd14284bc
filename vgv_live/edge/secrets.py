"""Secrets (the broker's user and password, the HTTP token) come from the config file or the
environment, never from the command line, where other users of the machine can read them
(``ps``, /proc, shell history). The environment wins over the file, so one config file can
serve several boxes that each hold their own secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from vgv_core.validation import SettingError, text

ENVIRONMENT = {
    "mqtt_user": "VGV_MQTT_USER",
    "mqtt_password": "VGV_MQTT_PASSWORD",
    "http_token": "VGV_HTTP_TOKEN",
}
SECRET_FLAGS = ("--http-token", "--mqtt-password", "--mqtt-user")
MIN_TOKEN_LENGTH = 16
TOKEN_PUNCTUATION = "-_.~"  # sendable as they are in a header and in a URL's query


def secrets_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The secrets the environment sets (empty variables count as unset)."""
    return {key: environ[variable] for key, variable in ENVIRONMENT.items() if environ.get(variable)}


def not_on_command_line(flag: str) -> str:
    """The one line that refuses a secret given as a flag."""
    key = flag.lstrip("-").replace("-", "_")
    return (f"{flag} is a secret and is never taken from the command line (other users can read it there); "
            f"set {ENVIRONMENT[key]} or {key} in the --config file")


def token(value: Any, name: str) -> str:
    """An HTTP token: long enough not to be guessed, and sendable in a header and a URL as it is."""
    chosen = text(value, name)
    if len(chosen) < MIN_TOKEN_LENGTH or not all(c.isascii() and (c.isalnum() or c in TOKEN_PUNCTUATION)
                                                 for c in chosen):
        raise SettingError(f"{name} must be at least {MIN_TOKEN_LENGTH} letters, digits, '-', '_', '.' or '~'; "
                           "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(24))'")
    return chosen
