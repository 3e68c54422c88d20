"""Writing the Node table from the engine (the only writer of Node rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from nodes.models import Node, NodeState
from paas import transport


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    removed: int
    total: int


def node_fields(attrs: dict[str, Any]) -> dict[str, Any]:
    """Node row fields from the engine's node description (pure)."""
    spec = attrs.get("Spec") or {}
    description = attrs.get("Description") or {}
    resources = description.get("Resources") or {}
    status = attrs.get("Status") or {}
    manager = attrs.get("ManagerStatus") or {}
    state = str(status.get("State") or "unknown")
    address = str(status.get("Addr") or "")
    if address in ("", "0.0.0.0") and manager.get("Addr"):  # noqa: S104 - reported, not bound
        address = str(manager["Addr"]).rsplit(":", 1)[0]
    return {
        "hostname": str(description.get("Hostname") or ""),
        "role": str(spec.get("Role") or "worker"),
        "availability": str(spec.get("Availability") or "active"),
        "state": state if state in NodeState.values else NodeState.UNKNOWN,
        "leader": bool(manager.get("Leader")),
        "address": address,
        "engine_version": str((description.get("Engine") or {}).get("EngineVersion") or ""),
        "labels": dict(spec.get("Labels") or {}),
        "cpus": round(int(resources.get("NanoCPUs") or 0) / 1e9, 2),
        "memory_bytes": int(resources.get("MemoryBytes") or 0),
    }


def sync_nodes() -> SyncResult:
    """Record every node of the swarm; rows of nodes that left are removed."""
    nodes = transport.call(transport.client().nodes.list)
    seen: set[str] = set()
    added = updated = 0
    now = timezone.now()
    with transaction.atomic():
        for node in nodes:
            node_id = str(node.id)
            seen.add(node_id)
            fields = {**node_fields(node.attrs), "synced_at": now}
            _, created = Node.objects.update_or_create(node_id=node_id, defaults=fields)
            if created:
                added += 1
            else:
                updated += 1
        removed, _ = Node.objects.exclude(node_id__in=seen).delete()
    return SyncResult(added=added, updated=updated, removed=removed, total=len(seen))
