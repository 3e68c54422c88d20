"""Mounts in a deployment's settings and in the swarm service spec: pure functions.

A deployment records its mounts as plain entries (:func:`entry`), so a
rollback, a revert or the reconcile re-creates exactly the mounts that ran.
From those entries come the service's ``Mounts`` (a volume is created on
whichever node runs the task, from the mount's ``VolumeOptions``), the
placement on the node that holds a local volume's data, and the update order:
a volume with one writer means the old task stops before the new one starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

VOLUME = "volume"
BIND = "bind"


def entry(
    *,
    path: str,
    read_only: bool,
    volume: str = "",
    engine_name: str = "",
    driver: str = "local",
    options: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    on_node: bool = False,
    node_id: str = "",
    host_path: str = "",
) -> dict[str, Any]:
    """One mount as a deployment's settings keep it (JSON)."""
    if host_path:
        return {"kind": BIND, "source": host_path, "path": path, "read_only": read_only}
    return {
        "kind": VOLUME,
        "volume": volume,
        "source": engine_name,
        "path": path,
        "read_only": read_only,
        "driver": driver,
        "options": dict(options or {}),
        "labels": dict(labels or {}),
        "on_node": on_node,
        "node_id": node_id,
    }


def engine_mount(item: dict[str, Any]) -> dict[str, Any]:
    """The Engine API's Mount for an entry."""
    mount: dict[str, Any] = {
        "Type": item["kind"],
        "Source": item["source"],
        "Target": item["path"],
        "ReadOnly": bool(item.get("read_only")),
    }
    if item["kind"] == VOLUME:
        driver: dict[str, Any] = {"Name": item.get("driver") or "local"}
        if item.get("options"):
            driver["Options"] = dict(sorted(item["options"].items()))
        mount["VolumeOptions"] = {
            "Labels": dict(sorted((item.get("labels") or {}).items())),
            "DriverConfig": driver,
        }
    return mount


def engine_mounts(entries: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    return tuple(engine_mount(item) for item in sorted(entries, key=lambda m: m["path"]))


def constraints(entries: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """Run where the data is: one ``node.id==`` per node holding a mounted local volume."""
    nodes = {
        item["node_id"]
        for item in entries
        if item["kind"] == VOLUME and item.get("on_node") and item.get("node_id")
    }
    return tuple(f"node.id=={node}" for node in sorted(nodes))


def single_writer(entries: Iterable[dict[str, Any]]) -> bool:
    """A volume on one node's disk, mounted read-write: two tasks must not write it at once."""
    return any(
        item["kind"] == VOLUME and item.get("on_node") and not item.get("read_only")
        for item in entries
    )
