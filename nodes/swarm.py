"""Joining Berth to the engine's swarm: initialise one only when there is none.

Berth never leaves, re-initialises or takes over a swarm: on an engine that is
already a manager it adopts the swarm as it is.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from paas import transport


class SwarmError(Exception):
    """The engine's swarm cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class SwarmInfo:
    node_id: str
    initialised: bool
    advertise_addr: str
    managers: int
    nodes: int


def default_address() -> str:
    """The address of the interface holding the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        return str(probe.getsockname()[0])


def advertise_address() -> str:
    configured = settings.BERTH_ADVERTISE_ADDR
    if configured:
        return str(configured)
    return default_address()


def check_advertise_setting() -> str | None:
    value = settings.BERTH_ADVERTISE_ADDR
    if not value:
        return None
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # The engine also accepts an interface name such as eth0.
        if not host.replace("-", "").replace(".", "").isalnum():
            return f"BERTH_ADVERTISE_ADDR {value!r} is neither an address nor an interface name"
    return None


def swarm_state() -> dict[str, Any]:
    info: dict[str, Any] = transport.call(transport.client().info)
    swarm: dict[str, Any] = info.get("Swarm") or {}
    return swarm


def ensure_swarm() -> SwarmInfo:
    """Adopt the engine's swarm, or initialise one when the engine is in none."""
    swarm = swarm_state()
    local = swarm.get("LocalNodeState", "inactive")
    initialised = False
    if local == "inactive":
        address = advertise_address()
        try:
            transport.call(transport.client().swarm.init, advertise_addr=address, retries=0)
        except transport.EngineError as exc:
            raise SwarmError(
                f"could not initialise a swarm advertising {address}: {exc} "
                "(set BERTH_ADVERTISE_ADDR to an address of this host)"
            ) from exc
        initialised = True
        swarm = swarm_state()
    elif local != "active":
        raise SwarmError(
            f"the engine's swarm is {local!r}; Berth will not touch it. Fix the swarm "
            "(docker swarm unlock, or finish joining) and run bootstrap again."
        )
    if not swarm.get("ControlAvailable"):
        raise SwarmError(
            "this engine is a swarm worker, not a manager; point DOCKER_HOST at a manager"
        )
    return SwarmInfo(
        node_id=str(swarm.get("NodeID", "")),
        initialised=initialised,
        advertise_addr=str(swarm.get("NodeAddr", "")),
        managers=int(swarm.get("Managers") or 0),
        nodes=int(swarm.get("Nodes") or 0),
    )
