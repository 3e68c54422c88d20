"""Compose (checked by :mod:`apps.compose.validate`) -> one Berth app plan per service.

Pure apart from reading the upload's files: no database, no engine. Host access
goes through :mod:`paas.policy` (the same check as the portal and the API).
Each plan carries the app's settings, the extra spec a compose service has
(``compose``: names, not engine ids; see :mod:`apps.compose.resolve`) and a
digest, so a redeploy only touches services whose digest changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError

from apps import validation
from apps.compose import extras
from apps.compose.fields import FieldError
from apps.compose.parse import ComposeError, join, parse_env_file
from apps.compose.sources import Sources, clean_relative
from apps.compose.validate import Checked, order
from apps.volumes.models import VOLUME_NAME_PATTERN
from paas import naming, policy

STACK_LABEL = "berth.stack"
VOLUME_NAME_RE = re.compile(VOLUME_NAME_PATTERN)
POLICY_FIELDS = {"bind_mounts": "volumes", "host_ports": "ports"}


@dataclass(frozen=True)
class FilePlan:
    kind: str  # "secret" or "config"
    name: str
    engine_name: str
    content: str


@dataclass(frozen=True)
class ServicePlan:
    service: str
    app: str
    image: str
    build: dict[str, str] | None
    settings: dict[str, Any]
    compose: dict[str, Any]
    depends_on: dict[str, str]
    domains: tuple[str, ...]
    # Berth volumes of the team mounted in the app: {volume, path, read_only}.
    volumes: tuple[dict[str, Any], ...] = ()
    digest: str = ""


@dataclass(frozen=True)
class StackPlan:
    services: list[ServicePlan]
    networks: dict[str, dict[str, Any]]
    volumes: dict[str, dict[str, Any]]
    files: list[FilePlan]
    warnings: list[str] = field(default_factory=list)


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def object_name(stack: str, name: str, *extra: str) -> str:
    # "_" cannot occur in stack names (DNS labels): stack "a" object "b-c" never meets stack "a-b".
    return naming.namespaced("stack", "_".join((stack, name, *extra)))


def object_labels(kind: str, stack: str) -> dict[str, str]:
    return naming.labels(kind, **{STACK_LABEL: stack})


def volume_name(stack: str, name: str) -> str:
    """The team's Berth volume (apps.volumes) a stack's named volume is."""
    return f"{stack}-{name}"


def app_name(stack: str, service: str) -> str:
    return f"{stack}-{service}"


class _Translator:
    def __init__(
        self,
        stack: str,
        checked: Checked,
        *,
        rules: policy.Rules,
        variables: Mapping[str, str],
        sources: Sources,
    ) -> None:
        self.stack = stack
        self.data = checked.data
        self.rules = rules
        self.variables = variables
        self.sources = sources
        self.errors: dict[str, list[str]] = {}
        self.warnings = list(checked.warnings)
        self.files: dict[tuple[str, str], FilePlan] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def plan(self) -> StackPlan:
        services = self.data["services"]
        used_networks = {
            net for svc in services.values() for net in (svc["networks"] or {"default": []})
        }
        networks = {
            name: {
                "engine_name": object_name(self.stack, name),
                "internal": bool((self.data["networks"].get(name) or {}).get("internal")),
                "labels": {
                    **(self.data["networks"].get(name) or {}).get("labels", {}),
                    **object_labels("stack-network", self.stack),
                },
            }
            for name in sorted(used_networks)
        }
        volumes = {
            name: {"volume": volume_name(self.stack, name), **spec}
            for name, spec in self.data["volumes"].items()
        }
        for name, spec in volumes.items():
            if not VOLUME_NAME_RE.match(spec["volume"]):
                self.fail(
                    join("volumes", name),
                    f"It becomes the team's volume {spec['volume']!r}: use lowercase letters, "
                    "digits, '-' or '_' (at most 63 characters in all).",
                )
        graph = {name: sorted(svc["depends_on"]) for name, svc in services.items()}
        plans = []
        for name in order(graph):
            try:
                plans.append(self.service(name, services[name], networks, volumes))
            except ComposeError as exc:
                for key, messages in exc.errors.items():
                    self.errors.setdefault(key, []).extend(messages)
        if self.errors:
            raise ComposeError(self.errors)
        return StackPlan(plans, networks, volumes, list(self.files.values()), self.warnings)

    # --- one service ------------------------------------------------------------------

    def service(
        self,
        name: str,
        svc: dict[str, Any],
        networks: dict[str, dict[str, Any]],
        volumes: dict[str, dict[str, Any]],
    ) -> ServicePlan:
        path = join("services", name)
        app = app_name(self.stack, name)
        try:
            validation.clean_name(app)
        except ValidationError as exc:
            raise FieldError(path, f"The app name {app!r}: {exc.messages[0]}") from None
        berth = svc["berth"]
        http_port, host_ports = self.ports(svc, path)
        expose = berth["expose"] if berth["expose"] is not None else http_port is not None
        internal = not (http_port is not None and expose)
        mounts, binds, named = self.mounts(svc, path, volumes)
        access = policy.HostAccess(
            bind_mounts=binds,
            host_ports=[p["published"] for p in host_ports],
            cap_add=svc["cap_add"],
            privileged=svc["privileged"],
            network_mode=svc["network_mode"],
            pid_mode=svc["pid"],
            ipc_mode=svc["ipc"],
            devices=svc["devices"],
            security_opt=svc["security_opt"],
            sysctls=[f"{k}={v}" for k, v in svc["sysctls"].items()],
        )
        refusals = policy.check(access, self.rules)
        for refusal in refusals:
            key = POLICY_FIELDS.get(refusal.field, refusal.field)
            self.fail(join(path, key), refusal.message)
        if refusals:
            raise ComposeError({})
        self.swarm_limits(svc, path)
        settings_ = self.settings(svc, path, http_port=http_port, internal=internal)
        compose = {
            "stack": self.stack,
            "service": name,
            "apps_network": not internal,
            "networks": [
                {
                    "name": networks[net]["engine_name"],
                    "aliases": sorted({name, *aliases}),
                    "internal": networks[net]["internal"],
                }
                for net, aliases in sorted((svc["networks"] or {"default": []}).items())
            ],
            "container": extras.container(svc, path, self.fail),
            "mounts": mounts,
            "secrets": self.refs(svc, "secrets", path),
            "configs": self.refs(svc, "configs", path),
            "template": extras.template(svc, path, self.fail),
            "service_spec": extras.service_extra(svc, host_ports),
        }
        build = self.build(svc, path)
        image = "" if build is not None else svc["image"]
        if image:
            try:
                image = validation.clean_image(image)
            except ValidationError as exc:
                raise FieldError(join(path, "image"), exc.messages[0]) from None
        domains = tuple(berth["domains"])
        if domains and internal:
            self.fail(join(path, "x-berth.domains"), "Domains need an exposed http_port.")
        plan = ServicePlan(
            service=name,
            app=app,
            image=image,
            build=build,
            settings=settings_,
            compose=compose,
            depends_on=dict(sorted(svc["depends_on"].items())),
            domains=domains,
            volumes=tuple(named),
        )
        body = {
            "image": image,
            "build": build,
            "settings": settings_,
            "compose": compose,
            "domains": list(domains),
            "volumes": named,
        }
        return replace(plan, digest=digest(body))

    def ports(self, svc: dict[str, Any], path: str) -> tuple[int | None, list[dict[str, Any]]]:
        """The HTTP port the gateway routes to, and the ports published on the host."""
        ports = svc["ports"]
        http_port = svc["berth"]["http_port"]
        if http_port is None:
            marked = [p for p in ports if p["app_protocol"] == "http"]
            on_80 = [p for p in ports if p["published"] == 80 and p["protocol"] == "tcp"]
            chosen = (marked or on_80 or [None])[0]
            http_port = chosen["target"] if chosen else None
        host_ports = []
        for entry in ports:
            if entry["published"] is None:
                continue  # documentation only: reachable on the stack's network anyway
            if (
                entry["target"] == http_port
                and entry["protocol"] == "tcp"
                and (entry["published"] in (80, 443) or entry["app_protocol"] == "http")
            ):
                if entry["published"] == 443:
                    self.warnings.append(
                        f"{path}.ports: port 443 is served by the gateway (HTTPS for its domains)."
                    )
                continue
            host_ports.append(entry)
        return http_port, host_ports

    def mounts(
        self, svc: dict[str, Any], path: str, volumes: dict[str, dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
        """Engine mounts (binds, tmpfs), host paths for the policy, and the Berth volumes used."""
        mounts: list[dict[str, Any]] = []
        binds: list[str] = []
        named: list[dict[str, Any]] = []
        for index, vol in enumerate(svc["volumes"]):
            where = join(join(path, "volumes"), index)
            if vol["type"] == "bind":
                binds.append(vol["source"])
                mounts.append(
                    {
                        "Type": "bind",
                        "Source": vol["source"],
                        "Target": vol["target"],
                        "ReadOnly": vol["read_only"],
                    }
                )
            elif vol["type"] == "tmpfs":
                mount: dict[str, Any] = {"Type": "tmpfs", "Target": vol["target"]}
                if vol["tmpfs_size"]:
                    mount["TmpfsOptions"] = {"SizeBytes": vol["tmpfs_size"]}
                mounts.append(mount)
            else:
                if not vol["source"]:
                    self.fail(
                        where,
                        "Anonymous volumes lose their data on each deploy: name it under volumes.",
                    )
                    continue
                spec = volumes[vol["source"]]
                if spec["driver"] != "local":
                    self.fail(
                        join("volumes", vol["source"]), "Only the local volume driver is supported."
                    )
                    continue
                opts = spec["driver_opts"]
                if opts.get("device") and (
                    "bind" in opts.get("o", "").split(",") or opts.get("type") == "none"
                ):
                    # A local volume over a host folder is a bind mount by another name.
                    binds.append(opts["device"])
                named.append(
                    {"volume": spec["volume"], "path": vol["target"], "read_only": vol["read_only"]}
                )
        for target in svc["tmpfs"]:
            mounts.append({"Type": "tmpfs", "Target": target})
        return mounts, binds, named

    def swarm_limits(self, svc: dict[str, Any], path: str) -> None:
        """What passed the policy (a trusted team) but swarm services cannot do."""
        for key, value in (
            ("privileged", svc["privileged"]),
            ("devices", svc["devices"]),
            ("pid", svc["pid"]),
            ("ipc", svc["ipc"]),
            ("network_mode", svc["network_mode"]),
            ("security_opt", svc["security_opt"]),
        ):
            if value:
                self.fail(join(path, key), f"{key} is not available to swarm services.")
        if self.errors:
            raise ComposeError({})

    def environment(self, svc: dict[str, Any], path: str) -> dict[str, str]:
        env: dict[str, str] = {}
        for index, entry in enumerate(svc["env_file"]):
            where = join(join(path, "env_file"), index)
            if not entry["required"] and not (
                self.sources.present and self.sources.exists(entry["path"], where)
            ):
                continue
            text = self.sources.read(entry["path"], where).decode(errors="replace")
            env.update(parse_env_file(text, path=where))
        for key, value in svc["environment"].items():
            if value is None:
                if key in self.variables:
                    env[key] = self.variables[key]
            else:
                env[key] = value
        try:
            return validation.clean_env(env)
        except ValidationError as exc:
            raise FieldError(join(path, "environment"), exc.messages[0]) from None

    def settings(
        self, svc: dict[str, Any], path: str, *, http_port: int | None, internal: bool
    ) -> dict[str, Any]:
        deploy = svc["deploy"]
        port = http_port or next((p["target"] for p in svc["ports"]), 80)
        values: dict[str, Any] = {
            "instances": deploy["replicas"],
            "container_port": port,
            "env": self.environment(svc, path),
            "health_check_path": "",
            "cpu_limit": None,
            "cpu_reservation": None,
            "memory_limit_mb": None,
            "memory_reservation_mb": None,
            "internal": internal,
            "placement": {},
        }
        where = join(path, "deploy.resources")
        try:
            values["health_check_path"] = validation.clean_health_path(svc["berth"]["health_path"])
            for part, suffix in (("limits", "limit"), ("reservations", "reservation")):
                given = deploy[part]
                if "cpus" in given:
                    values[f"cpu_{suffix}"] = validation.clean_cpu(f"cpu_{suffix}", given["cpus"])
                if "memory_mb" in given:
                    values[f"memory_{suffix}_mb"] = validation.clean_memory(
                        f"memory_{suffix}_mb", given["memory_mb"]
                    )
            validation.check_resources(values)
        except ValidationError as exc:
            raise FieldError(where, exc.messages[0]) from None
        return values

    def refs(self, svc: dict[str, Any], kind: str, path: str) -> list[dict[str, Any]]:
        out = []
        for index, ref in enumerate(svc[kind]):
            where = join(join(path, kind), index)
            plan = self.file(kind, ref["source"], where)
            if plan is None:
                continue
            default = ref["source"] if kind == "secrets" else f"/{ref['source']}"
            target = ref["target"] or default
            if kind == "secrets" and not target.startswith("/") and "/" in target:
                self.fail(
                    where, f"The secret target {target!r} must be a file name or an absolute path."
                )
            mode = ref["mode"] if ref["mode"] is not None else 0o444
            out.append(
                {
                    "engine_name": plan.engine_name,
                    "file": {"Name": target, "UID": ref["uid"], "GID": ref["gid"], "Mode": mode},
                }
            )
        return out

    def file(self, kind: str, name: str, where: str) -> FilePlan | None:
        key = (kind, name)
        if key in self.files:
            return self.files[key]
        spec = self.data[kind][name]
        origin = join(kind, name)
        try:
            if spec["source"] == "file":
                raw = self.sources.read(spec["value"], join(origin, "file"))
                try:
                    content = raw.decode()
                except UnicodeDecodeError:
                    self.fail(join(origin, "file"), "Only text files can be secrets or configs.")
                    return None
            elif spec["source"] == "environment":
                if spec["value"] not in self.variables:
                    self.fail(join(origin, "environment"), f"Variable {spec['value']} is not set.")
                    return None
                content = self.variables[spec["value"]]
            else:
                content = spec["value"]
        except ComposeError as exc:
            for path, messages in exc.errors.items():
                self.errors.setdefault(path, []).extend(messages)
            return None
        if len(content.encode()) > 500 * 1024 or not content:
            self.fail(origin, "A secret or config holds 1 byte to 500 KB.")
            return None
        plan = FilePlan(
            kind=kind[:-1],
            name=name,
            engine_name=object_name(self.stack, name, digest(content)[:10]),
            content=content,
        )
        self.files[key] = plan
        return plan

    def build(self, svc: dict[str, Any], path: str) -> dict[str, str] | None:
        build = svc["build"]
        if build is None:
            return None
        where = join(path, "build")
        if not self.sources.present:
            raise FieldError(
                where,
                "Building needs the source: upload a tarball holding the compose file "
                "and the build context.",
            )
        context = clean_relative(build["context"], join(where, "context"))
        dockerfile = clean_relative(build["dockerfile"], join(where, "dockerfile"))
        folder_digest = self.sources.folder_digest(context, join(where, "context"))
        self.sources.read(
            f"{context}/{dockerfile}" if context != "." else dockerfile, join(where, "dockerfile")
        )
        return {"context": context, "dockerfile": dockerfile, "digest": folder_digest}


def translate(
    stack: str,
    checked: Checked,
    *,
    rules: policy.Rules,
    variables: Mapping[str, str] | None = None,
    sources: Sources | None = None,
) -> StackPlan:
    """Plans for every service, dependencies first; raises ComposeError listing every refusal."""
    return _Translator(
        stack,
        checked,
        rules=rules,
        variables=variables or {},
        sources=sources or Sources(None),
    ).plan()
