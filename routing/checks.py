"""Checks bootstrap runs before it changes anything: bad settings are refused whole."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

from django.conf import settings

from nodes import swarm
from paas import naming, transport
from routing.routes import hostname_error, is_label


class BootstrapError(Exception):
    """Bootstrap cannot go on; the message says what to change."""


def port_free_on_host(port: int) -> bool:
    """Whether nothing listens on ``port`` here (tried by binding it, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 - a probe, closed at once
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def published_ports(service_attrs: dict[str, Any]) -> set[int]:
    """Host ports a swarm service publishes (in its spec or as the engine reports)."""
    found: set[int] = set()
    for source in (
        (service_attrs.get("Spec") or {}).get("EndpointSpec") or {},
        service_attrs.get("Endpoint") or {},
    ):
        for port in source.get("Ports") or []:
            if port.get("PublishedPort"):
                found.add(int(port["PublishedPort"]))
    return found


def _engine_is_local() -> bool:
    host = settings.DOCKER_HOST or ""
    return host == "" or host.startswith("unix://")


def _gateway_ports() -> dict[str, int]:
    return {
        "BERTH_GATEWAY_HTTP_PORT": settings.BERTH_GATEWAY_HTTP_PORT,
        "BERTH_GATEWAY_HTTPS_PORT": settings.BERTH_GATEWAY_HTTPS_PORT,
    }


def _port_range_problems() -> list[str]:
    """What is wrong with the port settings themselves, without asking anyone."""
    if settings.BERTH_GATEWAY != "nginx":
        return []
    ports = _gateway_ports()
    problems = [
        f"{name} must be between 1 and 65535, got {port}"
        for name, port in ports.items()
        if not isinstance(port, int) or not 1 <= port <= 65535
    ]
    if not problems and ports["BERTH_GATEWAY_HTTP_PORT"] == ports["BERTH_GATEWAY_HTTPS_PORT"]:
        problems.append("BERTH_GATEWAY_HTTP_PORT and BERTH_GATEWAY_HTTPS_PORT must differ")
    return problems


def _port_problems() -> list[str]:
    ports = _gateway_ports()
    problems = _port_range_problems()
    if problems:
        return problems
    ours: set[int] = set()
    holders: dict[int, str] = {}
    if swarm.swarm_state().get("ControlAvailable"):
        for service in transport.call(transport.client().services.list):
            held = published_ports(service.attrs)
            labels = service.attrs["Spec"].get("Labels") or {}
            mine = (
                service.name == naming.gateway_service()
                and labels.get(naming.NAMESPACE_LABEL) == naming.namespace()
            )
            if mine:
                ours |= held
            else:
                holders.update(dict.fromkeys(held, service.name))
    for name, port in ports.items():
        if port in holders:
            problems.append(
                f"{name}={port}: the port is published by the swarm service {holders[port]!r}; "
                "choose another port (Berth runs beside other proxies on any free port)"
            )
        elif port not in ours and _engine_is_local() and not port_free_on_host(port):
            problems.append(
                f"{name}={port}: something on this host already listens on the port; "
                "choose another port"
            )
    return problems


def _image_problem() -> str | None:
    """The gateway image must be on this engine (the gateway runs on this node), or pullable."""
    image = settings.BERTH_GATEWAY_IMAGE
    try:
        transport.call(transport.client().images.get, image, retries=0)
        return None
    except transport.NotFound:
        pass
    if not getattr(settings, "BERTH_PULL_IMAGES", True):
        return f"BERTH_GATEWAY_IMAGE {image!r} is not on this engine (and pulling is off)"
    try:
        transport.call(transport.client().images.pull, image, retries=0)
    except transport.EngineError as exc:
        return (
            f"BERTH_GATEWAY_IMAGE {image!r} is not on this engine and could not be pulled "
            f"({exc}); load or build it there, or name another image"
        )
    return None


def check_settings() -> None:
    """Raise :class:`BootstrapError` listing every setting bootstrap cannot use."""
    problems: list[str] = []
    root = settings.BERTH_ROOT_DOMAIN
    if root != "localhost":
        problem = hostname_error(root)
        if problem or root.startswith("*"):
            problems.append(f"BERTH_ROOT_DOMAIN {root!r} is not a domain name: {problem}")
    namespace = settings.BERTH_NAMESPACE
    if not is_label(namespace) or len(namespace) > 20:
        problems.append(
            f"BERTH_NAMESPACE {namespace!r} must be 1-20 lowercase letters, digits or hyphens"
        )
    if settings.BERTH_NETWORK_SUBNET:
        try:
            ipaddress.IPv4Network(settings.BERTH_NETWORK_SUBNET)
        except ValueError as exc:
            problems.append(f"BERTH_NETWORK_SUBNET {settings.BERTH_NETWORK_SUBNET!r}: {exc}")
    advertise = swarm.check_advertise_setting()
    if advertise:
        problems.append(advertise)
    if settings.BERTH_PORTAL_SUBDOMAIN and not is_label(settings.BERTH_PORTAL_SUBDOMAIN):
        problems.append("BERTH_PORTAL_SUBDOMAIN must be a DNS label")
    if problems:
        # Settings first: the engine checks below would only add noise.
        raise BootstrapError("\n".join(problems))
    if not transport.ping():
        where = settings.DOCKER_HOST or "the local socket"
        problems.append(
            f"The Docker engine at {where} does not answer: start it, or set DOCKER_HOST"
        )
        raise BootstrapError("\n".join(problems + _port_range_problems()))
    if settings.BERTH_GATEWAY == "nginx":
        problems += _port_problems()
        if not settings.BERTH_GATEWAY_IMAGE:
            problems.append("BERTH_GATEWAY_IMAGE must name the nginx image")
        else:
            image = _image_problem()
            if image:
                problems.append(image)
    if problems:
        raise BootstrapError("\n".join(problems))
