"""The engine operations apps need, all through :mod:`paas.transport`.

Plain values in and out (Engine API dicts); no Django models here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from paas import transport
from paas.transport import EngineError, NotFound, call, client


class BuildFailed(Exception):
    """The image build stopped with an error; the message is the builder's."""


def api() -> Any:
    return client().api


def network_id(name: str) -> str:
    try:
        info = call(api().inspect_network, name)
    except NotFound:
        raise EngineError(
            f"The apps network {name!r} does not exist; run `manage.py bootstrap` first."
        ) from None
    return str(info["Id"])


def image_exists(ref: str) -> bool:
    try:
        call(api().inspect_image, ref, retries=1)
    except NotFound:
        return False
    return True


def pull(ref: str, on_output: Callable[[str], None] | None = None) -> None:
    """Pull ``ref``, streaming progress (a big image takes longer than one call's timeout)."""
    stream = call(api().pull, ref, stream=True, decode=True, retries=0)
    with transport.engine_errors():
        for chunk in stream:
            if "error" in chunk:
                raise EngineError(str(chunk.get("error") or "the pull failed").strip())
            status = str(chunk.get("status") or "")
            # Per-layer byte counts are noise in a deployment log; keep the milestones.
            if on_output is not None and status and "progress" not in chunk:
                layer = f"{chunk['id']}: " if chunk.get("id") else ""
                on_output(f"{layer}{status}\n")


def get_service(name: str) -> dict[str, Any] | None:
    try:
        return dict(call(api().inspect_service, name))
    except NotFound:
        return None


def list_services(labels: list[str]) -> list[dict[str, Any]]:
    return list(call(api().services, filters={"label": labels}))


def create_service(spec: dict[str, Any]) -> None:
    call(
        api().create_service,
        spec["TaskTemplate"],
        name=spec["Name"],
        labels=spec["Labels"],
        mode=spec["Mode"],
        update_config=spec["UpdateConfig"],
        rollback_config=spec["RollbackConfig"],
        endpoint_spec=spec["EndpointSpec"],
        retries=0,
    )


def update_service(service_id: str, version: int, spec: dict[str, Any]) -> None:
    call(
        api().update_service,
        service_id,
        version,
        task_template=spec["TaskTemplate"],
        name=spec["Name"],
        labels=spec["Labels"],
        mode=spec["Mode"],
        update_config=spec["UpdateConfig"],
        rollback_config=spec["RollbackConfig"],
        endpoint_spec=spec["EndpointSpec"],
        fetch_current_spec=False,
        retries=0,
    )


def apply_service(spec: dict[str, Any]) -> dict[str, Any] | None:
    """Create the service or replace its spec; returns the service as it was before."""
    current = get_service(spec["Name"])
    if current is None:
        create_service(spec)
    else:
        update_service(current["ID"], current["Version"]["Index"], spec)
    return current


def tasks(service_name: str) -> list[dict[str, Any]]:
    return list(call(api().tasks, filters={"service": service_name}))


def running_addresses(network: str, service_name: str | None = None) -> dict[str, tuple[str, ...]]:
    """Service ID -> the addresses on ``network`` of its tasks that run and should.

    One call for every service when ``service_name`` is None (the reconcile's pass).
    """
    filters: dict[str, Any] = {"desired-state": "running"}
    if service_name is not None:
        filters["service"] = service_name
    found: dict[str, set[str]] = {}
    for task in call(api().tasks, filters=filters):
        if (task.get("Status") or {}).get("State") != "running":
            continue
        for attachment in task.get("NetworksAttachments") or []:
            if ((attachment.get("Network") or {}).get("Spec") or {}).get("Name") != network:
                continue
            for address in attachment.get("Addresses") or []:
                found.setdefault(str(task["ServiceID"]), set()).add(address.split("/")[0])
    return {service: tuple(sorted(addresses)) for service, addresses in found.items()}


def remove_service(name: str, *, wait: float = 60) -> bool:
    """Remove the service and wait until its containers are gone; False if it was absent."""
    try:
        call(api().remove_service, name, retries=1)
    except NotFound:
        return False
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        containers = call(
            api().containers,
            all=True,
            filters={"label": f"com.docker.swarm.service.name={name}"},
        )
        if not containers:
            break
        time.sleep(0.3)
    return True


# --- secrets ---------------------------------------------------------------------


def secret_ids(labels: list[str]) -> dict[str, str]:
    """Engine secret name -> id, for the secrets carrying ``labels``."""
    found = call(api().secrets, filters={"label": labels})
    return {s["Spec"]["Name"]: s["ID"] for s in found}


def create_secret(name: str, value: str, labels: dict[str, str]) -> str:
    result = call(api().create_secret, name, value.encode(), labels=labels, retries=0)
    return str(result["ID"])


def remove_secret(secret_id: str) -> bool:
    """False when a task still uses it (it is removed on a later pass)."""
    try:
        call(api().remove_secret, secret_id, retries=0)
    except NotFound:
        return True
    except EngineError:
        return False
    return True


# --- images ----------------------------------------------------------------------


def build(
    context: Path,
    *,
    dockerfile: str,
    tag: str,
    labels: dict[str, str],
    on_output: Callable[[str], None],
    timeout: int = 3600,
) -> None:
    """Build with the classic builder, passing each output chunk to ``on_output``."""
    stream = call(
        api().build,
        path=str(context),
        dockerfile=dockerfile,
        tag=tag,
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
        labels=labels,
        timeout=timeout,
        retries=0,
    )
    with transport.engine_errors():
        for chunk in stream:
            if "stream" in chunk:
                on_output(str(chunk["stream"]))
            elif "status" in chunk:
                on_output(f"{chunk['status']}\n")
            if "error" in chunk:
                message = str(chunk.get("error") or "").strip()
                on_output(f"ERROR: {message}\n")
                raise BuildFailed(message or "The build failed.")


def images(labels: list[str]) -> list[dict[str, Any]]:
    return list(call(api().images, filters={"label": labels}))


def remove_image(ref: str) -> bool:
    try:
        call(api().remove_image, ref, retries=0)
    except NotFound:
        return True
    except EngineError:
        return False  # still used by a container that is stopping
    return True


# --- logs ------------------------------------------------------------------------


def service_logs(
    name: str,
    *,
    tail: int | str,
    follow: bool,
    timestamps: bool = True,
    since: int = 0,
    details: bool = False,
) -> Iterator[bytes]:
    stream = call(
        api().service_logs,
        name,
        stdout=True,
        stderr=True,
        follow=follow,
        tail=tail,
        timestamps=timestamps,
        since=since,
        details=details,
        is_tty=False,
        retries=0,
    )
    with transport.engine_errors():
        yield from stream
