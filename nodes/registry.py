"""The registry nodes pull Berth's images from: self-hosted as swarm services, or external.

Self-hosted, it is three services on a network of their own:

- ``<ns>-registry`` on Berth's node: the store, with htpasswd auth, published
  in host mode on ``BERTH_REGISTRY_PORT``; Berth pushes to ``127.0.0.1:<port>``;
- ``<ns>-registry-internal`` on the same node and volume: a read-only view
  with no auth, reachable only on the registry network;
- ``<ns>-registry-mirror``, global on every other node: a pull-through cache
  of the internal view, with the same htpasswd auth, on the same host port.

So every node pulls ``127.0.0.1:<port>/...``: the engines treat a loopback
registry as trusted without TLS, and nothing on any node needs configuring.
(The registry's proxy mode cannot send basic-auth credentials upstream, hence
the internal view rather than auth on both ends.)
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import bcrypt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from nodes import cluster, images
from nodes.models import ImageRegistry, RegistryMode
from paas import audit, crypto, naming, transport
from paas.access import Principal
from paas.transport import EngineError, NotFound, call, client

Log = Callable[[str], None]
SPEC_LABEL = "berth.spec"
DATA_PATH = "/var/lib/registry"
CONFIG_PATH = "/etc/docker/registry/config.yml"
HOSTED_USER = "berth"


def names() -> dict[str, str]:
    return {
        "store": naming.namespaced("registry"),
        "internal": naming.namespaced("registry-internal"),
        "mirror": naming.namespaced("registry-mirror"),
        "network": naming.namespaced("registry-net"),
        "volume": naming.namespaced("registry-data"),
    }


def htpasswd_line(user: str, password: str) -> str:
    # The registry's bcrypt reads the 2a prefix (2b is the same algorithm).
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10, prefix=b"2a")).decode()
    return f"{user}:{hashed}\n"


def config_text(kind: str, internal_service: str = "") -> str:
    """The registry's config.yml for the store, the internal view or a mirror (JSON is YAML)."""
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": DATA_PATH}, "delete": {"enabled": True}},
        "http": {"addr": ":5000"},
    }
    if kind in ("store", "mirror"):
        config["auth"] = {"htpasswd": {"realm": "berth", "path": "/run/secrets/htpasswd"}}
    if kind == "internal":
        config["storage"]["maintenance"] = {
            "uploadpurging": {"enabled": False},
            "readonly": {"enabled": True},
        }
        del config["storage"]["delete"]
    if kind == "mirror":
        config["proxy"] = {"remoteurl": f"http://tasks.{internal_service}:5000"}
    return json.dumps(config, indent=2) + "\n"


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _ensure_network(name: str) -> str:
    found = call(client().api.networks, names=[name])
    for net in found:
        if net.get("Name") == name:
            return str(net["Id"])
    created = call(
        client().api.create_network,
        name,
        driver="overlay",
        attachable=False,
        labels=naming.labels("registry"),
        retries=0,
    )
    return str(created["Id"])


def _ensure_secret(prefix: str, data: str, *, config: bool = False) -> tuple[str, str]:
    """Swarm secrets and configs cannot change: a new value is a new name (by digest)."""
    name = f"{prefix}-{_digest(data)}"
    api = client().api
    listing = api.configs if config else api.secrets
    for item in call(listing, filters={"name": name}):
        if item["Spec"]["Name"] == name:
            return name, str(item["ID"])
    create = api.create_config if config else api.create_secret
    created = call(create, name, data.encode(), labels=naming.labels("registry"), retries=0)
    return name, str(created["ID"])


def service_spec(
    kind: str,
    *,
    image: str,
    network: str,
    local_node: str,
    htpasswd: tuple[str, str] | None,
    config: tuple[str, str],
    port: int,
    volume: str,
) -> dict[str, Any]:
    n = names()
    container: dict[str, Any] = {
        "Image": image,
        "Labels": naming.labels("registry"),
        "Configs": [
            {
                "File": {"Name": CONFIG_PATH, "UID": "0", "GID": "0", "Mode": 0o444},
                "ConfigName": config[0],
                "ConfigID": config[1],
            }
        ],
        "Secrets": [],
        "Mounts": [
            {
                "Type": "volume",
                "Source": volume,
                "Target": DATA_PATH,
                "VolumeOptions": {"Labels": naming.labels("registry")},
            }
        ],
    }
    if htpasswd is not None:
        container["Secrets"] = [
            {
                "File": {"Name": "htpasswd", "UID": "0", "GID": "0", "Mode": 0o444},
                "SecretName": htpasswd[0],
                "SecretID": htpasswd[1],
            }
        ]
    constraint = f"node.id{'!=' if kind == 'mirror' else '=='}{local_node}"
    endpoint: dict[str, Any] = {"Mode": "dnsrr"}
    if kind != "internal":
        endpoint["Ports"] = [
            {"Protocol": "tcp", "TargetPort": 5000, "PublishedPort": port, "PublishMode": "host"}
        ]
    template = {
        "ContainerSpec": container,
        "Placement": {"Constraints": [constraint]},
        "Networks": [{"Target": network}],
        "RestartPolicy": {"Condition": "any", "Delay": 2_000_000_000},
    }
    mode: dict[str, Any] = {"Global": {}} if kind == "mirror" else {"Replicated": {"Replicas": 1}}
    labels = {**naming.labels("registry"), SPEC_LABEL: _digest(template, mode, endpoint)}
    return {
        "Name": n[kind],
        "Labels": labels,
        "TaskTemplate": template,
        "Mode": mode,
        "EndpointSpec": endpoint,
        # The host port is taken by the old task until it stops.
        "UpdateConfig": {"Order": "stop-first", "Parallelism": 0},
    }


def _apply(spec: dict[str, Any]) -> str:
    """Create the service or update it when its spec changed; returns what was done."""
    api = client().api
    try:
        current = call(api.inspect_service, spec["Name"])
    except NotFound:
        current = None
    kwargs = {
        "name": spec["Name"],
        "labels": spec["Labels"],
        "mode": spec["Mode"],
        "endpoint_spec": spec["EndpointSpec"],
        "update_config": spec["UpdateConfig"],
    }
    if current is None:
        call(api.create_service, spec["TaskTemplate"], retries=0, **kwargs)
        return "created"
    if (current["Spec"].get("Labels") or {}).get(SPEC_LABEL) == spec["Labels"][SPEC_LABEL]:
        return "unchanged"
    call(
        api.update_service,
        current["ID"],
        current["Version"]["Index"],
        task_template=spec["TaskTemplate"],
        fetch_current_spec=False,
        retries=0,
        **kwargs,
    )
    return "updated"


def _wait_running(name: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        tasks = call(client().api.tasks, filters={"service": name, "desired-state": "running"})
        if any((t.get("Status") or {}).get("State") == "running" for t in tasks):
            return ""
        errors = [str((t.get("Status") or {}).get("Err") or "") for t in tasks]
        last = next((e for e in errors if e), last)
        time.sleep(0.5)
    return last or "no task is running"


def ensure_hosted(out: Log) -> None:
    """Converge the self-hosted registry's services; the row says how it went."""
    row, _ = ImageRegistry.objects.get_or_create(pk=1)
    image = settings.BERTH_REGISTRY_IMAGE
    port = settings.BERTH_REGISTRY_PORT
    n = names()
    password = crypto.decrypt(row.password_encrypted) if row.password_encrypted else ""
    if not password:
        password = secrets.token_urlsafe(24)
    facts = cluster.swarm_facts()
    network = _ensure_network(n["network"])
    htpasswd = _ensure_secret(
        naming.namespaced("registry-htpasswd"), htpasswd_line(HOSTED_USER, password)
    )
    common: dict[str, Any] = {
        "image": image,
        "network": network,
        "local_node": facts.local_node_id,
        "port": port,
        "volume": n["volume"],
    }
    for kind in ("store", "internal"):
        config = _ensure_secret(
            naming.namespaced(f"registry-{kind}"), config_text(kind), config=True
        )
        done = _apply(
            service_spec(
                kind, htpasswd=htpasswd if kind == "store" else None, config=config, **common
            )
        )
        out(f"{n[kind]}: {done}")
    # Mirrors run the same image on the other nodes: get it there when they cannot pull it.
    try:
        images.copy_to_nodes(image, placement={}, out=out)
    except images.DeliveryFailed as exc:
        out(f"Warning: {exc}")
    mirror_config = _ensure_secret(
        naming.namespaced("registry-mirror"), config_text("mirror", n["internal"]), config=True
    )
    out(
        f"{n['mirror']}: {_apply(service_spec('mirror', htpasswd=htpasswd, config=mirror_config, **common))}"
    )
    problem = _wait_running(n["store"], timeout=90) or _wait_running(n["internal"], timeout=30)
    server = f"127.0.0.1:{port}"
    with transaction.atomic():
        row.server = server
        row.username = HOSTED_USER
        row.password_encrypted = crypto.encrypt(password)
        row.state = "running" if not problem else "failed"
        row.last_error = problem
        row.updated_at = timezone.now()
        row.save()
    if problem:
        raise EngineError(f"The registry did not start: {problem}")
    transport.set_registry_auth(server, HOSTED_USER, password)
    out(f"Registry running at {server} on every node")


def remove_hosted(out: Log) -> None:
    for key in ("mirror", "internal", "store"):
        try:
            call(client().api.remove_service, names()[key], retries=0)
            out(f"{names()[key]}: removed")
        except NotFound:
            pass


def check_external(out: Log) -> None:
    row = ImageRegistry.objects.get(pk=1)
    password = crypto.decrypt(row.password_encrypted) if row.password_encrypted else ""
    try:
        if row.username:
            call(
                client().api.login,
                row.username,
                password=password,
                registry=row.server,
                reauth=True,
                retries=0,
            )
        problem = ""
    except EngineError as exc:
        problem = str(exc)
    ImageRegistry.objects.filter(pk=1).update(
        state="running" if not problem else "failed", last_error=problem, updated_at=timezone.now()
    )
    if problem:
        raise EngineError(f"The registry refused the login: {problem}")
    transport.set_registry_auth(row.server, row.username, password)
    out(f"Logged in to {row.server}")


def converge(out: Log) -> None:
    """Put the registry in the state the row asks for; a failure is written onto the row."""
    row = ImageRegistry.objects.filter(pk=1).first()
    if row is None:
        return  # never configured: nothing of the registry's exists
    try:
        if row.mode == RegistryMode.HOSTED:
            ensure_hosted(out)
        elif row.mode == RegistryMode.EXTERNAL:
            remove_hosted(out)
            check_external(out)
        else:
            remove_hosted(out)
    except (EngineError, crypto.SecretUnreadable) as exc:
        ImageRegistry.objects.filter(pk=1).update(
            state="failed", last_error=str(exc)[:4000], updated_at=timezone.now()
        )
        raise


def configure(
    *,
    principal: Principal,
    mode: str,
    server: str = "",
    username: str = "",
    password: str = "",
) -> ImageRegistry:
    """Choose where images go; the worker sets the registry up (or checks the login)."""
    from nodes.services import require_operator
    from nodes.tasks import converge_registry as converge_registry_task

    require_operator(principal)
    if mode not in RegistryMode.values:
        raise ValidationError({"mode": f"One of {', '.join(RegistryMode.values)}."})
    server = server.strip().rstrip("/")
    if mode == RegistryMode.EXTERNAL:
        if not server or " " in server or "://" in server:
            raise ValidationError(
                {"server": "Give the registry as host[:port][/prefix], no scheme."}
            )
        if password and not username.strip():
            raise ValidationError({"username": "Give the user name with the password."})
    with transaction.atomic():
        row, _ = ImageRegistry.objects.select_for_update().get_or_create(pk=1)
        changed_mode = row.mode != mode
        row.mode = mode
        if mode == RegistryMode.EXTERNAL:
            if row.server != server or username != row.username or password:
                row.password_encrypted = crypto.encrypt(password) if password else ""
            row.server, row.username = server, username.strip()
        elif mode == RegistryMode.HOSTED:
            if changed_mode:
                row.password_encrypted = ""
                row.server = ""
            row.username = HOSTED_USER
        else:
            row.server, row.username, row.password_encrypted = "", "", ""
        row.state = "setting up" if mode != RegistryMode.NONE else ""
        row.last_error = ""
        row.updated_at = timezone.now()
        row.save()
        audit.record(
            principal,
            "registry.configure",
            target=mode,
            target_type="registry",
            data={"mode": mode, "server": server, "username": username},
        )
        transaction.on_commit(converge_registry_task.delay)
    return row
