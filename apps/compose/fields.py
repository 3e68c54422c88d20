"""Checks and canonical forms of single compose values; each raises FieldError with its path."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apps.compose.parse import ComposeError, join

DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$", re.IGNORECASE)
UNITS_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class FieldError(ComposeError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__({path: [message]})


def type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def string(value: object, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(path, f"Expected text, got {type_name(value)}.")
    return str(value)


def boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(path, f"Expected true or false, got {type_name(value)}.")
    return value


def integer(value: object, path: str, *, low: int = 0, high: int = 2**31) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldError(path, f"Expected a whole number from {low} to {high}.")
    return value


def mapping(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(path, f"Expected a mapping, got {type_name(value)}.")
    for key in value:
        if not isinstance(key, str):
            raise FieldError(join(path, key), "Keys must be text.")
    return value


def sequence(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(path, f"Expected a list, got {type_name(value)}.")
    return value


def strings(value: object, path: str, *, allow_single: bool = False) -> list[str]:
    if allow_single and isinstance(value, str):
        return [value]
    return [string(item, join(path, i)) for i, item in enumerate(sequence(value, path))]


def command(value: object, path: str) -> list[str]:
    """A command as a list; a string is split like a shell would (without expansions)."""
    import shlex

    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise FieldError(path, f"Cannot split the command: {exc}.") from None
    return strings(value, path)


def duration_ns(value: object, path: str) -> int:
    """Compose durations (``1m30s``, ``500ms``; a bare number is seconds) in nanoseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 10**9)
    text = string(value, path).strip()
    if not text:
        raise FieldError(path, "Expected a duration such as 10s or 1m30s.")
    total, pos = 0.0, 0
    for match in DURATION_RE.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * UNITS_NS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise FieldError(path, f"{text!r} is not a duration such as 10s or 1m30s.")
    return int(total)


def size_bytes(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = SIZE_RE.match(string(value, path).strip())
    if match is None:
        raise FieldError(path, f"{value!r} is not a size such as 512m or 1g.")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])


def key_values(value: object, path: str, *, what: str = "NAME=value") -> dict[str, str | None]:
    """A mapping, or a list of ``key=value`` (``key`` alone means no value)."""
    if isinstance(value, dict):
        out: dict[str, str | None] = {}
        for key, item in mapping(value, path).items():
            if item is None:
                out[key] = None
            elif isinstance(item, bool):
                out[key] = "true" if item else "false"
            else:
                out[key] = string(item, join(path, key))
        return out
    result: dict[str, str | None] = {}
    for index, item in enumerate(sequence(value, path)):
        text = string(item, join(path, index))
        key, sep, rest = text.partition("=")
        if not key:
            raise FieldError(join(path, index), f"Expected {what}.")
        result[key] = rest if sep else None
    return result


def port(value: object, path: str) -> list[dict[str, Any]]:
    """A ports entry as ``{target, published, protocol, mode, app_protocol}`` mappings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [
            {
                "target": integer(value, path, low=1, high=65535),
                "published": None,
                "protocol": "tcp",
                "mode": "",
                "app_protocol": "",
            }
        ]
    if isinstance(value, dict):
        entry = mapping(value, path)
        extra = sorted(
            set(entry)
            - {"target", "published", "protocol", "mode", "app_protocol", "name", "host_ip"}
        )
        if extra:
            raise FieldError(join(path, extra[0]), f"{extra[0]} is not a key of a port.")
        if "target" not in entry:
            raise FieldError(path, "A port needs its target (the container's port).")
        published = entry.get("published")
        protocol = string(entry.get("protocol", "tcp"), join(path, "protocol")).lower()
        if protocol not in ("tcp", "udp"):
            raise FieldError(join(path, "protocol"), "The protocol is tcp or udp.")
        mode = string(entry.get("mode", ""), join(path, "mode"))
        if mode not in ("", "host", "ingress"):
            raise FieldError(join(path, "mode"), "The mode is host or ingress.")
        return [
            {
                "target": integer(entry["target"], join(path, "target"), low=1, high=65535),
                "published": None
                if published in (None, "")
                else integer(published, join(path, "published"), low=1, high=65535),
                "protocol": protocol,
                "mode": mode,
                "app_protocol": string(
                    entry.get("app_protocol", ""), join(path, "app_protocol")
                ).lower(),
            }
        ]
    text = string(value, path)
    spec, _, protocol = text.partition("/")
    protocol = protocol.lower() or "tcp"
    if protocol not in ("tcp", "udp"):
        raise FieldError(path, f"{text!r}: the protocol is tcp or udp.")
    parts = spec.split(":")
    if len(parts) == 3:
        parts = parts[1:]  # a host IP: the swarm publishes on every address
    if len(parts) not in (1, 2) or not all(parts):
        raise FieldError(path, f"{text!r} is not a port such as 8080:80 or 80.")
    published, target = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])

    def numbers(part: str) -> list[int]:
        low, sep, high = part.partition("-")
        try:
            start, end = int(low), int(high) if sep else int(low)
        except ValueError:
            raise FieldError(path, f"{text!r} is not a port such as 8080:80 or 80.") from None
        if not 1 <= start <= end <= 65535 or end - start > 100:
            raise FieldError(path, f"{text!r}: ports are 1-65535 (ranges of at most 100).")
        return list(range(start, end + 1))

    targets = numbers(target)
    publisheds = numbers(published) if published else [None] * len(targets)
    if len(publisheds) != len(targets):
        raise FieldError(path, f"{text!r}: the two ranges differ in length.")
    return [
        {"target": t, "published": p, "protocol": protocol, "mode": "", "app_protocol": ""}
        for t, p in zip(targets, publisheds, strict=True)
    ]


def volume(value: object, path: str) -> dict[str, Any]:
    """A service's volumes entry as ``{type, source, target, read_only}``."""
    if isinstance(value, dict):
        entry = mapping(value, path)
        extra = sorted(
            set(entry)
            - {"type", "source", "target", "read_only", "volume", "tmpfs", "bind", "consistency"}
        )
        if extra:
            raise FieldError(join(path, extra[0]), f"{extra[0]} is not a key of a volume mount.")
        kind = string(entry.get("type", "volume"), join(path, "type"))
        if kind not in ("volume", "bind", "tmpfs"):
            raise FieldError(
                join(path, "type"), f"Mount type {kind!r} is not supported (volume, bind or tmpfs)."
            )
        target = string(entry.get("target", ""), join(path, "target"))
        source = (
            string(entry.get("source", ""), join(path, "source"))
            if entry.get("source") is not None
            else ""
        )
        read_only = boolean(entry.get("read_only", False), join(path, "read_only"))
        tmpfs_size = None
        if kind == "tmpfs" and isinstance(entry.get("tmpfs"), dict) and "size" in entry["tmpfs"]:
            tmpfs_size = size_bytes(entry["tmpfs"]["size"], join(join(path, "tmpfs"), "size"))
    else:
        text = string(value, path)
        parts = text.split(":")
        if len(parts) == 1:
            kind, source, target, options = "volume", "", parts[0], ""
        elif len(parts) in (2, 3):
            source, target = parts[0], parts[1]
            options = parts[2] if len(parts) == 3 else ""
            looks_like_path = source.startswith(("/", ".", "~"))
            kind = "bind" if looks_like_path else "volume"
        else:
            raise FieldError(path, f"{text!r} is not a volume such as data:/var/lib/data[:ro].")
        flags = {o for o in options.split(",") if o}
        unknown = flags - {"ro", "rw", "z", "Z", "nocopy"}
        if unknown:
            raise FieldError(path, f"{text!r}: unknown option {sorted(unknown)[0]!r}.")
        read_only = "ro" in flags
        tmpfs_size = None
    if not target.startswith("/"):
        raise FieldError(
            path, f"The mount target {target!r} must be an absolute path in the container."
        )
    return {
        "type": kind,
        "source": source,
        "target": target,
        "read_only": read_only,
        "tmpfs_size": tmpfs_size,
    }


def labels(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    raw = key_values(value, path, what="key=value")
    return {key: item or "" for key, item in raw.items()}


class Collector:
    """Problems found so far, by path; keys Berth does not support, by path."""

    def __init__(self, *, ignore_unsupported: bool) -> None:
        self.errors: dict[str, list[str]] = {}
        self.unsupported: list[str] = []
        self.ignore_unsupported = ignore_unsupported

    def add(self, exc: ComposeError) -> None:
        for key, messages in exc.errors.items():
            self.errors.setdefault(key, []).extend(messages)

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def run(self, fn: Callable[[], Any], default: Any = None) -> Any:
        try:
            return fn()
        except ComposeError as exc:
            self.add(exc)
            return default

    def known(self, value: dict[str, Any], allowed: set[str], path: str) -> dict[str, Any]:
        """``value`` without extension keys (x-...) and unsupported ones (which are noted)."""
        kept = {}
        for key, item in value.items():
            if key.startswith("x-") and key not in allowed:
                continue
            if key in allowed:
                kept[key] = item
                continue
            self.unsupported.append(join(path, key))
        return kept
