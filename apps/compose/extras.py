"""The parts of a compose service's swarm spec beyond an app's settings (pure functions).

``fail(path, message)`` records a refusal; the caller raises them all together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings

from apps.compose.parse import join
from apps.spec import SECOND, start_timing

CONSTRAINT_RE = re.compile(r"^[A-Za-z0-9_.\-]+\s*(==|!=)\s*[A-Za-z0-9_.:/\-]+$")
Fail = Callable[[str, str], None]


def container(svc: dict[str, Any], path: str, fail: Fail) -> dict[str, Any]:
    container: dict[str, Any] = {}
    if svc["entrypoint"] is not None:
        container["Command"] = svc["entrypoint"]
    if svc["command"] is not None:
        container["Args"] = svc["command"]
    for key, target in (
        ("working_dir", "Dir"),
        ("user", "User"),
        ("hostname", "Hostname"),
        ("stop_signal", "StopSignal"),
    ):
        if svc[key]:
            container[target] = svc[key]
    if svc["stop_grace_period"] is not None:
        container["StopGracePeriod"] = svc["stop_grace_period"]
    if svc["init"] is not None:
        container["Init"] = svc["init"]
    if svc["read_only"]:
        container["ReadOnly"] = True
    if svc["cap_add"]:
        container["CapabilityAdd"] = sorted(svc["cap_add"])
    if svc["cap_drop"]:
        container["CapabilityDrop"] = sorted(svc["cap_drop"])
    if svc["sysctls"]:
        container["Sysctls"] = dict(svc["sysctls"])
    labels = dict(svc["labels"])
    reserved = sorted(key for key in labels if key.startswith("berth."))
    if reserved:
        fail(join(path, "labels"), f"Labels starting with berth. are Berth's ({reserved[0]}).")
    if labels:
        container["Labels"] = labels
    check = svc["healthcheck"]
    if check is not None:
        if svc["berth"]["health_path"]:
            fail(
                join(path, "healthcheck"),
                "Give a healthcheck or x-berth.health_path, not both.",
            )
        interval = settings.BERTH_HEALTH_INTERVAL_SECONDS * SECOND
        start = start_timing(settings.BERTH_HEALTH_START_SECONDS)
        container["Healthcheck"] = (
            {"Test": ["NONE"]}
            if check["test"] == ["NONE"]
            else {
                "Test": check["test"],
                "Interval": check.get("interval", interval),
                "Timeout": check.get("timeout", max(interval, 3 * SECOND)),
                "Retries": check.get("retries", 3),
                "StartPeriod": check.get("start_period", start["StartPeriod"]),
                "StartInterval": check.get("start_interval", start["StartInterval"]),
            }
        )
    return container


def template(svc: dict[str, Any], path: str, fail: Fail) -> dict[str, Any]:
    template: dict[str, Any] = {}
    restart = restart_policy(svc)
    if restart:
        template["RestartPolicy"] = restart
    constraints = svc["deploy"]["constraints"]
    for index, constraint in enumerate(constraints):
        if not CONSTRAINT_RE.match(constraint):
            fail(
                join(path, f"deploy.placement.constraints[{index}]"),
                f"{constraint!r} is not a constraint such as node.labels.disk == ssd.",
            )
    if constraints:
        template["Placement"] = {"Constraints": list(constraints)}
    return template


def restart_policy(svc: dict[str, Any]) -> dict[str, Any]:
    given = svc["deploy"]["restart"]
    policy_: dict[str, Any] = {}
    if not given and svc["restart"]:
        kind, _, attempts = svc["restart"].partition(":")
        policy_["Condition"] = {"no": "none", "on-failure": "on-failure"}.get(kind, "any")
        if attempts.isdigit():
            policy_["MaxAttempts"] = int(attempts)
        return policy_
    for key, target in (
        ("condition", "Condition"),
        ("delay", "Delay"),
        ("max_attempts", "MaxAttempts"),
        ("window", "Window"),
    ):
        if key in given:
            policy_[target] = given[key]
    return policy_


def service_extra(svc: dict[str, Any], host_ports: list[dict[str, Any]]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    update = {
        target: svc["deploy"]["update"][key]
        for key, target in (
            ("parallelism", "Parallelism"),
            ("delay", "Delay"),
            ("order", "Order"),
            ("monitor", "Monitor"),
        )
        if key in svc["deploy"]["update"]
    }
    if host_ports:
        # A host port is held by the old task until it stops: start-first would stall.
        update["Order"] = "stop-first"
        extra["EndpointSpec"] = {
            "Ports": [
                {
                    "Protocol": p["protocol"],
                    "TargetPort": p["target"],
                    "PublishedPort": p["published"],
                    "PublishMode": "host",
                }
                for p in host_ports
            ]
        }
    if update:
        extra["UpdateConfig"] = update
        extra["RollbackConfig"] = {k: v for k, v in update.items() if k == "Order"}
    labels = dict(svc["deploy"]["labels"])
    if labels:
        extra["Labels"] = labels
    return extra
