"""Writing Node rows from the engine, and the operators' node actions.

Quick changes (availability pause/active, role, labels, engine access) are made
on the engine at once and the row re-synced; long ones (join, drain, remove)
become a :class:`NodeOperation` run by the worker, enqueued after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nodes import access, cluster
from nodes.labels import validate_labels
from nodes.models import (
    OPERATION_ACTIVE,
    Availability,
    Node,
    NodeOperation,
    NodeRole,
    NodeState,
    OperationKind,
    OperationStatus,
    SshHostKey,
)
from paas import audit, naming
from paas.access import Principal
from paas.transport import EngineError

MISSING_IMAGE = ("No such image", "manifest unknown", "pull access denied", "not found")
PROBLEM_WINDOW = timedelta(minutes=10)


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


def tasks_by_node(
    services: list[dict[str, Any]], tasks: list[dict[str, Any]], *, now: Any = None
) -> tuple[dict[str, list[dict[str, str]]], dict[str, list[str]]]:
    """Berth's running tasks per node, and recent missing-image failures per node (pure)."""
    now = now or timezone.now()
    names = {s["ID"]: s for s in services}
    running: dict[str, list[dict[str, str]]] = {}
    problems: dict[str, list[str]] = {}
    for task in tasks:
        service = names.get(task.get("ServiceID", ""))
        node_id = str(task.get("NodeID") or "")
        if service is None or not node_id:
            continue
        spec = service.get("Spec") or {}
        labels = spec.get("Labels") or {}
        status = task.get("Status") or {}
        state = str(status.get("State") or "")
        entry = {
            "service": str(spec.get("Name", "")),
            "app": str(labels.get(naming.APP_LABEL, "")),
            "state": state,
        }
        if task.get("DesiredState") == "running" and state in ("running", "starting", "preparing"):
            running.setdefault(node_id, []).append(entry)
        error = str(status.get("Err") or "")
        when = parse_datetime(str(status.get("Timestamp") or ""))
        if (
            state in ("rejected", "failed")
            and any(marker in error for marker in MISSING_IMAGE)
            and (when is None or now - when < PROBLEM_WINDOW)
        ):
            text = f"{entry['app'] or entry['service']}: {error}"
            if text not in problems.get(node_id, []):
                problems.setdefault(node_id, []).append(text)
    for entries in running.values():
        entries.sort(key=lambda e: (e["app"], e["service"]))
    return running, problems


def sync_nodes() -> SyncResult:
    """Record every node of the swarm and Berth's tasks on it; rows of nodes that left go."""
    engine_nodes = cluster.nodes()
    label = f"{naming.NAMESPACE_LABEL}={naming.namespace()}"
    ours = cluster.services(label)
    all_tasks = cluster.tasks() if ours else []
    running, problems = tasks_by_node(ours, all_tasks)
    seen: set[str] = set()
    added = updated = 0
    now = timezone.now()
    with transaction.atomic():
        for attrs in engine_nodes:
            node_id = str(attrs["ID"])
            seen.add(node_id)
            fields = {
                **node_fields(attrs),
                "synced_at": now,
                "berth_tasks": running.get(node_id, []),
                "image_problem": "\n".join(problems.get(node_id, [])),
            }
            _, created = Node.objects.update_or_create(node_id=node_id, defaults=fields)
            if created:
                added += 1
            else:
                updated += 1
        removed, _ = Node.objects.exclude(node_id__in=seen).delete()
    return SyncResult(added=added, updated=updated, removed=removed, total=len(seen))


def reap_operations(now: Any = None) -> int:
    """Fail operations whose worker died (running too long) or that no worker took."""
    from django.conf import settings

    now = now or timezone.now()
    longest = timedelta(
        seconds=settings.BERTH_NODE_JOIN_TIMEOUT + 2 * settings.BERTH_NODE_DRAIN_TIMEOUT + 300
    )
    stale = NodeOperation.objects.filter(
        status=OperationStatus.RUNNING, started_at__lt=now - longest
    ).update(
        status=OperationStatus.FAILED,
        error="The worker running this operation stopped; check the node and try again.",
        finished_at=now,
        secret_encrypted="",
    )
    lost = NodeOperation.objects.filter(
        status=OperationStatus.QUEUED, created_at__lt=now - timedelta(minutes=30)
    ).update(
        status=OperationStatus.FAILED,
        error="No worker picked this operation up within 30 minutes; is the worker running?",
        finished_at=now,
        secret_encrypted="",
    )
    return stale + lost


# --- the operators' actions ------------------------------------------------------


def require_operator(principal: Principal) -> None:
    user = principal.user
    if principal.token is not None or user is None or not getattr(user, "is_staff", False):
        raise PermissionDenied("Nodes are managed by operators (staff accounts).")


def _active_operation(node: Node) -> NodeOperation | None:
    return node.operations.filter(status__in=OPERATION_ACTIVE).first()


def _enqueue(operation: NodeOperation) -> None:
    from nodes.tasks import run_operation as run_operation_task

    transaction.on_commit(lambda: run_operation_task.delay(operation.pk))


def _start(
    principal: Principal,
    kind: str,
    *,
    node: Node | None = None,
    params: dict[str, Any] | None = None,
    secret: dict[str, str] | None = None,
) -> NodeOperation:
    if node is not None:
        busy = _active_operation(node)
        if busy is not None:
            raise ValidationError(
                {"node": f"{busy.get_kind_display()} is already running on this node; wait for it."}
            )
    operation = NodeOperation.objects.create(
        kind=kind,
        node=node,
        node_ref=node.node_id if node else "",
        params=params or {},
        secret_encrypted=access.seal(secret or {}),
        created_by=principal.label[:150],
    )
    audit.record(
        principal,
        f"node.{kind}",
        target=node or operation.target,
        target_type="node",
        data={"operation": operation.pk, **(params or {})},
    )
    _enqueue(operation)
    return operation


def _engine_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except cluster.NodeRefused as exc:
        raise ValidationError({"node": str(exc)}) from None
    except EngineError as exc:
        raise ValidationError({"node": f"The engine refused: {exc}"}) from None


def resync(node: Node) -> Node:
    sync_nodes()
    return Node.objects.filter(pk=node.pk).first() or node


def set_availability(
    *, principal: Principal, node: Node, availability: str
) -> NodeOperation | None:
    """``drain`` starts a drain operation (tasks move away); ``active`` and ``pause`` are at once."""
    require_operator(principal)
    if availability not in Availability.values:
        raise ValidationError({"availability": f"One of {', '.join(Availability.values)}."})
    if availability == Availability.DRAIN:
        return start_drain(principal=principal, node=node)
    _engine_call(cluster.update_node, node.node_id, Availability=availability)
    with transaction.atomic():
        audit.record(principal, f"node.{availability}", target=node, target_type="node")
    resync(node)
    return None


def set_role(*, principal: Principal, node: Node, role: str) -> Node:
    require_operator(principal)
    if role not in NodeRole.values:
        raise ValidationError({"role": "Either worker or manager."})
    if role == NodeRole.WORKER:
        _engine_call(cluster.check_not_last_manager, node.node_id, "demote")
        _engine_call(cluster.check_not_local, node.node_id, "demote")
    _engine_call(cluster.update_node, node.node_id, Role=role)
    with transaction.atomic():
        action = "node.promote" if role == NodeRole.MANAGER else "node.demote"
        audit.record(principal, action, target=node, target_type="node")
    return resync(node)


def set_labels(*, principal: Principal, node: Node, labels: Any) -> Node:
    """Replace the operator's labels; labels Docker or Berth set themselves are kept."""
    require_operator(principal)
    wanted = validate_labels(labels)
    current = cluster.inspect_node(node.node_id)
    if current is None:
        raise ValidationError({"node": "The node is no longer in the swarm."})
    kept = {
        k: v
        for k, v in ((current.get("Spec") or {}).get("Labels") or {}).items()
        if k.lower().startswith(("com.docker.", "io.docker.", "berth."))
    }
    _engine_call(cluster.update_node, node.node_id, Labels={**kept, **wanted})
    with transaction.atomic():
        audit.record(
            principal, "node.labels", target=node, target_type="node", data={"labels": wanted}
        )
    return resync(node)


def set_engine_access(
    *,
    principal: Principal,
    node: Node,
    engine_url: str,
    tls_ca: str = "",
    tls_cert: str = "",
    tls_key: str = "",
) -> Node:
    """Record (or clear, with an empty URL) how Berth reaches the node's engine."""
    require_operator(principal)
    if engine_url:
        engine_url = access.check_engine_url(engine_url, tls=bool(tls_ca))
        if bool(tls_cert) != bool(tls_key):
            raise ValidationError({"tls_key": "Give the client certificate and its key together."})
    with transaction.atomic():
        node.engine_url = engine_url
        node.engine_tls_ca = tls_ca.strip() if engine_url else ""
        node.engine_tls_cert = tls_cert.strip() if engine_url else ""
        if tls_key or not engine_url:
            node.engine_tls_key_encrypted = access.seal({"key": tls_key.strip()})
        node.save(
            update_fields=[
                "engine_url",
                "engine_tls_ca",
                "engine_tls_cert",
                "engine_tls_key_encrypted",
            ]
        )
        audit.record(
            principal,
            "node.engine_access",
            target=node,
            target_type="node",
            data={"engine_url": engine_url, "tls": bool(tls_ca or tls_cert)},
        )
    return node


def start_drain(*, principal: Principal, node: Node) -> NodeOperation:
    require_operator(principal)
    with transaction.atomic():
        return _start(principal, OperationKind.DRAIN, node=node)


def start_remove(*, principal: Principal, node: Node) -> NodeOperation:
    """Drain, make the node leave (when Berth reaches it), then remove it from the swarm."""
    require_operator(principal)
    _engine_call(cluster.check_not_local, node.node_id, "remove")
    _engine_call(cluster.check_not_last_manager, node.node_id, "remove")
    with transaction.atomic():
        return _start(principal, OperationKind.REMOVE, node=node)


def start_join_ssh(
    *,
    principal: Principal,
    address: str,
    port: int = 22,
    user: str = "root",
    password: str = "",
    private_key: str = "",
    passphrase: str = "",
    host_key_fingerprint: str = "",
    advertise_addr: str = "",
    role: str = NodeRole.WORKER,
    remember: bool = False,
) -> NodeOperation:
    require_operator(principal)
    errors: dict[str, str] = {}
    address = address.strip()
    if not address or any(c in address for c in " /@"):
        errors["address"] = "Give the node's host name or IP address."
    if not 1 <= int(port) <= 65535:
        errors["port"] = "A port from 1 to 65535."
    if not user.strip() or any(c.isspace() for c in user):
        errors["user"] = "Give the SSH user (root, or a user in the docker group)."
    if not password and not private_key:
        errors["private_key"] = "Give a private key or a password."
    if role not in NodeRole.values:
        errors["role"] = "Either worker or manager."
    if errors:
        raise ValidationError(errors)
    params = {
        "address": address,
        "port": int(port),
        "user": user.strip(),
        "auth": "key" if private_key else "password",
        "host_key_fingerprint": host_key_fingerprint.strip(),
        "advertise_addr": advertise_addr.strip() or address,
        "role": role,
        "remember": bool(remember),
    }
    secret = {"password": password, "private_key": private_key.strip(), "passphrase": passphrase}
    with transaction.atomic():
        return _start(principal, OperationKind.JOIN_SSH, params=params, secret=secret)


def start_join_engine(
    *,
    principal: Principal,
    engine_url: str,
    tls_ca: str = "",
    tls_cert: str = "",
    tls_key: str = "",
    advertise_addr: str = "",
    role: str = NodeRole.WORKER,
) -> NodeOperation:
    require_operator(principal)
    engine_url = access.check_engine_url(engine_url, tls=bool(tls_ca))
    errors: dict[str, str] = {}
    if bool(tls_cert) != bool(tls_key):
        errors["tls_key"] = "Give the client certificate and its key together."
    advertise = advertise_addr.strip() or access.engine_host(engine_url)
    if not advertise:
        errors["advertise_addr"] = "Give the address the node advertises to the swarm."
    if role not in NodeRole.values:
        errors["role"] = "Either worker or manager."
    if errors:
        raise ValidationError(errors)
    params = {
        "engine_url": engine_url,
        "tls_ca": tls_ca.strip(),
        "tls_cert": tls_cert.strip(),
        "advertise_addr": advertise,
        "role": role,
    }
    with transaction.atomic():
        return _start(
            principal, OperationKind.JOIN_ENGINE, params=params, secret={"tls_key": tls_key.strip()}
        )


def rotate_join_token(*, principal: Principal, role: str) -> None:
    require_operator(principal)
    if role not in NodeRole.values:
        raise ValidationError({"role": "Either worker or manager."})
    _engine_call(cluster.rotate_token, role)
    with transaction.atomic():
        audit.record(principal, "swarm.rotate_token", target=role, target_type="swarm")


def forget_host_key(*, principal: Principal, key: SshHostKey) -> None:
    require_operator(principal)
    with transaction.atomic():
        audit.record(
            principal,
            "node.forget_host_key",
            target=f"{key.host}:{key.port}",
            target_type="ssh_host_key",
            data={"fingerprint": key.fingerprint},
        )
        key.delete()
