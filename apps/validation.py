"""Checks of what users type about an app; each raises ValidationError keyed by field."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.models import APP_NAME_PATTERN, SECRET_NAME_PATTERN

NAME_RE = re.compile(APP_NAME_PATTERN)
SECRET_NAME_RE = re.compile(SECRET_NAME_PATTERN)
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
LABEL_VALUE_RE = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
PATH_RE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,199}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_RE = re.compile(
    rf"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
MAX_ENV_BYTES = 64 * 1024
MAX_SECRET_BYTES = 500 * 1024  # swarm's limit for a secret


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError({"name": "Give the app a name."})
    if len(name) > 63:
        raise ValidationError({"name": "Use at most 63 characters: the name is a hostname."})
    if name != name.lower():
        raise ValidationError({"name": "Use lowercase letters: the name is a hostname."})
    if name.startswith("-") or name.endswith("-"):
        raise ValidationError({"name": "The name cannot start or end with a hyphen."})
    if not NAME_RE.match(name):
        raise ValidationError(
            {"name": "Use only lowercase letters, digits and hyphens (a DNS label)."}
        )
    reserved = {settings.BERTH_PORTAL_SUBDOMAIN, "www"} - {""}
    if name in reserved:
        raise ValidationError({"name": f"The name {name!r} is reserved."})
    return name


def clean_instances(value: object) -> int:
    top = settings.BERTH_MAX_INSTANCES
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise ValidationError({"instances": f"Choose 0 (stopped) to {top} instances."})
    return value


def clean_port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValidationError({"container_port": "The port is a number from 1 to 65535."})
    return value


def clean_env(env: object) -> dict[str, str]:
    if not isinstance(env, dict):
        raise ValidationError({"env": "Give the environment as an object of NAME: value."})
    cleaned: dict[str, str] = {}
    for key, value in env.items():
        if not isinstance(key, str) or not ENV_KEY_RE.match(key):
            raise ValidationError(
                {"env": f"{key!r} is not a variable name (letters, digits, _; not a digit first)."}
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError({"env": f"The value of {key} must be text or a number."})
        text = str(value)
        if "\x00" in text:
            raise ValidationError({"env": f"The value of {key} contains a NUL character."})
        cleaned[key] = text
    if sum(len(k) + len(v) for k, v in cleaned.items()) > MAX_ENV_BYTES:
        raise ValidationError({"env": "The environment is larger than 64 KB."})
    return cleaned


def parse_env_text(text: str) -> dict[str, str]:
    """``NAME=value`` lines (blank lines and ``#`` comments skipped), as in a .env file."""
    env: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValidationError({"env": f"Line {number} is not NAME=value."})
        env[key.strip()] = value
    return clean_env(env)


def clean_health_path(value: object) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not PATH_RE.match(value) or "'" in value:
        raise ValidationError(
            {"health_check_path": "Give a URL path starting with / (or leave it empty)."}
        )
    return value


def clean_placement(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValidationError({"placement": "Give node labels as an object of label: value."})
    cleaned: dict[str, str] = {}
    for key, label_value in value.items():
        if not isinstance(key, str) or not LABEL_RE.match(key):
            raise ValidationError({"placement": f"{key!r} is not a node label name."})
        if not isinstance(label_value, str) or not LABEL_VALUE_RE.match(label_value):
            raise ValidationError({"placement": f"The value of {key} is not a label value."})
        cleaned[key] = label_value
    return cleaned


def clean_cpu(field: str, value: object) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({field: "Give CPUs as a number, e.g. 0.5."}) from None
    if not 0.01 <= number <= 256:
        raise ValidationError({field: "Give between 0.01 and 256 CPUs."})
    return round(number, 3)


def clean_memory(field: str, value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 6 <= value <= 1024 * 1024:
        raise ValidationError({field: "Give memory in MB, at least 6."})
    return value


def check_resources(values: dict[str, Any]) -> None:
    pairs = (("cpu_reservation", "cpu_limit"), ("memory_reservation_mb", "memory_limit_mb"))
    for reserve, limit in pairs:
        low, high = values.get(reserve), values.get(limit)
        if low is not None and high is not None and low > high:
            raise ValidationError({reserve: "The reservation cannot exceed the limit."})


def clean_image(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"image": "Give an image reference, e.g. nginx:1.27."})
    image = value.strip()
    if len(image) > 300 or not IMAGE_RE.match(image):
        raise ValidationError({"image": f"{image!r} is not a valid image reference."})
    return image


def clean_secret_name(value: object) -> str:
    if not isinstance(value, str) or not SECRET_NAME_RE.match(value):
        raise ValidationError(
            {"name": "Use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit."}
        )
    return value


def clean_secret_value(value: object) -> str:
    if not isinstance(value, str) or value == "":
        raise ValidationError({"value": "Give the secret a value."})
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise ValidationError({"value": "A secret holds at most 500 KB."})
    return value
