"""Checks of what users ask of volumes and mounts; each raises ValidationError keyed by field.

Driver options go to the engine as they are, so they are checked here: plain
keys, values without control characters, and for the local driver only the
options it knows. A local volume that bind-mounts a host path or mounts a
host device is host access like any bind mount: it goes through
:mod:`paas.policy`, the one check the portal, the API and compose share.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from django.core.exceptions import ValidationError

from apps.volumes.models import LOCAL, MEMORY_TYPES, NETWORK_TYPES, VOLUME_NAME_PATTERN
from paas import policy

NAME_RE = re.compile(VOLUME_NAME_PATTERN)
DRIVER_RE = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,99}(:[A-Za-z0-9._-]{1,64})?$")
OPTION_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
FS_TYPE_RE = re.compile(r"^[a-z0-9]{1,20}$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
PATH_RE = re.compile(r"^/[A-Za-z0-9._@+=~-][A-Za-z0-9._@+=~/-]{0,253}$")
LOCAL_OPTIONS = frozenset({"type", "o", "device"})
RESERVED_LABELS = ("com.docker.", "io.docker.", "org.dockerproject.", "berth.")
# Inside the container: these are the kernel's or Docker's own.
RESERVED_PATHS = ("/proc", "/sys", "/dev", "/run/secrets")
MAX_OPTIONS = 20
MAX_LABELS = 50
MAX_VALUE = 1000
# Values of these mount options are not shown back (CIFS/SMB credentials).
SENSITIVE_OPTIONS = ("password", "pass", "credentials", "secret", "token", "key")
MASK = "••••••"


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError({"name": "Give the volume a name."})
    if len(name) > 63:
        raise ValidationError({"name": "Use at most 63 characters."})
    if name != name.lower():
        raise ValidationError({"name": "Use lowercase letters."})
    if not NAME_RE.match(name):
        raise ValidationError(
            {
                "name": "Use lowercase letters, digits, hyphens and underscores, "
                "starting and ending with a letter or digit."
            }
        )
    return name


def clean_driver(driver: object) -> str:
    if driver in (None, ""):
        return LOCAL
    if not isinstance(driver, str) or not DRIVER_RE.match(driver):
        raise ValidationError(
            {
                "driver": "Give a volume driver's name, e.g. local or a plugin such as "
                "vieux/sshfs:latest (lowercase letters, digits, . _ / -)."
            }
        )
    return driver


def _text(field: str, what: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError({field: f"{what} must be text."})
    text = str(value)
    if len(text) > MAX_VALUE:
        raise ValidationError({field: f"{what} is longer than {MAX_VALUE} characters."})
    if CONTROL_RE.search(text):
        raise ValidationError({field: f"{what} contains a line break or a control character."})
    return text


def mount_flags(options: dict[str, str]) -> list[str]:
    """The ``o=`` mount flags, one per comma (``addr=...`` keeps its value)."""
    return [flag.strip() for flag in options.get("o", "").split(",") if flag.strip()]


def clean_driver_options(driver: str, options: object, *, trusted: bool) -> dict[str, str]:
    if options in (None, ""):
        return {}
    if not isinstance(options, dict):
        raise ValidationError(
            {"driver_options": "Give the driver options as an object of key: value."}
        )
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"driver_options": f"At most {MAX_OPTIONS} driver options."})
    cleaned: dict[str, str] = {}
    for key, value in options.items():
        if not isinstance(key, str) or not OPTION_KEY_RE.match(key):
            raise ValidationError(
                {
                    "driver_options": f"{key!r} is not an option name "
                    "(letters, digits, . _ -; up to 64)."
                }
            )
        cleaned[key] = _text("driver_options", f"The option {key}", value)
    if driver == LOCAL:
        check_local_options(cleaned, trusted=trusted)
    return cleaned


def check_local_options(options: dict[str, str], *, trusted: bool) -> None:
    """The local driver's options: known keys, and host access only as the policy allows."""
    unknown = sorted(set(options) - LOCAL_OPTIONS)
    if unknown:
        raise ValidationError(
            {
                "driver_options": f"The local driver knows only type, o and device; "
                f"not {', '.join(unknown)}."
            }
        )
    if not options:
        return
    fs_type = options.get("type", "")
    if not fs_type:
        raise ValidationError(
            {"driver_options": "Give the type with the other options (e.g. type=nfs or tmpfs)."}
        )
    if not FS_TYPE_RE.match(fs_type):
        raise ValidationError(
            {"driver_options": f"{fs_type!r} is not a file system type (e.g. nfs, cifs, tmpfs)."}
        )
    device = options.get("device", "")
    rules = policy.rules_for(trusted=trusted)
    if {"bind", "rbind"} & set(mount_flags(options)):
        # type=none,o=bind,device=/path is a bind mount of a host path under another name.
        if not device:
            raise ValidationError({"driver_options": "A bind volume needs device= (a host path)."})
        refusal = policy.check_bind_mount(device, rules)
        if refusal is not None:
            raise ValidationError({"driver_options": refusal.message})
        return
    if fs_type in NETWORK_TYPES | MEMORY_TYPES:
        if fs_type in NETWORK_TYPES and not device:
            raise ValidationError(
                {"driver_options": f"A {fs_type} volume needs device= (the remote share)."}
            )
        return
    if device.startswith("/"):
        # A block device of the host (type=ext4,device=/dev/sdb1).
        refusals = policy.check(policy.HostAccess(devices=(device,)), rules)
        if refusals:
            raise ValidationError({"driver_options": refusals[0].message})


def clean_labels(labels: object) -> dict[str, str]:
    if labels in (None, ""):
        return {}
    if not isinstance(labels, dict):
        raise ValidationError({"labels": "Give the labels as an object of key: value."})
    if len(labels) > MAX_LABELS:
        raise ValidationError({"labels": f"At most {MAX_LABELS} labels."})
    cleaned: dict[str, str] = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not LABEL_KEY_RE.match(key):
            raise ValidationError(
                {
                    "labels": f"Label {key!r}: 1-100 letters, digits, dots, dashes or "
                    "underscores, starting and ending with a letter or digit."
                }
            )
        if key.lower().startswith(RESERVED_LABELS):
            raise ValidationError({"labels": f"Label {key!r} is reserved for Docker or Berth."})
        cleaned[key] = _text("labels", f"The label {key}", value)
    return cleaned


def clean_path(path: object) -> str:
    """A path inside the container: absolute, tidy, and not the kernel's or Docker's."""
    if not isinstance(path, str) or not path:
        raise ValidationError({"path": "Give the path inside the container, e.g. /data."})
    if not path.startswith("/"):
        raise ValidationError({"path": "The path must be absolute, e.g. /data."})
    tidy = posixpath.normpath(path)
    if tidy == "/":
        raise ValidationError(
            {"path": "A volume cannot replace the container's whole file system."}
        )
    if tidy != path.rstrip("/") or "//" in path:
        raise ValidationError({"path": f"Write the path without . or .. parts: {tidy}."})
    if not PATH_RE.match(tidy):
        raise ValidationError(
            {"path": "Use letters, digits and . _ - @ + = ~ in the path (no spaces or commas)."}
        )
    for reserved in RESERVED_PATHS:
        if tidy == reserved or tidy.startswith(reserved + "/"):
            raise ValidationError({"path": f"{reserved} belongs to the container runtime."})
    return tidy


def clean_host_path(host_path: object, *, trusted: bool) -> str:
    if not isinstance(host_path, str) or not host_path:
        raise ValidationError({"host_path": "Give the host path to mount."})
    if CONTROL_RE.search(host_path) or "," in host_path or len(host_path) > 500:
        raise ValidationError({"host_path": "The host path has characters a mount cannot take."})
    refusal = policy.check_bind_mount(host_path, policy.rules_for(trusted=trusted))
    if refusal is not None:
        raise ValidationError({"host_path": refusal.message})
    return policy.normalise_host_path(host_path) or host_path


def clean_read_only(value: Any) -> bool:
    if value in (None, ""):
        return False
    if not isinstance(value, bool):
        raise ValidationError({"read_only": "Give true or false."})
    return value


def masked_options(options: dict[str, str]) -> dict[str, str]:
    """Driver options fit to show or log: credentials in ``o=`` are masked."""

    def mask_flag(flag: str) -> str:
        key, sep, _ = flag.partition("=")
        if sep and key.strip().lower() in SENSITIVE_OPTIONS:
            return f"{key}={MASK}"
        return flag

    shown = {}
    for key, value in options.items():
        if key.lower() in SENSITIVE_OPTIONS:
            shown[key] = MASK
        elif key == "o":
            shown[key] = ",".join(mask_flag(flag) for flag in value.split(","))
        else:
            shown[key] = value
    return shown
