"""compose/stack.yml -> the swarm objects of Berth's own stack (pure; no engine calls).

The file is a compose file; this reads the part of the format it uses (and refuses
any key it does not know, so nothing in the file is silently ignored): services
with their image, command, environment, user, mounts, networks, health check,
depends_on and deploy settings; overlay networks (own or external), named volumes
and configs from files. Every name gets the namespace prefix and every object the
namespace labels, like everything else Berth creates.

Service specs come out as the keyword arguments of the docker SDK's
``services.create`` in the engine API's own shapes (as routing.bootstrap does).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from paas import naming

SPEC_LABEL = "berth.spec"
KIND_PREFIX = "stack-"
# Set on every service that is part of Berth's own stack (not an app).
STACK_LABEL = "berth.stack"

_VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})"
)
_SERVICE_KEYS = {
    "image",
    "command",
    "entrypoint",
    "environment",
    "user",
    "init",
    "working_dir",
    "volumes",
    "networks",
    "healthcheck",
    "stop_grace_period",
    "depends_on",
    "deploy",
    "configs",
}
_DEPLOY_KEYS = {
    "mode",
    "replicas",
    "endpoint_mode",
    "placement",
    "resources",
    "update_config",
    "restart_policy",
}


class StackFileError(Exception):
    """The stack file cannot be used; the message names the place."""


@dataclass(frozen=True)
class Network:
    key: str
    name: str
    external: bool
    driver: str = "overlay"


@dataclass(frozen=True)
class Volume:
    key: str
    name: str


@dataclass(frozen=True)
class Config:
    key: str
    name: str  # carries a digest of the data: swarm configs cannot change, new data is a new config
    data: bytes


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    job: bool
    depends_on: tuple[str, ...]
    # Whether the operator's settings (install.env) are added to its environment.
    settings: bool
    environment: Mapping[str, str]
    # Config key -> path in the container.
    configs: Mapping[str, str]
    healthcheck: bool
    base: Mapping[str, Any] = field(default_factory=dict)

    def spec(
        self, *, settings_env: Mapping[str, str], config_refs: Mapping[str, tuple[str, str]]
    ) -> dict[str, Any]:
        """``config_refs``: config key -> (id, name) of the swarm config made for it."""
        env = dict(self.environment)
        if self.settings:
            # The stack's own values (container paths, addresses) win.
            env = {**settings_env, **env}
        spec: dict[str, Any] = {**self.base, "env": [f"{k}={v}" for k, v in sorted(env.items())]}
        if self.configs:
            spec["configs"] = [
                {
                    "ConfigID": config_refs[key][0],
                    "ConfigName": config_refs[key][1],
                    "File": {"Name": target, "UID": "0", "GID": "0", "Mode": 0o444},
                }
                for key, target in sorted(self.configs.items())
            ]
        # The label says which spec a running service has: equal digests, nothing to do.
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
        labels = {**spec["labels"], SPEC_LABEL: digest}
        return {**spec, "labels": labels, "container_labels": labels}


@dataclass(frozen=True)
class Stack:
    namespace: str
    services: tuple[Service, ...]  # in start order (depends_on first)
    networks: Mapping[str, Network]
    volumes: Mapping[str, Volume]
    configs: Mapping[str, Config]

    def service(self, key: str) -> Service:
        for service in self.services:
            if service.key == key:
                return service
        raise KeyError(key)


# --- values ---------------------------------------------------------------------


def interpolate(value: Any, variables: Mapping[str, str], where: str = "") -> Any:
    """Fill ``${NAME}`` / ``${NAME:-default}`` in every string; ``$$`` is a dollar.

    Unlike compose, a variable with no value and no default is an error: a typo
    must not become an empty image name or mount path.
    """
    if isinstance(value, str):

        def fill(match: re.Match[str]) -> str:
            if match.group("dollar"):
                return "$"
            name = match.group("name")
            if name in variables and variables[name] != "":
                return variables[name]
            if match.group("default") is not None:
                return match.group("default")
            raise StackFileError(f"{where or 'the stack file'}: ${{{name}}} has no value")

        return _VARIABLE.sub(fill, value)
    if isinstance(value, list):
        return [interpolate(item, variables, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: interpolate(v, variables, f"{where}.{k}" if where else str(k))
            for k, v in value.items()
        }
    return value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_UNITS_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def duration_ns(value: Any, where: str) -> int:
    """``10s``, ``1m30s``, ``500ms`` -> nanoseconds."""
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise StackFileError(f"{where}: {value!r} is not a duration like 10s or 1m30s")
    return int(sum(float(number) * _UNITS_NS[unit] for number, unit in parts))


_BYTES = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$", re.IGNORECASE)


def size_bytes(value: Any, where: str) -> int:
    """``512M``, ``1G``, ``64m``, ``1024`` -> bytes (powers of 1024, as compose reads them)."""
    match = _BYTES.match(str(value).strip())
    if not match:
        raise StackFileError(f"{where}: {value!r} is not a size like 512M or 1G")
    power = {"": 0, "k": 1, "m": 2, "g": 3}[match.group(2).lower()]
    return int(float(match.group(1)) * 1024**power)


def nano_cpus(value: Any, where: str) -> int:
    try:
        return int(float(str(value)) * 10**9)
    except ValueError:
        raise StackFileError(f"{where}: cpus {value!r} is not a number") from None


# --- the document ---------------------------------------------------------------


def name_in(namespace: str, key: str) -> str:
    return f"{namespace}-{key}"


def stack_labels(namespace: str, kind: str) -> dict[str, str]:
    return {
        naming.NAMESPACE_LABEL: namespace,
        naming.KIND_LABEL: f"{KIND_PREFIX}{kind}",
        STACK_LABEL: "1",
    }


def load(path: Path, variables: Mapping[str, str], *, namespace: str) -> Stack:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise StackFileError(f"{path}: {exc}") from exc
    return build(document, variables, namespace=namespace, base_dir=path.parent)


def build(document: Any, variables: Mapping[str, str], *, namespace: str, base_dir: Path) -> Stack:
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise StackFileError("the stack file has no services")
    document = {k: v for k, v in document.items() if not str(k).startswith("x-")}
    unknown = set(document) - {"version", "services", "networks", "volumes", "configs"}
    if unknown:
        raise StackFileError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    document = interpolate(document, variables)
    networks = {
        key: _network(namespace, key, spec or {})
        for key, spec in (document.get("networks") or {}).items()
    }
    volumes = {
        key: Volume(key=key, name=str((spec or {}).get("name") or name_in(namespace, key)))
        for key, spec in (document.get("volumes") or {}).items()
    }
    configs = {
        key: _config(namespace, key, spec or {}, base_dir)
        for key, spec in (document.get("configs") or {}).items()
    }
    services = [
        _service(namespace, str(key), spec or {}, networks, volumes, configs)
        for key, spec in document["services"].items()
    ]
    return Stack(
        namespace=namespace,
        services=_start_order(services),
        networks=networks,
        volumes=volumes,
        configs=configs,
    )


def _network(namespace: str, key: str, spec: dict[str, Any]) -> Network:
    unknown = set(spec) - {"driver", "name", "external"}
    if unknown:
        raise StackFileError(f"networks.{key}: unknown keys {', '.join(sorted(unknown))}")
    driver = str(spec.get("driver") or "overlay")
    if driver != "overlay":
        raise StackFileError(f"networks.{key}: only overlay networks span the swarm")
    return Network(
        key=key,
        name=str(spec.get("name") or name_in(namespace, key)),
        external=bool(spec.get("external")),
    )


def _config(namespace: str, key: str, spec: dict[str, Any], base_dir: Path) -> Config:
    if set(spec) != {"file"}:
        raise StackFileError(f"configs.{key}: give exactly `file:`")
    try:
        data = (base_dir / str(spec["file"])).read_bytes()
    except OSError as exc:
        raise StackFileError(f"configs.{key}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()[:12]
    return Config(key=key, name=name_in(namespace, f"{key}-{digest}"), data=data)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StackFileError(f"{where}: expected a list")
    return value


def _command(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return ["sh", "-c", value]
    return [str(item) for item in _list(value, where)]


def _mount(namespace: str, item: Any, volumes: Mapping[str, Volume], where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise StackFileError(f"{where}: use the long syntax (type, source, target)")
    unknown = set(item) - {"type", "source", "target", "read_only"}
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = item.get("type")
    mount: dict[str, Any] = {
        "Target": str(item["target"]),
        "ReadOnly": bool(item.get("read_only", False)),
    }
    if kind == "bind":
        source = str(item["source"])
        if not source.startswith("/"):
            raise StackFileError(f"{where}: a bind mount's source must be an absolute path")
        mount.update(Type="bind", Source=source)
    elif kind == "volume":
        key = str(item["source"])
        if key not in volumes:
            raise StackFileError(f"{where}: volume {key!r} is not declared under volumes")
        mount.update(
            Type="volume",
            Source=volumes[key].name,
            VolumeOptions={"Labels": stack_labels(namespace, "volume")},
        )
    else:
        raise StackFileError(f"{where}: mount type must be bind or volume")
    return mount


def _healthcheck(spec: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(spec) - {"test", "interval", "timeout", "retries", "start_period"}
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    test = _list(spec.get("test"), f"{where}.test")
    if not test or test[0] not in ("CMD", "CMD-SHELL"):
        raise StackFileError(f"{where}.test must start with CMD or CMD-SHELL")
    check: dict[str, Any] = {"Test": [str(part) for part in test]}
    for key, api in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
    ):
        if key in spec:
            check[api] = duration_ns(spec[key], f"{where}.{key}")
    if "retries" in spec:
        check["Retries"] = int(spec["retries"])
    return check


def _resources(spec: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(spec) - {"limits", "reservations"}
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    result: dict[str, Any] = {}
    for key, api in (("limits", "Limits"), ("reservations", "Reservations")):
        part = spec.get(key) or {}
        bad = set(part) - {"cpus", "memory"}
        if bad:
            raise StackFileError(f"{where}.{key}: unknown keys {', '.join(sorted(bad))}")
        values: dict[str, int] = {}
        if "memory" in part:
            values["MemoryBytes"] = size_bytes(part["memory"], f"{where}.{key}.memory")
        if "cpus" in part:
            values["NanoCPUs"] = nano_cpus(part["cpus"], f"{where}.{key}.cpus")
        if values:
            result[api] = values
    return result


def _update_config(spec: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(spec) - {"parallelism", "delay", "order", "failure_action", "monitor"}
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    config: dict[str, Any] = {"Parallelism": int(spec.get("parallelism", 1))}
    if "delay" in spec:
        config["Delay"] = duration_ns(spec["delay"], f"{where}.delay")
    if "monitor" in spec:
        config["Monitor"] = duration_ns(spec["monitor"], f"{where}.monitor")
    if "order" in spec:
        if spec["order"] not in ("start-first", "stop-first"):
            raise StackFileError(f"{where}.order must be start-first or stop-first")
        config["Order"] = spec["order"]
    if "failure_action" in spec:
        if spec["failure_action"] not in ("pause", "continue", "rollback"):
            raise StackFileError(f"{where}.failure_action must be pause, continue or rollback")
        config["FailureAction"] = spec["failure_action"]
    return config


def _restart_policy(spec: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(spec) - {"condition", "delay", "max_attempts", "window"}
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    condition = spec.get("condition", "any")
    if condition not in ("none", "on-failure", "any"):
        raise StackFileError(f"{where}.condition must be none, on-failure or any")
    policy: dict[str, Any] = {"Condition": condition}
    if "delay" in spec:
        policy["Delay"] = duration_ns(spec["delay"], f"{where}.delay")
    if "window" in spec:
        policy["Window"] = duration_ns(spec["window"], f"{where}.window")
    if "max_attempts" in spec:
        policy["MaxAttempts"] = int(spec["max_attempts"])
    return policy


def _service(
    namespace: str,
    key: str,
    spec: dict[str, Any],
    networks: Mapping[str, Network],
    volumes: Mapping[str, Volume],
    configs: Mapping[str, Config],
) -> Service:
    where = f"services.{key}"
    settings = bool(spec.get("x-berth-settings"))
    spec = {k: v for k, v in spec.items() if not str(k).startswith("x-")}
    unknown = set(spec) - _SERVICE_KEYS
    if unknown:
        raise StackFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if not spec.get("image"):
        raise StackFileError(f"{where}: no image")
    deploy = spec.get("deploy") or {}
    bad = set(deploy) - _DEPLOY_KEYS
    if bad:
        raise StackFileError(f"{where}.deploy: unknown keys {', '.join(sorted(bad))}")
    mode_name = deploy.get("mode", "replicated")
    if mode_name == "replicated":
        mode: dict[str, Any] = {"Replicated": {"Replicas": int(deploy.get("replicas", 1))}}
    elif mode_name == "replicated-job":
        mode = {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    else:
        raise StackFileError(f"{where}.deploy.mode must be replicated or replicated-job")
    labels = stack_labels(namespace, key)
    base: dict[str, Any] = {
        "name": name_in(namespace, key),
        "image": str(spec["image"]),
        "labels": labels,
        "mode": mode,
        "endpoint_spec": {"Mode": str(deploy.get("endpoint_mode", "vip"))},
        "mounts": [
            _mount(namespace, item, volumes, f"{where}.volumes[{i}]")
            for i, item in enumerate(_list(spec.get("volumes"), f"{where}.volumes"))
        ],
    }
    args = _command(spec.get("command"), f"{where}.command")
    if args is not None:
        base["args"] = args
    entrypoint = _command(spec.get("entrypoint"), f"{where}.entrypoint")
    if entrypoint is not None:
        base["command"] = entrypoint
    for source, target in (("user", "user"), ("working_dir", "workdir")):
        if spec.get(source) is not None:
            base[target] = str(spec[source])
    if spec.get("init") is not None:
        base["init"] = bool(spec["init"])
    if spec.get("stop_grace_period") is not None:
        base["stop_grace_period"] = duration_ns(
            spec["stop_grace_period"], f"{where}.stop_grace_period"
        )
    attached = []
    for name in _list(spec.get("networks"), f"{where}.networks"):
        if name not in networks:
            raise StackFileError(f"{where}: network {name!r} is not declared under networks")
        attached.append({"Target": networks[name].name})
    base["networks"] = attached
    if spec.get("healthcheck"):
        base["healthcheck"] = _healthcheck(spec["healthcheck"], f"{where}.healthcheck")
    placement = deploy.get("placement") or {}
    if set(placement) - {"constraints"}:
        raise StackFileError(f"{where}.deploy.placement: only constraints are read")
    base["constraints"] = [
        str(c) for c in _list(placement.get("constraints"), f"{where}.deploy.placement.constraints")
    ]
    if deploy.get("resources"):
        base["resources"] = _resources(deploy["resources"], f"{where}.deploy.resources")
    if deploy.get("update_config"):
        base["update_config"] = _update_config(
            deploy["update_config"], f"{where}.deploy.update_config"
        )
    if deploy.get("restart_policy"):
        base["restart_policy"] = _restart_policy(
            deploy["restart_policy"], f"{where}.deploy.restart_policy"
        )
    environment = spec.get("environment") or {}
    if not isinstance(environment, dict):
        raise StackFileError(f"{where}.environment: use the mapping form (NAME: value)")
    attached_configs: dict[str, str] = {}
    for i, item in enumerate(_list(spec.get("configs"), f"{where}.configs")):
        if not isinstance(item, dict) or set(item) != {"source", "target"}:
            raise StackFileError(f"{where}.configs[{i}]: give source and target")
        if item["source"] not in configs:
            raise StackFileError(
                f"{where}: config {item['source']!r} is not declared under configs"
            )
        attached_configs[str(item["source"])] = str(item["target"])
    depends_on = tuple(str(d) for d in _list(spec.get("depends_on"), f"{where}.depends_on"))
    return Service(
        key=key,
        name=str(base["name"]),
        job=mode_name == "replicated-job",
        depends_on=depends_on,
        settings=settings,
        environment={str(k): "" if v is None else str(v) for k, v in environment.items()},
        configs=attached_configs,
        healthcheck="healthcheck" in base,
        base=base,
    )


def _start_order(services: list[Service]) -> tuple[Service, ...]:
    """Services after what they depend on, otherwise in file order."""
    by_key = {service.key: service for service in services}
    for service in services:
        for dependency in service.depends_on:
            if dependency not in by_key:
                raise StackFileError(f"services.{service.key}: depends on unknown {dependency!r}")
    ordered: list[Service] = []
    placed: set[str] = set()
    while len(ordered) < len(services):
        ready = [
            s for s in services if s.key not in placed and all(d in placed for d in s.depends_on)
        ]
        if not ready:
            stuck = sorted(s.key for s in services if s.key not in placed)
            raise StackFileError(f"depends_on has a cycle among {', '.join(stuck)}")
        ordered.append(ready[0])
        placed.add(ready[0].key)
    return tuple(ordered)
