"""An app's desired state as a swarm ServiceSpec, and the drift between two specs.

Pure functions: no database, no engine. The deploy task builds a
:class:`Desired` from the rows, calls :func:`service_spec`, and hands the dict
(the Engine API's ServiceSpec) to the engine unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

SECOND = 1_000_000_000
MB = 1024 * 1024
START_INTERVAL = SECOND // 4
TEMPLATE_LABEL = "berth.template"
DEPLOYMENT_LABEL = "berth.deployment"


@dataclass(frozen=True)
class SecretRef:
    """A swarm secret delivered to the app as ``/run/secrets/<file>``."""

    file: str
    engine_name: str
    engine_id: str


@dataclass(frozen=True)
class Desired:
    app: str
    service_name: str
    image: str
    network: str
    labels: dict[str, str]
    instances: int = 1
    container_port: int = 80
    env: dict[str, str] = field(default_factory=dict)
    health_check_path: str = ""
    cpu_limit: float | None = None
    cpu_reservation: float | None = None
    memory_limit_mb: int | None = None
    memory_reservation_mb: int | None = None
    placement: dict[str, str] = field(default_factory=dict)
    secrets: tuple[SecretRef, ...] = ()
    deployment: int = 0
    health_interval: int = 2
    health_start_seconds: int = 15
    monitor_seconds: int = 3
    stop_grace_seconds: int = 10
    # Apps holding a volume that allows one writer must stop the old task first.
    stop_first: bool = False
    # Engine API Mounts (apps.volumes.spec) and the placement they need (a volume's node).
    mounts: tuple[dict[str, Any], ...] = ()
    constraints: tuple[str, ...] = ()
    # What a compose service adds (apps.compose.resolve): {"template": ..., "service": ...}.
    overlay: dict[str, Any] = field(default_factory=dict)


def health_command(path: str, port: int) -> str:
    """A shell check that needs only curl, or nc from busybox (busybox wget is unreliable).

    The path is passed as a printf argument, so ``%`` in it is not a format.
    """
    url = f"http://127.0.0.1:{port}{path}"
    return (
        "if command -v curl >/dev/null 2>&1; then "
        f"curl -fsS -o /dev/null --max-time 3 '{url}'; "
        "else "
        f"printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' '{path}' "
        f"| nc 127.0.0.1 {port} | head -n 1 | grep -qE '^HTTP/[0-9.]+ [23][0-9][0-9]'; "
        "fi"
    )


def start_timing(start_seconds: int) -> dict[str, int]:
    """Health-check timing while a task starts: probed every START_INTERVAL until it first
    passes (swarm counts the task running, and Berth routes to it, only then), instead of
    waiting a whole interval for the first probe. Engines before API 1.44 ignore
    StartInterval and probe at the normal interval."""
    return {"StartPeriod": start_seconds * SECOND, "StartInterval": START_INTERVAL}


def healthcheck(desired: Desired) -> dict[str, Any] | None:
    if not desired.health_check_path:
        return None  # the image's own HEALTHCHECK, if it has one
    interval = desired.health_interval * SECOND
    return {
        "Test": ["CMD-SHELL", health_command(desired.health_check_path, desired.container_port)],
        "Interval": interval,
        "Timeout": max(interval, 3 * SECOND),
        "Retries": 3,
        **start_timing(desired.health_start_seconds),
    }


def resources(desired: Desired) -> dict[str, Any]:
    def part(cpu: float | None, memory: int | None) -> dict[str, int]:
        out: dict[str, int] = {}
        if cpu is not None:
            out["NanoCPUs"] = round(cpu * SECOND)
        if memory is not None:
            out["MemoryBytes"] = memory * MB
        return out

    return {
        "Limits": part(desired.cpu_limit, desired.memory_limit_mb),
        "Reservations": part(desired.cpu_reservation, desired.memory_reservation_mb),
    }


def environment(desired: Desired) -> list[str]:
    # PORT tells conventional apps where to listen; the user's own value wins.
    env = {"PORT": str(desired.container_port), **desired.env}
    return [f"{key}={value}" for key, value in sorted(env.items())]


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def task_template(desired: Desired) -> dict[str, Any]:
    container: dict[str, Any] = {
        "Image": desired.image,
        "Env": environment(desired),
        "Labels": dict(desired.labels),
        "Secrets": [
            {
                "File": {"Name": ref.file, "UID": "0", "GID": "0", "Mode": 0o444},
                "SecretID": ref.engine_id,
                "SecretName": ref.engine_name,
            }
            for ref in sorted(desired.secrets, key=lambda ref: ref.file)
        ],
        "StopGracePeriod": desired.stop_grace_seconds * SECOND,
    }
    check = healthcheck(desired)
    if check is not None:
        container["Healthcheck"] = check
    if desired.mounts:
        container["Mounts"] = [dict(mount) for mount in desired.mounts]
    template: dict[str, Any] = {
        "ContainerSpec": container,
        "Resources": resources(desired),
        "RestartPolicy": {"Condition": "any", "Delay": SECOND, "MaxAttempts": 0},
        "Placement": {
            "Constraints": [
                f"node.labels.{key}=={value}" for key, value in sorted(desired.placement.items())
            ]
            + list(desired.constraints)
        },
        "Networks": (
            [{"Target": desired.network, "Aliases": [desired.app]}] if desired.network else []
        ),
        "ForceUpdate": 0,
    }
    lay_over(template, desired.overlay.get("template") or {})
    # Tasks carry a digest of their template: the deploy waits for tasks with
    # this digest, and a change that keeps it (a scale) restarts nothing.
    container["Labels"][TEMPLATE_LABEL] = digest(template)
    return template


def lay_over(target: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge ``extra`` into ``target``: mappings merge, lists are added to, values replace."""
    for key, value in extra.items():
        have = target.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            lay_over(have, value)
        elif isinstance(value, list) and isinstance(have, list):
            target[key] = [*have, *value]
        else:
            target[key] = value


def update_policy(desired: Desired, *, failure_action: str) -> dict[str, Any]:
    return {
        # All at once: with start-first the old tasks serve until each new one is healthy.
        "Parallelism": 0,
        "Delay": 0,
        "FailureAction": failure_action,
        "Monitor": desired.monitor_seconds * SECOND,
        "MaxFailureRatio": 0,
        "Order": "stop-first" if desired.stop_first else "start-first",
    }


def service_spec(desired: Desired) -> dict[str, Any]:
    spec = {
        "Name": desired.service_name,
        "Labels": {**desired.labels, DEPLOYMENT_LABEL: str(desired.deployment)},
        "TaskTemplate": task_template(desired),
        "Mode": {"Replicated": {"Replicas": desired.instances}},
        "UpdateConfig": update_policy(desired, failure_action="rollback"),
        "RollbackConfig": update_policy(desired, failure_action="pause"),
        "EndpointSpec": {"Mode": "dnsrr"},
    }
    lay_over(spec, desired.overlay.get("service") or {})
    return spec


def template_label(spec: dict[str, Any]) -> str:
    labels = spec.get("TaskTemplate", {}).get("ContainerSpec", {}).get("Labels") or {}
    return str(labels.get(TEMPLATE_LABEL, ""))


def _image(value: str) -> str:
    # The engine may pin a tag to a digest ("name:tag@sha256:..."); compare the name.
    return value.split("@", 1)[0] if "@" in value and ":" in value.split("@", 1)[0] else value


def _nonempty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nonempty(v) for k, v in value.items() if v not in (None, {}, [], "")}
    return value


def drift(desired: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What in ``actual`` (a service's current Spec) differs from ``desired``, in words."""
    changes: list[str] = []
    want_c = desired["TaskTemplate"]["ContainerSpec"]
    have_t = actual.get("TaskTemplate") or {}
    have_c = have_t.get("ContainerSpec") or {}
    if _image(str(have_c.get("Image", ""))) != want_c["Image"]:
        changes.append(f"image {_image(str(have_c.get('Image', '')))!r} -> {want_c['Image']!r}")
    if sorted(have_c.get("Env") or []) != want_c["Env"]:
        changes.append("environment")
    if sorted(s.get("SecretName", "") for s in have_c.get("Secrets") or []) != sorted(
        s["SecretName"] for s in want_c["Secrets"]
    ):
        changes.append("secrets")
    if (have_c.get("Healthcheck") or {}).get("Test") != (want_c.get("Healthcheck") or {}).get(
        "Test"
    ):
        changes.append("health check")
    if (have_c.get("Labels") or {}).get(TEMPLATE_LABEL) != want_c["Labels"][TEMPLATE_LABEL]:
        changes.append("task template")
    want_t = desired["TaskTemplate"]
    if _nonempty(have_t.get("Resources") or {}) != _nonempty(want_t["Resources"]):
        changes.append("resources")
    if sorted((have_t.get("Placement") or {}).get("Constraints") or []) != sorted(
        want_t["Placement"]["Constraints"]
    ):
        changes.append("placement")
    if sorted(n.get("Target", "") for n in have_t.get("Networks") or []) != sorted(
        n["Target"] for n in want_t["Networks"]
    ):
        changes.append("networks")
    have_replicas = ((actual.get("Mode") or {}).get("Replicated") or {}).get("Replicas")
    want_replicas = desired["Mode"]["Replicated"]["Replicas"]
    if have_replicas != want_replicas:
        changes.append(f"instances {have_replicas} -> {want_replicas}")
    if (actual.get("EndpointSpec") or {}).get("Mode", "vip") != "dnsrr":
        changes.append("endpoint mode")
    labels = actual.get("Labels") or {}
    if any(labels.get(key) != value for key, value in desired["Labels"].items()):
        changes.append("labels")
    for key in ("UpdateConfig", "RollbackConfig"):
        have_policy = actual.get(key) or {}
        if any(have_policy.get(k) != v for k, v in desired[key].items() if v):
            changes.append(key[: -len("Config")].lower() + " policy")
    return changes
