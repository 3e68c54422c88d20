"""The compose file's shape: known keys, value types, references; canonical forms out.

Every problem is collected with the path of its key (``services.web.ports[0]``)
so one answer lists them all. Keys Berth does not support are listed by name:
an error, or, when the caller passes ``ignore_unsupported``, dropped with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from apps.compose import fields as f
from apps.compose.fields import Collector, labels
from apps.compose.parse import ComposeError, join
from apps.compose.schema import service

SERVICE_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
OBJECT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
TOP_LEVEL = {"version", "name", "services", "networks", "volumes", "secrets", "configs"}
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


def check(data: dict[str, Any], *, ignore_unsupported: bool = False) -> Checked:
    """Validate a parsed compose file; raises ComposeError with every problem found."""
    c = Collector(ignore_unsupported=ignore_unsupported)
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
            out["services"][name] = service(c, svc, path)
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


def _object(c: Collector, kind: str, entry: object, path: str) -> dict[str, Any]:
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
            "labels": labels(value.get("labels"), join(path, "labels")),
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
            "labels": labels(value.get("labels"), join(path, "labels")),
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


def _references(c: Collector, data: dict[str, Any]) -> None:
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
