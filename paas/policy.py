"""What a team may ask of the host: the one policy check shared by the portal,
the API and the compose translation.

Anything that gives root on the host (bind mounts outside the operator's
allowed prefixes, the docker socket, privileged mode, host network/pid/ipc,
devices, dangerous capabilities, host ports outside the allowed range) is
refused for a team unless an operator marked it trusted. Even a trusted team
binds host paths only under ``BERTH_BIND_PREFIXES``.

The functions are pure: callers describe the request as a :class:`HostAccess`
and get back a list of :class:`Refusal` (empty means allowed).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

# Docker's default capability set: asking for these again changes nothing.
SAFE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


@dataclass(frozen=True)
class HostAccess:
    """The host-level features one service asks for."""

    bind_mounts: Sequence[str] = ()
    host_ports: Sequence[int] = ()
    cap_add: Sequence[str] = ()
    privileged: bool = False
    network_mode: str = ""
    pid_mode: str = ""
    ipc_mode: str = ""
    devices: Sequence[str] = ()
    security_opt: Sequence[str] = ()
    sysctls: Sequence[str] = ()


@dataclass(frozen=True)
class Rules:
    """The operator's settings the checks depend on."""

    trusted: bool = False
    bind_prefixes: Sequence[str] = ()
    port_range: tuple[int, int] = (10000, 20000)


def parse_port_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        start, end = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"A port range looks like 10000-20000, got {text!r}") from None
    if not 1 <= start <= end <= 65535:
        raise ValueError(f"A port range must lie within 1-65535, got {text!r}")
    return start, end


def rules_for(*, trusted: bool) -> Rules:
    from django.conf import settings

    return Rules(
        trusted=trusted,
        bind_prefixes=tuple(settings.BERTH_BIND_PREFIXES),
        port_range=parse_port_range(settings.BERTH_HOST_PORT_RANGE),
    )


def normalise_host_path(path: str) -> str | None:
    """The normalised absolute path, or None when the path is not absolute."""
    if not path.startswith("/"):
        return None
    return posixpath.normpath(path)


def _under(path: str, prefix: str) -> bool:
    prefix = posixpath.normpath(prefix)
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def check_bind_mount(source: str, rules: Rules) -> Refusal | None:
    path = normalise_host_path(source)
    if path is None:
        return Refusal("bind_mounts", f"Host path {source!r} must be absolute.")
    if any(_under(sock, path) or path == sock for sock in DOCKER_SOCKETS) and not rules.trusted:
        return Refusal(
            "bind_mounts", "The Docker socket gives root on the host and cannot be mounted."
        )
    if not rules.trusted:
        return Refusal(
            "bind_mounts",
            f"Host path {path} cannot be mounted: host bind mounts need a team an operator trusts; "
            "use a volume instead.",
        )
    if not any(_under(path, prefix) for prefix in rules.bind_prefixes):
        allowed = ", ".join(rules.bind_prefixes) or "none configured"
        return Refusal(
            "bind_mounts",
            f"Host path {path} is outside the allowed prefixes ({allowed}); see BERTH_BIND_PREFIXES.",
        )
    return None


def _flag(name: str, value: str | bool, what: str) -> Refusal:
    return Refusal(name, f"{what} ({value}) gives access to the host and needs a trusted team.")


def check(access: HostAccess, rules: Rules) -> list[Refusal]:
    """Every refusal for ``access`` under ``rules`` (empty: allowed)."""
    refusals: list[Refusal] = []
    for source in access.bind_mounts:
        refusal = check_bind_mount(source, rules)
        if refusal:
            refusals.append(refusal)
    low, high = rules.port_range
    for port in access.host_ports:
        if not 1 <= port <= 65535:
            refusals.append(Refusal("host_ports", f"Port {port} is not a valid port."))
        elif not rules.trusted and not low <= port <= high:
            refusals.append(
                Refusal(
                    "host_ports", f"Host port {port} is outside the allowed range {low}-{high}."
                )
            )
    if rules.trusted:
        return refusals
    dangerous = sorted({c.upper().removeprefix("CAP_") for c in access.cap_add} - SAFE_CAPABILITIES)
    if dangerous:
        refusals.append(
            Refusal("cap_add", f"Capabilities {', '.join(dangerous)} need a trusted team.")
        )
    if access.privileged:
        refusals.append(_flag("privileged", True, "Privileged mode"))
    for name, value, what in (
        ("network_mode", access.network_mode, "Host networking"),
        ("pid", access.pid_mode, "The host PID namespace"),
        ("ipc", access.ipc_mode, "The host IPC namespace"),
    ):
        if value == "host":
            refusals.append(_flag(name, value, what))
    if access.devices:
        refusals.append(_flag("devices", ", ".join(access.devices), "Host devices"))
    unconfined = [
        o for o in access.security_opt if "unconfined" in o or o.startswith("label:disable")
    ]
    if unconfined:
        refusals.append(_flag("security_opt", ", ".join(unconfined), "Disabling confinement"))
    if access.sysctls:
        refusals.append(_flag("sysctls", ", ".join(access.sysctls), "Kernel parameters"))
    return refusals


def enforce(access: HostAccess, rules: Rules, *, prefix: str = "") -> None:
    """Raise a ValidationError keyed by field (``prefix.field``) when anything is refused."""
    refusals = check(access, rules)
    if refusals:
        raise_refusals(refusals, prefix=prefix)


def raise_refusals(refusals: Iterable[Refusal], *, prefix: str = "") -> None:
    errors: dict[str, list[str]] = {}
    for refusal in refusals:
        key = f"{prefix}.{refusal.field}" if prefix else refusal.field
        errors.setdefault(key, []).append(refusal.message)
    if errors:
        raise ValidationError(errors)
