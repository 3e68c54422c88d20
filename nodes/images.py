"""Getting the images Berth deploys onto every node that may run them.

With a registry (self-hosted or external) the image is pushed there and the
service refers to the registry's name; every node pulls it. Without one, Berth
copies the image from its own engine into each node's engine (``docker save``
streamed into ``docker load``), which needs the node's engine address. A node
that may run the app but cannot get an image Berth built is a deployment
error, said before any task is left pending.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nodes import access, cluster, services
from nodes.models import Availability, ImageRegistry, Node, NodeState, RegistryMode
from paas import crypto, naming, transport
from paas.transport import EngineError, call, client

log = logging.getLogger(__name__)
Log = Callable[[str], None]


class DeliveryFailed(Exception):
    """A node that may run the app cannot get its image; the message says which and why."""


@dataclass(frozen=True)
class Registry:
    server: str
    username: str
    password: str


def current_registry() -> Registry | None:
    """The registry images go through, or None to copy them to the nodes."""
    row = ImageRegistry.objects.filter(pk=1).first()
    if row is None or row.mode == RegistryMode.NONE:
        return None
    if row.state != "running" or not row.server:
        raise DeliveryFailed(
            "The registry is not ready"
            + (f" ({row.last_error})" if row.last_error else f" ({row.state or 'not set up'})")
            + ": see the nodes page."
        )
    password = crypto.decrypt(row.password_encrypted) if row.password_encrypted else ""
    registry = Registry(server=row.server, username=row.username, password=password)
    transport.set_registry_auth(registry.server, registry.username, registry.password)
    return registry


def split_ref(image: str) -> tuple[str, str, str]:
    """``(registry host or "", path, tag)``; the tag is "" for a digest reference."""
    if "@" in image:
        return "", image, ""
    name, tag = image, "latest"
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = image.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest, tag
    return "", name, tag


def registry_ref(image: str, server: str) -> str:
    """The name of ``image`` in the registry ``server`` (host[:port][/prefix])."""
    if image.startswith(f"{server}/"):
        return image
    _, path, tag = split_ref(image)
    return f"{server}/{path}:{tag}"


def push(image: str, registry: Registry, out: Log) -> str:
    ref = registry_ref(image, registry.server)
    if ref != image:
        repository, tag = ref.rsplit(":", 1)
        call(client().api.tag, image, repository, tag, retries=0)
    out(f"Pushing {ref}")
    started = time.monotonic()
    try:
        transport.push_image(ref, username=registry.username, password=registry.password)
    except EngineError as exc:
        raise DeliveryFailed(f"Pushing {ref} to the registry failed: {exc}") from None
    out(f"Pushed {ref} in {time.monotonic() - started:.1f} s; every node pulls it from there")
    return ref


def _built_here(image: str) -> bool:
    try:
        attrs = call(client().api.inspect_image, image, retries=0)
    except EngineError:
        return False
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(naming.NAMESPACE_LABEL) == naming.namespace()


def candidate_nodes(placement: dict[str, str], exclude: Iterable[str] = ()) -> list[Node]:
    """Nodes other than Berth's own that may run a task with ``placement`` labels.

    Read live from the swarm (one call), so a node joined a moment ago counts; the
    rows add what Berth knows of each (its engine address).
    """
    local = cluster.swarm_facts().local_node_id
    skip = {local, *exclude}
    rows = {n.node_id: n for n in Node.objects.all()}
    found = []
    for attrs in cluster.nodes():
        fields = services.node_fields(attrs)
        node_id = str(attrs["ID"])
        if node_id in skip or fields["state"] != NodeState.READY:
            continue
        if fields["availability"] != Availability.ACTIVE:
            continue
        if all(fields["labels"].get(key) == value for key, value in placement.items()):
            row = rows.get(node_id) or Node(node_id=node_id)
            for key in ("hostname", "address", "labels"):
                setattr(row, key, fields[key])
            found.append(row)
    return found


def copy_to_nodes(
    image: str, *, placement: dict[str, str], out: Log, exclude: Iterable[str] = ()
) -> int:
    """Load ``image`` into every candidate node's engine that lacks it; returns how many got it."""
    built = _built_here(image)
    copied = 0
    for node in candidate_nodes(placement, exclude):
        name = f"{node.hostname} ({node.node_id[:12]}, {node.address})"
        engine = access.engine_access(node)
        if engine is None:
            if built:
                raise DeliveryFailed(
                    f"Node {name} may run this app but cannot get the image {image}: it was "
                    "built by Berth, there is no registry, and Berth has no engine address for "
                    "that node. Configure a registry, record the node's engine address on its "
                    "page, or keep the app off it with a placement label."
                )
            out(f"Node {name}: no engine address recorded; it pulls {image} itself")
            continue
        try:
            with transport.remote_client(engine) as remote:
                if transport.image_on(remote, image):
                    out(f"Node {name} already has {image}")
                    continue
                out(f"Copying {image} to node {name}")
                started = time.monotonic()
                transport.copy_image(image, client(), remote)
        except EngineError as exc:
            raise DeliveryFailed(f"Copying {image} to node {name} failed: {exc}") from None
        copied += 1
        out(f"Copied {image} to node {name} in {time.monotonic() - started:.1f} s")
    return copied


def deliver(image: str, *, placement: dict[str, str], log: Log) -> str:
    """Make ``image`` reachable from every node that may run it; returns the name to run."""
    registry = current_registry()
    if registry is not None:
        if "@" in image:
            return image  # pinned by digest: nodes pull it from where it came from
        return push(image, registry, log)
    copy_to_nodes(image, placement=placement, out=log)
    return image


def _placement_of(spec: dict[str, object]) -> dict[str, str]:
    template = spec.get("TaskTemplate") or {}
    constraints = (
        ((template.get("Placement") or {}).get("Constraints") or [])
        if isinstance(template, dict)
        else []
    )
    wanted = {}
    for constraint in constraints:
        key, sep, value = str(constraint).partition("==")
        if sep and key.strip().startswith("node.labels."):
            wanted[key.strip()[len("node.labels.") :]] = value.strip()
    return wanted


def before_drain(node: Node, out: Log) -> None:
    """Copy the images of Berth's tasks on ``node`` to the nodes they will move to."""
    try:
        if current_registry() is not None:
            return
    except DeliveryFailed as exc:
        out(f"Images: {exc}")
        return
    label = f"{naming.NAMESPACE_LABEL}={naming.namespace()}"
    ours = {s["ID"]: s for s in cluster.services(label)}
    wanted: dict[str, dict[str, str]] = {}
    for task in cluster.running_tasks_on(node.node_id):
        service = ours.get(task.get("ServiceID", ""))
        if service is None:
            continue
        image = str(service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]).split("@", 1)[0]
        wanted[image] = _placement_of(service["Spec"])
    for image, placement in sorted(wanted.items()):
        try:
            copy_to_nodes(image, placement=placement, out=out, exclude=[node.node_id])
        except DeliveryFailed as exc:
            out(f"Warning: {exc}")
