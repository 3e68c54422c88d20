"""The compose file's shape: known keys, value types, references; canonical forms out.

Every problem is collected with the path of its key (``services.web.ports[0]``)
so one answer lists them all. Keys Berth does not support are listed by name:
an error, or, when the caller passes ``ignore_unsupported``, dropped with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from apps.compose import fields as f
from apps.compose.parse import ComposeError, join

SERVICE_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
OBJECT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
TOP_LEVEL = {"version", "name", "services", "networks", "volumes", "secrets", "configs"}
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
UNSUPPORTED_HINTS = {
    "container_name": "names are Berth's: the app is <stack>-<service>",
    "links": "services reach each other by name on the stack's network",
    "scale": "use deploy.replicas",
    "mem_limit": "use deploy.resources.limits.memory",
    "cpus": "use deploy.resources.limits.cpus",
    "global": "only replicated services are supported",
    "external": "a stack uses only objects of its own",
}


@dataclass
class Checked:
    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


class _Collector:
    def __init__(self, *, ignore_unsupported: bool) -> None:
        self.errors: dict[str, list[str]] = {}
        self.unsupported: list[str] = []
        self.ignore_unsupported = ignore_unsupported

    def add(self, exc: ComposeError) -> None:
        for key, messages in exc.errors.items():
            self.errors.setdefault(key, []).extend(messages)

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def run(self, fn: Callable[[], Any], default: Any = None) -> Any:
        try:
            return fn()
        except ComposeError as exc:
            self.add(exc)
            return default

    def known(self, value: dict[str, Any], allowed: set[str], path: str) -> dict[str, Any]:
        """``value`` without extension keys (x-...) and unsupported ones (which are noted)."""
        kept = {}
        for key, item in value.items():
            if key.startswith("x-") and key not in allowed:
                continue
            if key in allowed:
                kept[key] = item
                continue
            self.unsupported.append(join(path, key))
        return kept


def check(data: dict[str, Any], *, ignore_unsupported: bool = False) -> Checked:
    """Validate a parsed compose file; raises ComposeError with every problem found."""
    c = _Collector(ignore_unsupported=ignore_unsupported)
    top = c.known(data, TOP_LEVEL, "")
    out: dict[str, Any] = {"networks": {}, "volumes": {}, "secrets": {}, "configs": {}}
    for kind in ("networks", "volumes", "secrets", "configs"):
        raw = top.get(kind)
        if raw is None:
            continue
        entries = c.run(partial(f.mapping, raw, kind), {})
        for name, entry in entries.items():
            path = join(kind, name)
            if not OBJECT_NAME_RE.match(name):
                c.error(
                    path,
                    "Use letters, digits, '.', '_' or '-' (at most 63), starting with a letter or digit.",
                )
                continue
            out[kind][name] = c.run(partial(_object, c, kind, entry, path))
    services = top.get("services")
    if services is None:
        c.error("services", "A compose file needs services.")
        services = {}
    services = c.run(lambda: f.mapping(services, "services"), {})
    if not services and "services" not in c.errors:
        c.error("services", "A compose file needs at least one service.")
    out["services"] = {}
    for name, raw in services.items():
        path = join("services", name)
        if not SERVICE_NAME_RE.match(name):
            c.error(
                path, "Service names become app names: use lowercase letters, digits and hyphens."
            )
            continue
        svc = c.run(partial(f.mapping, raw, path))
        if svc is not None:
            out["services"][name] = _service(c, svc, path)
    if not c.errors:
        _references(c, out)
    warnings: list[str] = []
    if c.unsupported:
        if ignore_unsupported:
            warnings = [
                f"{path} is not supported by Berth and was ignored." for path in c.unsupported
            ]
        else:
            for path in c.unsupported:
                key = path.rsplit(".", 1)[-1]
                hint = UNSUPPORTED_HINTS.get(key)
                c.error(
                    path,
                    f"{key} is not supported by Berth"
                    + (f" ({hint})" if hint else "")
                    + "; remove it, or pass ignore_unsupported to skip it with a warning.",
                )
    if c.errors:
        raise ComposeError(c.errors)
    return Checked(out, warnings)


def _object(c: _Collector, kind: str, entry: object, path: str) -> dict[str, Any]:
    value = {} if entry is None else f.mapping(entry, path)
    if kind == "networks":
        value = c.known(
            value, {"driver", "internal", "attachable", "labels", "name", "external"}, path
        )
        driver = f.string(value.get("driver", "overlay"), join(path, "driver"))
        if driver != "overlay":
            raise f.FieldError(join(path, "driver"), "Stack networks are overlay networks.")
        if value.get("external"):
            raise f.FieldError(join(path, "external"), "A stack cannot join networks outside it.")
        return {
            "internal": f.boolean(value.get("internal", False), join(path, "internal")),
            "labels": _labels(value.get("labels"), join(path, "labels")),
        }
    if kind == "volumes":
        value = c.known(value, {"driver", "driver_opts", "labels", "name", "external"}, path)
        if value.get("external"):
            raise f.FieldError(join(path, "external"), "A stack cannot use volumes outside it.")
        opts = f.mapping(value.get("driver_opts") or {}, join(path, "driver_opts"))
        return {
            "driver": f.string(value.get("driver", "local"), join(path, "driver")),
            "driver_opts": {
                k: f.string(v, join(join(path, "driver_opts"), k)) for k, v in opts.items()
            },
            "labels": _labels(value.get("labels"), join(path, "labels")),
        }
    value = c.known(value, {"file", "environment", "content", "name", "external", "labels"}, path)
    if value.get("external"):
        raise f.FieldError(
            join(path, "external"), "A stack cannot use secrets or configs outside it."
        )
    sources = [key for key in ("file", "environment", "content") if key in value]
    if len(sources) != 1:
        raise f.FieldError(path, "Give exactly one of file, environment or content.")
    source = sources[0]
    return {"source": source, "value": f.string(value[source], join(path, source))}


def _labels(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    raw = f.key_values(value, path, what="key=value")
    return {key: item or "" for key, item in raw.items()}


def _service(c: _Collector, raw: dict[str, Any], path: str) -> dict[str, Any]:
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
    out["labels"] = c.run(lambda: _labels(svc.get("labels"), p("labels")), {})
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
    out["sysctls"] = c.run(lambda: _labels(svc.get("sysctls"), p("sysctls")), {})
    out["restart"] = c.run(lambda: _restart(svc.get("restart"), p("restart")))
    out["berth"] = c.run(lambda: _berth(svc.get("x-berth"), p("x-berth")), _berth(None, ""))
    return out


def _build(c: _Collector, value: object, path: str) -> dict[str, str]:
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


def _healthcheck(c: _Collector, value: object, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    entry = c.known(
        f.mapping(value, path),
        {"test", "interval", "timeout", "retries", "start_period", "disable"},
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
    for key in ("interval", "timeout", "start_period"):
        if key in entry:
            out[key] = f.duration_ns(entry[key], join(path, key))
    if "retries" in entry:
        out["retries"] = f.integer(entry["retries"], join(path, "retries"), low=0, high=100)
    return out


def _deploy(c: _Collector, value: object, path: str) -> dict[str, Any]:
    from django.conf import settings

    entry = c.known(f.mapping(value, path), DEPLOY_KEYS, path) if value is not None else {}
    if entry.get("mode", "replicated") != "replicated":
        raise f.FieldError(
            join(path, "mode"), "Only replicated services are supported (not global)."
        )
    top = settings.BERTH_MAX_INSTANCES
    out: dict[str, Any] = {
        "replicas": f.integer(entry.get("replicas", 1), join(path, "replicas"), low=0, high=top),
        "labels": _labels(entry.get("labels"), join(path, "labels")),
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


def _references(c: _Collector, data: dict[str, Any]) -> None:
    """Names a service uses exist; depends_on has no cycle."""
    services = data["services"]
    for name, svc in services.items():
        path = join("services", name)
        for dep in svc["depends_on"]:
            if dep not in services:
                c.error(join(join(path, "depends_on"), dep), f"There is no service {dep!r}.")
            elif dep == name:
                c.error(join(join(path, "depends_on"), dep), "A service cannot depend on itself.")
        for net in svc["networks"] or {}:
            if net != "default" and net not in data["networks"]:
                c.error(
                    join(join(path, "networks"), net),
                    f"There is no network {net!r} under networks.",
                )
        for index, vol in enumerate(svc["volumes"]):
            if vol["type"] == "volume" and vol["source"] and vol["source"] not in data["volumes"]:
                c.error(
                    join(join(path, "volumes"), index),
                    f"There is no volume {vol['source']!r} under volumes.",
                )
        for kind in ("secrets", "configs"):
            for index, ref in enumerate(svc[kind]):
                if ref["source"] not in data[kind]:
                    c.error(
                        join(join(path, kind), index),
                        f"There is no {kind[:-1]} {ref['source']!r} under {kind}.",
                    )
    if not c.errors:
        cycle = find_cycle({n: list(s["depends_on"]) for n, s in services.items()})
        if cycle:
            c.error("services", f"depends_on has a cycle: {' -> '.join(cycle)}.")


def find_cycle(graph: dict[str, list[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def order(graph: dict[str, list[str]]) -> list[str]:
    """Services with their dependencies first (ties by name)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        if node in seen:
            return
        seen.add(node)
        for dep in sorted(graph.get(node, [])):
            visit(dep)
        done.append(node)

    for node in sorted(graph):
        visit(node)
    return done
