"""``manage.py install`` / ``upgrade``: Berth's own stack converged onto the swarm.

On a fresh engine a swarm is initialised; an existing swarm is adopted as it is.
The portal image is built from this checkout (or named), the data folder made
ready for the image's user, and compose/stack.yml applied in depends_on order:
Redis and the engine proxy, then the one-shot ``migrate`` job (migrations once,
then bootstrap: network, gateway, the portal's route), then web and worker (which
runs beat), each updated only when its spec changed and rolled by swarm one task at a time.
It returns once every service runs its new spec healthily and the portal answers
through the gateway.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from nodes import swarm
from paas import naming, transport
from paas.production import config, image, stackfile
from paas.production.stackfile import SPEC_LABEL, Stack

Log = Callable[[str], None]
WAIT_SECONDS = 300.0
# Services earlier versions of the stack ran, removed by an upgrade once its migrate
# job has succeeded. beat: the worker runs the scheduler now, and an old beat beside
# it would send every periodic task twice.
RETIRED = ("beat",)


class InstallError(Exception):
    """The installation cannot go on; the message says what to change."""


@dataclass(frozen=True)
class Result:
    namespace: str
    image: str
    portal_url: str | None
    changed: bool


# --- engine objects ----------------------------------------------------------------


def find_service(name: str) -> Any:
    for service in transport.call(transport.client().services.list, filters={"name": name}):
        if service.name == name:
            return service
    return None


def _owned(attrs: Mapping[str, Any], namespace: str) -> bool:
    labels = attrs.get("Labels") or (attrs.get("Spec") or {}).get("Labels") or {}
    return bool(labels.get(naming.NAMESPACE_LABEL) == namespace)


def _ensure_network(network: stackfile.Network, namespace: str, log: Log) -> None:
    if network.external:
        return
    found = [
        n
        for n in transport.call(transport.client().networks.list, names=[network.name])
        if n.name == network.name
    ]
    if found:
        if not _owned(found[0].attrs, namespace):
            raise InstallError(f"a network named {network.name} exists but Berth did not make it")
        return
    transport.call(
        transport.client().networks.create,
        network.name,
        driver="overlay",
        scope="swarm",
        attachable=False,
        labels=stackfile.stack_labels(namespace, "network"),
        retries=0,
    )
    log(f"network {network.name}: created")


def _ensure_volume(volume: stackfile.Volume, namespace: str, log: Log) -> None:
    try:
        found = transport.call(transport.client().volumes.get, volume.name, retries=0)
    except transport.NotFound:
        transport.call(
            transport.client().volumes.create,
            name=volume.name,
            labels=stackfile.stack_labels(namespace, "volume"),
            retries=0,
        )
        log(f"volume {volume.name}: created")
        return
    if not _owned(found.attrs, namespace):
        raise InstallError(f"a volume named {volume.name} exists but Berth did not make it")


def _ensure_config(item: stackfile.Config, namespace: str, log: Log) -> tuple[str, str]:
    for existing in transport.call(transport.client().configs.list, filters={"name": item.name}):
        if existing.name == item.name:
            return str(existing.id), item.name
    created = transport.call(
        transport.client().configs.create,
        name=item.name,
        data=item.data,
        labels=stackfile.stack_labels(namespace, "config"),
        retries=0,
    )
    log(f"config {item.name}: created")
    return str(created.id), item.name


def _logs_tail(service: Any, lines: int = 15) -> str:
    try:
        chunks = transport.call(service.logs, stdout=True, stderr=True, tail=lines, retries=0)
        text = b"".join(chunks).decode(errors="replace")
    except transport.EngineError:
        return ""
    return "\n".join(f"  | {line}" for line in text.strip().splitlines()[-lines:])


def _task_problem(service: Any) -> str:
    for task in transport.call(service.tasks):
        status = task.get("Status") or {}
        if status.get("State") in ("failed", "rejected") and status.get("Err"):
            return str(status["Err"])
    return ""


# --- applying services ---------------------------------------------------------------


def _digest(spec: Mapping[str, Any]) -> str:
    return str(spec["labels"][SPEC_LABEL])


def _apply(spec: dict[str, Any], namespace: str, log: Log) -> bool:
    name = spec["name"]
    for network in spec.get("networks", []):
        target = network["Target"]
        listed = transport.call(transport.client().networks.list, names=[target])
        if not any(found.name == target for found in listed):
            raise InstallError(f"{name}: the network {target} does not exist (bootstrap makes it)")
    existing = find_service(name)
    if existing is None:
        transport.call(transport.client().services.create, retries=0, **spec)
        log(f"service {name}: created")
        return True
    if not _owned(existing.attrs["Spec"], namespace):
        raise InstallError(f"a service named {name} exists but Berth did not make it")
    current = (existing.attrs["Spec"].get("Labels") or {}).get(SPEC_LABEL)
    # A service scaled by hand (or by `restore --replace`) is put back too.
    if current == _digest(spec) and existing.attrs["Spec"].get("Mode") == spec["mode"]:
        log(f"service {name}: up to date")
        return False
    transport.call(existing.update, fetch_current_spec=False, retries=0, **spec)
    log(f"service {name}: updating (rolling, {_order(spec)})")
    return True


def _order(spec: Mapping[str, Any]) -> str:
    return str((spec.get("update_config") or {}).get("Order", "stop-first"))


def _wait_ready(name: str, digest: str, deadline: float) -> None:
    """Until a task of this spec runs (swarm marks a task running once it is healthy)."""
    while True:
        service = find_service(name)
        if service is None:
            raise InstallError(f"service {name} disappeared while waiting for it")
        update = service.attrs.get("UpdateStatus") or {}
        if update.get("State") in (
            "rollback_started",
            "rollback_completed",
            "paused",
            "rollback_paused",
        ):
            raise InstallError(
                f"service {name}: the update was rolled back ({update.get('Message', '')}); "
                f"the previous version keeps running.\n{_logs_tail(service)}"
            )
        failed = 0
        for task in transport.call(service.tasks):
            labels = task["Spec"]["ContainerSpec"].get("Labels") or {}
            if labels.get(SPEC_LABEL) != digest:
                continue
            state = task["Status"]["State"]
            if state == "running" and task.get("DesiredState") == "running":
                return
            failed += state in ("failed", "rejected")
        # Swarm retries a failing task for ever; two failures of the new spec say enough.
        if failed >= 2 or time.monotonic() > deadline:
            problem = _task_problem(service)
            raise InstallError(
                f"service {name} did not become healthy in time"
                + (f" ({problem})" if problem else "")
                + f"\n{_logs_tail(service)}"
            )
        time.sleep(0.5)


def _remove_job(name: str, namespace: str) -> None:
    """Remove a job's service and its finished containers (swarm leaves those behind)."""
    service = find_service(name)
    if service is not None:
        if not _owned(service.attrs["Spec"], namespace):
            raise InstallError(f"a service named {name} exists but Berth did not make it")
        transport.call(service.remove, retries=0)
        while find_service(name) is not None:
            time.sleep(0.2)
    filters = {
        "label": [f"com.docker.swarm.service.name={name}", f"{naming.NAMESPACE_LABEL}={namespace}"],
        "status": "exited",
    }
    for container in transport.call(transport.client().containers.list, all=True, filters=filters):
        with contextlib.suppress(transport.NotFound):
            transport.call(container.remove, retries=0)


def _run_job(spec: dict[str, Any], namespace: str, log: Log, deadline: float) -> None:
    """Run a one-shot job to completion and show its log; nothing of it is left after."""
    name = spec["name"]
    _remove_job(name, namespace)
    transport.call(transport.client().services.create, retries=0, **spec)
    log(f"job {name}: started")
    try:
        while True:
            service = find_service(name)
            states = [t["Status"]["State"] for t in transport.call(service.tasks)]
            if "complete" in states:
                for line in _logs_tail(service, 200).splitlines():
                    log(line)
                log(f"job {name}: done")
                return
            if any(state in ("failed", "rejected") for state in states):
                raise InstallError(
                    f"job {name} failed ({_task_problem(service)}); nothing else was changed.\n"
                    f"{_logs_tail(service, 40)}"
                )
            if time.monotonic() > deadline:
                raise InstallError(f"job {name} did not finish in time\n{_logs_tail(service)}")
            time.sleep(0.5)
    finally:
        _remove_job(name, namespace)


def _remove_retired(namespace: str, log: Log) -> None:
    for key in RETIRED:
        service = find_service(stackfile.name_in(namespace, key))
        if service is None or not _owned(service.attrs["Spec"], namespace):
            continue
        transport.call(service.remove, retries=0)
        log(f"service {service.name}: removed (no longer part of the stack)")


def converge(
    stack: Stack,
    *,
    settings_env: Mapping[str, str],
    log: Log,
    timeout: float = WAIT_SECONDS,
) -> bool:
    """Apply ``stack`` in start order; wait until every service runs its spec. Changed?"""
    namespace = stack.namespace
    deadline = time.monotonic() + timeout
    for network in stack.networks.values():
        _ensure_network(network, namespace, log)
    for volume in stack.volumes.values():
        _ensure_volume(volume, namespace, log)
    refs = {key: _ensure_config(item, namespace, log) for key, item in stack.configs.items()}
    digests: dict[str, str] = {}
    changed = False
    for service in stack.services:
        for dependency in service.depends_on:
            if dependency in digests:
                _wait_ready(stack.service(dependency).name, digests[dependency], deadline)
        spec = service.spec(settings_env=settings_env, config_refs=refs)
        if service.job:
            _run_job(spec, namespace, log, deadline)
            _remove_retired(namespace, log)
            continue
        changed = _apply(spec, namespace, log) or changed
        digests[service.key] = _digest(spec)
    for key, digest in digests.items():
        _wait_ready(stack.service(key).name, digest, deadline)
    return changed


# --- the host: socket, data folder, images -------------------------------------------


def _socket(settings: config.Settings) -> tuple[str, int]:
    """The engine's socket path on this host and its group (the worker joins it)."""
    host = django_settings.DOCKER_HOST or ""
    if host and not host.startswith("unix://"):
        raise InstallError(
            f"DOCKER_HOST is {host}: run install on the manager itself, with its local socket "
            "(the stack mounts the socket and the data folder from this host)"
        )
    path = host.removeprefix("unix://") or settings.get("BERTH_HOST_DOCKER_SOCKET")
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InstallError(f"the docker socket {path}: {exc}") from exc
    if not stat.S_ISSOCK(info.st_mode):
        raise InstallError(f"{path} is not a socket")
    return path, info.st_gid


def prepare_data_dir(data_dir: Path, log: Log) -> None:
    """Make the data folder belong to the portal image's user (install.env stays root's)."""
    if not data_dir.is_absolute():
        raise InstallError(f"BERTH_DATA_DIR must be an absolute path, got {data_dir}")
    if data_dir == config.BASE_DIR / "var":
        log(
            f"note: the data folder is the checkout's {data_dir} (what `make run` uses); "
            "set BERTH_DATA_DIR=/var/lib/berth for an installation of its own"
        )
    (data_dir / "gateway").mkdir(parents=True, exist_ok=True)
    uid = config.PORTAL_UID
    try:
        for folder, dirs, files in os.walk(data_dir):
            for name in [folder, *(os.path.join(folder, d) for d in dirs)]:
                if os.stat(name).st_uid != uid:
                    os.chown(name, uid, uid)
            for name in files:
                path = os.path.join(folder, name)
                if name == config.ENV_FILE and folder == str(data_dir):
                    continue
                if os.lstat(path).st_uid != uid:
                    os.chown(path, uid, uid, follow_symlinks=False)
    except PermissionError as exc:
        raise InstallError(
            f"cannot give {data_dir} to the portal's user {uid}: {exc}. Run install as root, "
            f"or `chown -R {uid}:{uid} {data_dir}` first"
        ) from exc
    log(f"data folder {data_dir}: ready (owned by uid {uid})")


def _ensure_image(ref: str, settings: config.Settings, log: Log) -> None:
    if image.exists(ref):
        return
    if settings.values.get("BERTH_PULL_IMAGES", "true").lower() in ("0", "false", "no", "off"):
        raise InstallError(f"the image {ref} is not on this engine (and pulling is off)")
    log(f"image {ref}: pulling")
    try:
        transport.call(transport.client().images.pull, ref, retries=0)
    except transport.EngineError as exc:
        raise InstallError(
            f"the image {ref} is not on this engine and could not be pulled: {exc}"
        ) from exc


def portal_image(settings: config.Settings, log: Log) -> str:
    named = settings.get("BERTH_IMAGE")
    if named:
        _ensure_image(named, settings, log)
        return named
    try:
        return image.build(base=settings.get("BERTH_BASE_IMAGE"), log=log)
    except image.ImageError as exc:
        raise InstallError(str(exc)) from exc


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except swarm.SwarmError as exc:
        raise InstallError(str(exc)) from exc
    except transport.EngineError as exc:
        raise InstallError(f"the Docker engine refused: {exc}") from exc


# --- the whole run --------------------------------------------------------------------


def install(
    *,
    data_dir: Path,
    explicit: Mapping[str, str],
    log: Log,
    upgrade: bool = False,
    timeout: float = WAIT_SECONDS,
    gateway_address: str = "127.0.0.1",
) -> Result:
    """Install (or upgrade) the stack of the installation kept in ``data_dir``.

    ``gateway_address`` is where this host reaches the gateway's published ports
    (the portal is checked there last).
    """
    saved = config.read_saved(data_dir)
    if upgrade and not saved:
        raise InstallError(f"no installation in {data_dir} (no {config.ENV_FILE}); run install")
    settings = config.Settings.merge(saved, explicit)
    try:
        settings.check()
    except config.ConfigError as exc:
        raise InstallError(str(exc)) from exc
    namespace = settings.namespace
    socket_path, socket_gid = _socket(settings)
    with _engine_errors():
        info = swarm.ensure_swarm()
        if info.initialised:
            log(f"swarm: initialised, advertising {info.advertise_addr}")
        else:
            log(
                f"swarm: adopted ({info.nodes} node(s)); Berth's services go on node {info.node_id[:12]}"
            )
        if upgrade and find_service(stackfile.name_in(namespace, "web")) is None:
            raise InstallError(
                f"namespace {namespace} has no running installation here; run install"
            )
        portal = portal_image(settings, log)
        _ensure_image(settings.get("BERTH_REDIS_IMAGE"), settings, log)
        proxy_image = settings.get("BERTH_ENGINE_PROXY_IMAGE") or settings.values.get(
            "BERTH_GATEWAY_IMAGE", str(django_settings.BERTH_GATEWAY_IMAGE)
        )
        _ensure_image(proxy_image, settings, log)
        prepare_data_dir(data_dir, log)
        try:
            config.write_saved(data_dir, settings.to_save())
        except config.ConfigError as exc:
            raise InstallError(str(exc)) from exc
        variables = {
            **settings.values,
            "BERTH_IMAGE": portal,
            "BERTH_ENGINE_PROXY_IMAGE": proxy_image,
            "BERTH_HOST_DATA_DIR": str(data_dir),
            "BERTH_HOST_DOCKER_SOCKET": socket_path,
            "BERTH_DOCKER_GID": str(socket_gid),
            "BERTH_NODE_ID": info.node_id,
        }
        try:
            stack = stackfile.load(config.STACK_FILE, variables, namespace=namespace)
        except stackfile.StackFileError as exc:
            raise InstallError(f"compose/stack.yml: {exc}") from exc
        changed = converge(
            stack, settings_env=settings.service_environment(), log=log, timeout=timeout
        )
    url = _check_portal(settings, log, gateway_address)
    return Result(namespace=namespace, image=portal, portal_url=url, changed=changed)


def _check_portal(
    settings: config.Settings, log: Log, address: str, timeout: float = 60.0
) -> str | None:
    """The portal's URL once it answers through the gateway (None when it is not routed)."""
    host = settings.portal_host()
    if host is None or settings.values.get("BERTH_GATEWAY", "nginx") != "nginx":
        log("portal: not routed by Berth's gateway (BERTH_GATEWAY=external or no subdomain)")
        return None
    port = settings.http_port()
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        conn = http.client.HTTPConnection(address, port, timeout=5)
        try:
            conn.request("GET", "/healthz", headers={"Host": host})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                break
            last = f"HTTP {response.status}"
        except OSError as exc:
            last = str(exc)
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise InstallError(f"the portal does not answer through the gateway ({last})")
        time.sleep(0.5)
    url = f"http://{host}" + ("" if port == 80 else f":{port}") + "/"
    log(f"portal: answering at {url}")
    return url
