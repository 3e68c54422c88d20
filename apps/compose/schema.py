"""The keys of one compose service: their checks and canonical forms (see validate.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from apps.compose import fields as f
from apps.compose.fields import Collector, labels
from apps.compose.parse import join

RESTART_VALUES = {"no", "always", "on-failure", "unless-stopped"}
CONDITIONS = {"service_started", "service_healthy"}
# Keys of a service whose checks live in the host-access policy (paas.policy).
POLICY_KEYS = {
    "cap_add",
    "privileged",
    "network_mode",
    "pid",
    "ipc",
    "devices",
    "security_opt",
    "sysctls",
}
SERVICE_KEYS = {
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "networks",
    "depends_on",
    "healthcheck",
    "deploy",
    "secrets",
    "configs",
    "labels",
    "working_dir",
    "user",
    "stop_signal",
    "stop_grace_period",
    "init",
    "read_only",
    "hostname",
    "tmpfs",
    "cap_drop",
    "restart",
    "x-berth",
    *POLICY_KEYS,
}
DEPLOY_KEYS = {
    "mode",
    "replicas",
    "resources",
    "placement",
    "update_config",
    "restart_policy",
    "labels",
    "endpoint_mode",
}


def service(c: Collector, raw: dict[str, Any], path: str) -> dict[str, Any]:
    svc = c.known(raw, SERVICE_KEYS, path)

    def p(key: str) -> str:
        return join(path, key)

    out: dict[str, Any] = {}
    image = c.run(lambda: f.string(svc["image"], p("image")) if "image" in svc else "", "")
    build = c.run(lambda: _build(c, svc["build"], p("build")) if "build" in svc else None)
    if not image and build is None:
        c.error(path, "A service needs an image or a build.")
    out["image"], out["build"] = image, build
    out["command"] = c.run(
        lambda: f.command(svc["command"], p("command")) if svc.get("command") is not None else None
    )
    out["entrypoint"] = c.run(
        lambda: (
            f.command(svc["entrypoint"], p("entrypoint"))
            if svc.get("entrypoint") is not None
            else None
        )
    )
    out["environment"] = c.run(
        lambda: f.key_values(svc.get("environment") or {}, p("environment")), {}
    )
    out["env_file"] = c.run(lambda: _env_files(svc.get("env_file"), p("env_file")), [])
    ports: list[dict[str, Any]] = []
    for index, item in enumerate(c.run(lambda: f.sequence(svc.get("ports") or [], p("ports")), [])):
        ports.extend(c.run(partial(f.port, item, join(p("ports"), index)), []))
    out["ports"] = ports
    c.run(
        lambda: [
            f.string(x, join(p("expose"), i))
            for i, x in enumerate(f.sequence(svc.get("expose") or [], p("expose")))
        ]
    )
    out["volumes"] = [
        vol
        for index, item in enumerate(
            c.run(lambda: f.sequence(svc.get("volumes") or [], p("volumes")), [])
        )
        if (vol := c.run(partial(f.volume, item, join(p("volumes"), index))))
    ]
    out["tmpfs"] = c.run(
        lambda: f.strings(svc.get("tmpfs") or [], p("tmpfs"), allow_single=True), []
    )
    out["networks"] = c.run(lambda: _networks(svc.get("networks"), p("networks")))
    out["depends_on"] = c.run(lambda: _depends(svc.get("depends_on"), p("depends_on")), {})
    out["healthcheck"] = c.run(lambda: _healthcheck(c, svc.get("healthcheck"), p("healthcheck")))
    out["deploy"] = c.run(lambda: _deploy(c, svc.get("deploy"), p("deploy")), _deploy(c, None, ""))
    out["secrets"] = c.run(lambda: _refs(svc.get("secrets"), p("secrets")), [])
    out["configs"] = c.run(lambda: _refs(svc.get("configs"), p("configs")), [])
    out["labels"] = c.run(lambda: labels(svc.get("labels"), p("labels")), {})
    for key in ("working_dir", "user", "stop_signal", "hostname", "network_mode", "pid", "ipc"):
        out[key] = c.run(
            partial(f.string, svc[key], p(key)) if svc.get(key) is not None else str, ""
        )
    out["stop_grace_period"] = c.run(
        lambda: (
            f.duration_ns(svc["stop_grace_period"], p("stop_grace_period"))
            if "stop_grace_period" in svc
            else None
        )
    )
    out["init"] = c.run(lambda: f.boolean(svc["init"], p("init")) if "init" in svc else None)
    for key in ("read_only", "privileged"):
        out[key] = c.run(partial(f.boolean, svc.get(key, False), p(key)), False)
    for key in ("cap_add", "cap_drop", "devices", "security_opt"):
        out[key] = c.run(partial(f.strings, svc.get(key) or [], p(key)), [])
    out["sysctls"] = c.run(lambda: labels(svc.get("sysctls"), p("sysctls")), {})
    out["restart"] = c.run(lambda: _restart(svc.get("restart"), p("restart")))
    out["berth"] = c.run(lambda: _berth(svc.get("x-berth"), p("x-berth")), _berth(None, ""))
    return out


def _build(c: Collector, value: object, path: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"context": value or ".", "dockerfile": "Dockerfile"}
    entry = c.known(f.mapping(value, path), {"context", "dockerfile"}, path)
    return {
        "context": f.string(entry.get("context", "."), join(path, "context")) or ".",
        "dockerfile": f.string(entry.get("dockerfile", "Dockerfile"), join(path, "dockerfile")),
    }


def _env_files(value: object, path: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else f.sequence(value, path)
    out = []
    for index, item in enumerate(items):
        where = join(path, index) if not isinstance(value, str) else path
        if isinstance(item, dict):
            out.append(
                {
                    "path": f.string(item.get("path", ""), join(where, "path")),
                    "required": f.boolean(item.get("required", True), join(where, "required")),
                }
            )
        else:
            out.append({"path": f.string(item, where), "required": True})
    return out


def _networks(value: object, path: str) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return {f.string(item, join(path, i)): [] for i, item in enumerate(value)}
    out: dict[str, list[str]] = {}
    for name, entry in f.mapping(value, path).items():
        where = join(path, name)
        if entry is None:
            out[name] = []
            continue
        entry = f.mapping(entry, where)
        extra = sorted(set(entry) - {"aliases"})
        if extra:
            raise f.FieldError(
                join(where, extra[0]), f"{extra[0]} is not supported on a service's network."
            )
        out[name] = f.strings(entry.get("aliases") or [], join(where, "aliases"))
    return out


def _depends(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {f.string(item, join(path, i)): "service_started" for i, item in enumerate(value)}
    out: dict[str, str] = {}
    for name, entry in f.mapping(value, path).items():
        where = join(path, name)
        entry = f.mapping(entry or {}, where)
        condition = f.string(entry.get("condition", "service_started"), join(where, "condition"))
        if condition not in CONDITIONS:
            raise f.FieldError(
                join(where, "condition"),
                f"{condition!r} is not supported; use service_started or service_healthy.",
            )
        out[name] = condition
    return out


def _healthcheck(c: Collector, value: object, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    entry = c.known(
        f.mapping(value, path),
        {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"},
        path,
    )
    if entry.get("disable"):
        return {"test": ["NONE"]}
    test = entry.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    test = f.strings(test, join(path, "test")) if test is not None else []
    if not test or test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise f.FieldError(
            join(path, "test"),
            'Give the test as a command: ["CMD", ...], ["CMD-SHELL", "..."] or a string.',
        )
    out: dict[str, Any] = {"test": test}
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if key in entry:
            out[key] = f.duration_ns(entry[key], join(path, key))
    if "retries" in entry:
        out["retries"] = f.integer(entry["retries"], join(path, "retries"), low=0, high=100)
    return out


def _deploy(c: Collector, value: object, path: str) -> dict[str, Any]:
    from django.conf import settings

    entry = c.known(f.mapping(value, path), DEPLOY_KEYS, path) if value is not None else {}
    if entry.get("mode", "replicated") != "replicated":
        raise f.FieldError(
            join(path, "mode"), "Only replicated services are supported (not global)."
        )
    top = settings.BERTH_MAX_INSTANCES
    out: dict[str, Any] = {
        "replicas": f.integer(entry.get("replicas", 1), join(path, "replicas"), low=0, high=top),
        "labels": labels(entry.get("labels"), join(path, "labels")),
        "limits": {},
        "reservations": {},
        "constraints": [],
        "update": {},
        "restart": {},
    }
    resources = c.known(
        f.mapping(entry.get("resources") or {}, join(path, "resources")),
        {"limits", "reservations"},
        join(path, "resources"),
    )
    for part in ("limits", "reservations"):
        where = join(join(path, "resources"), part)
        values = c.known(f.mapping(resources.get(part) or {}, where), {"cpus", "memory"}, where)
        if "cpus" in values:
            try:
                out[part]["cpus"] = float(values["cpus"])
            except (TypeError, ValueError):
                raise f.FieldError(
                    join(where, "cpus"), "Give CPUs as a number, e.g. 0.5."
                ) from None
        if "memory" in values:
            out[part]["memory_mb"] = max(
                1, f.size_bytes(values["memory"], join(where, "memory")) // (1024 * 1024)
            )
    placement = c.known(
        f.mapping(entry.get("placement") or {}, join(path, "placement")),
        {"constraints"},
        join(path, "placement"),
    )
    out["constraints"] = f.strings(
        placement.get("constraints") or [], join(join(path, "placement"), "constraints")
    )
    where = join(path, "update_config")
    update = c.known(
        f.mapping(entry.get("update_config") or {}, where),
        {"parallelism", "delay", "order", "monitor"},
        where,
    )
    if "parallelism" in update:
        out["update"]["parallelism"] = f.integer(
            update["parallelism"], join(where, "parallelism"), low=0, high=1000
        )
    for key in ("delay", "monitor"):
        if key in update:
            out["update"][key] = f.duration_ns(update[key], join(where, key))
    if "order" in update:
        order = f.string(update["order"], join(where, "order"))
        if order not in ("start-first", "stop-first"):
            raise f.FieldError(join(where, "order"), "The order is start-first or stop-first.")
        out["update"]["order"] = order
    where = join(path, "restart_policy")
    restart = c.known(
        f.mapping(entry.get("restart_policy") or {}, where),
        {"condition", "delay", "max_attempts", "window"},
        where,
    )
    if "condition" in restart:
        condition = f.string(restart["condition"], join(where, "condition"))
        if condition not in ("none", "on-failure", "any"):
            raise f.FieldError(
                join(where, "condition"), "The condition is none, on-failure or any."
            )
        out["restart"]["condition"] = condition
    for key in ("delay", "window"):
        if key in restart:
            out["restart"][key] = f.duration_ns(restart[key], join(where, key))
    if "max_attempts" in restart:
        out["restart"]["max_attempts"] = f.integer(
            restart["max_attempts"], join(where, "max_attempts")
        )
    return out


def _refs(value: object, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, item in enumerate(f.sequence(value or [], path)):
        where = join(path, index)
        if isinstance(item, str):
            out.append({"source": item, "target": "", "uid": "0", "gid": "0", "mode": None})
            continue
        entry = f.mapping(item, where)
        extra = sorted(set(entry) - {"source", "target", "uid", "gid", "mode"})
        if extra:
            raise f.FieldError(join(where, extra[0]), f"{extra[0]} is not a key of a reference.")
        mode = entry.get("mode")
        if isinstance(mode, str):
            try:
                mode = int(mode, 8)
            except ValueError:
                raise f.FieldError(
                    join(where, "mode"), "Give the mode as octal, e.g. 0440."
                ) from None
        out.append(
            {
                "source": f.string(entry.get("source", ""), join(where, "source")),
                "target": f.string(entry.get("target", ""), join(where, "target")),
                "uid": f.string(entry.get("uid", "0"), join(where, "uid")),
                "gid": f.string(entry.get("gid", "0"), join(where, "gid")),
                "mode": None
                if mode is None
                else f.integer(mode, join(where, "mode"), low=0, high=0o7777),
            }
        )
    return out


def _restart(value: object, path: str) -> str | None:
    if value is None:
        return None
    text = "no" if value is False else f.string(value, path)
    if text.split(":", 1)[0] not in RESTART_VALUES:
        raise f.FieldError(path, "restart is no, always, on-failure or unless-stopped.")
    return text


def _berth(value: object, path: str) -> dict[str, Any]:
    entry = f.mapping(value, path) if value is not None else {}
    extra = sorted(set(entry) - {"http_port", "expose", "domains", "health_path"})
    if extra:
        raise f.FieldError(
            join(path, extra[0]),
            f"{extra[0]} is not a key of x-berth (http_port, expose, domains, health_path).",
        )
    http_port = entry.get("http_port")
    return {
        "http_port": None
        if http_port is None
        else f.integer(http_port, join(path, "http_port"), low=1, high=65535),
        "expose": None
        if "expose" not in entry
        else f.boolean(entry["expose"], join(path, "expose")),
        "domains": f.strings(entry.get("domains") or [], join(path, "domains")),
        "health_path": f.string(entry.get("health_path", ""), join(path, "health_path")),
    }
