"""The swarm operations on nodes, all through :mod:`paas.transport` (plain values in and out)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from paas.transport import EngineError, NotFound, call, client

ROLES = ("worker", "manager")


class NodeRefused(Exception):
    """Berth will not do this to the node (the last manager, its own engine...)."""


@dataclass(frozen=True)
class SwarmFacts:
    cluster_id: str
    local_node_id: str
    manager_addr: str  # host:port other engines join
    tokens: dict[str, str]


def api() -> Any:
    return client().api


def swarm_facts() -> SwarmFacts:
    info = call(api().info)
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        raise EngineError("Berth's engine is not a swarm manager: run `manage.py bootstrap` first.")
    local = str(swarm.get("NodeID", ""))
    managers = swarm.get("RemoteManagers") or []
    addr = next((m["Addr"] for m in managers if m.get("NodeID") == local), "")
    if not addr:
        addr = f"{swarm.get('NodeAddr')}:2377"
    inspect = call(api().inspect_swarm)
    return SwarmFacts(
        cluster_id=str(inspect.get("ID", "")),
        local_node_id=local,
        manager_addr=str(addr),
        tokens={
            "worker": str(inspect["JoinTokens"]["Worker"]),
            "manager": str(inspect["JoinTokens"]["Manager"]),
        },
    )


def join_command(role: str, facts: SwarmFacts | None = None) -> str:
    facts = facts or swarm_facts()
    return f"docker swarm join --token {facts.tokens[role]} {facts.manager_addr}"


def rotate_token(role: str) -> None:
    inspect = call(api().inspect_swarm)
    call(
        api().update_swarm,
        version=inspect["Version"]["Index"],
        rotate_worker_token=role == "worker",
        rotate_manager_token=role == "manager",
        retries=0,
    )


def nodes() -> list[dict[str, Any]]:
    return list(call(api().nodes))


def inspect_node(node_id: str) -> dict[str, Any] | None:
    try:
        return dict(call(api().inspect_node, node_id))
    except NotFound:
        return None


def update_node(node_id: str, **changes: Any) -> dict[str, Any]:
    """Change ``Role``, ``Availability`` or ``Labels`` of the node's spec, keeping the rest."""
    current = inspect_node(node_id)
    if current is None:
        raise NotFound(f"The node {node_id} is no longer in the swarm.")
    spec = dict(current["Spec"])
    spec.update(changes)
    call(api().update_node, node_id, current["Version"]["Index"], spec, retries=0)
    return inspect_node(node_id) or current


def managers() -> list[dict[str, Any]]:
    return [n for n in nodes() if (n.get("Spec") or {}).get("Role") == "manager"]


def check_not_last_manager(node_id: str, doing: str) -> None:
    node = inspect_node(node_id)
    if node is None or (node.get("Spec") or {}).get("Role") != "manager":
        return
    reachable = [
        m
        for m in managers()
        if (m.get("ManagerStatus") or {}).get("Reachability") == "reachable" and m["ID"] != node_id
    ]
    if not reachable:
        raise NodeRefused(
            f"Berth will not {doing} the last manager: promote another node to manager first."
        )


def check_not_local(node_id: str, doing: str) -> None:
    if node_id == swarm_facts().local_node_id:
        raise NodeRefused(
            f"Berth will not {doing} the node its own engine runs on "
            "(it would lose the swarm); do it from another manager."
        )


def tasks(**filters: str) -> list[dict[str, Any]]:
    return list(call(api().tasks, filters=filters))


def running_tasks_on(node_id: str) -> list[dict[str, Any]]:
    found = tasks(node=node_id, **{"desired-state": "running"})
    return [t for t in found if (t.get("Status") or {}).get("State") in ("running", "starting")]


def services(label: str | None = None) -> list[dict[str, Any]]:
    filters = {"label": label} if label else None
    return list(call(api().services, filters=filters))


def remove_node(node_id: str, *, force: bool = False) -> None:
    call(api().remove_node, node_id, force=force, retries=0)


def wait_node_state(node_id: str, state: str, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        node = inspect_node(node_id)
        if node is None or (node.get("Status") or {}).get("State") == state:
            return True
        time.sleep(0.5)
    return False
