"""``manage.py bootstrap``: the swarm, the apps network and the gateway, idempotently.

Order matters: every setting is checked before anything changes; then the
swarm is adopted (or initialised when the engine is in none), the namespaced
overlay network made, the gateway folder and main config written, the gateway
service deployed or updated, and the nodes recorded. A second run with the
same settings changes nothing and says so.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from nodes import services as node_services
from nodes import swarm
from paas import naming, transport
from routing import domains, files, gateway, portal, state
from routing.checks import BootstrapError, check_settings
from routing.render import CONTAINER_ROOT

SPEC_LABEL = "berth.spec"
# Overlay subnets Berth picks from when BERTH_NETWORK_SUBNET is unset; swarm's
# own default pool hands out /24s from 10.0.0.0/8 and skips what is taken.
SUBNET_POOL = ipaddress.ip_network("10.128.0.0/9")


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    changed: bool = False

    def did(self, line: str) -> None:
        self.lines.append(line)
        self.changed = True

    def saw(self, line: str) -> None:
        self.lines.append(line)


# --- the network --------------------------------------------------------------------


def _host_routes() -> list[ipaddress.IPv4Network]:
    """Networks this host routes locally, to keep a new overlay off them."""
    found: list[ipaddress.IPv4Network] = []
    try:
        lines = open("/proc/net/route").read().splitlines()[1:]  # noqa: SIM115
    except OSError:
        return found
    for line in lines:
        parts = line.split()
        if len(parts) < 8 or parts[1] == "00000000":
            continue
        dest = ipaddress.IPv4Address(int(parts[1], 16).to_bytes(4, "little"))
        mask = ipaddress.IPv4Address(int(parts[7], 16).to_bytes(4, "little"))
        found.append(ipaddress.IPv4Network(f"{dest}/{mask}", strict=False))
    return found


def pick_subnet(prefix: int, taken: list[ipaddress.IPv4Network]) -> str:
    """The first /prefix of the pool that overlaps nothing taken (pure)."""
    if prefix < SUBNET_POOL.prefixlen:
        raise BootstrapError(
            f"BERTH_NETWORK_PREFIX /{prefix} is larger than Berth's pool {SUBNET_POOL}; "
            "set BERTH_NETWORK_SUBNET"
        )
    for candidate in SUBNET_POOL.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(other) for other in taken):
            return str(candidate)
    raise BootstrapError(f"no free /{prefix} left in {SUBNET_POOL}; set BERTH_NETWORK_SUBNET")


def _taken_subnets() -> list[ipaddress.IPv4Network]:
    taken = _host_routes()
    for network in transport.call(transport.client().networks.list):
        for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
            try:
                subnet = ipaddress.ip_network(config.get("Subnet", ""), strict=False)
            except ValueError:
                continue
            if isinstance(subnet, ipaddress.IPv4Network):
                taken.append(subnet)
    return taken


def _find_network(name: str) -> Any:
    for network in transport.call(transport.client().networks.list, names=[name]):
        if network.name == name:
            return network
    return None


def ensure_network(report: Report) -> str:
    """The namespace's attachable overlay network; returns its subnet."""
    name = naming.apps_network()
    network = _find_network(name)
    if network is not None:
        labels = network.attrs.get("Labels") or {}
        if labels.get(naming.NAMESPACE_LABEL) != naming.namespace():
            raise BootstrapError(
                f"a network named {name} exists but Berth did not make it; "
                "choose another BERTH_NAMESPACE"
            )
        if network.attrs.get("Driver") != "overlay" or not network.attrs.get("Attachable"):
            raise BootstrapError(f"the network {name} is not an attachable overlay network")
        configs = (network.attrs.get("IPAM") or {}).get("Config") or [{}]
        subnet = str(configs[0].get("Subnet", ""))
        report.saw(f"network {name}: exists ({subnet})")
        return subnet
    subnet = settings.BERTH_NETWORK_SUBNET or pick_subnet(
        settings.BERTH_NETWORK_PREFIX, _taken_subnets()
    )
    transport.call(
        transport.client().networks.create,
        name,
        driver="overlay",
        attachable=True,
        scope="swarm",
        ipam={"Driver": "default", "Config": [{"Subnet": subnet}]},
        labels=naming.labels("network"),
        retries=0,
    )
    report.did(f"network {name}: created (attachable overlay, {subnet})")
    return subnet


# --- the gateway service ------------------------------------------------------------


def gateway_spec(node_id: str) -> dict[str, Any]:
    """The gateway service's create/update arguments (plain engine API shapes)."""
    ports = [
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": settings.BERTH_GATEWAY_HTTP_PORT},
        {"Protocol": "tcp", "TargetPort": 443, "PublishedPort": settings.BERTH_GATEWAY_HTTPS_PORT},
    ]
    for port in ports:
        # Host mode: the routing mesh needs IPVS, which many hosts lack.
        port["PublishMode"] = "host"
    spec: dict[str, Any] = {
        "image": settings.BERTH_GATEWAY_IMAGE,
        "command": ["nginx"],
        "args": ["-c", f"{CONTAINER_ROOT}/nginx.conf", "-g", "daemon off;"],
        "mounts": [f"{files.host_root()}:{CONTAINER_ROOT}:ro"],
        "networks": [naming.apps_network()],
        # dnsrr: no virtual IP (IPVS) for the gateway either.
        "endpoint_spec": {"Mode": "dnsrr", "Ports": ports},
        # Its config folder lives on this node.
        "constraints": [f"node.id=={node_id}"],
        # Host ports cannot be held by two tasks at once: stop the old one first.
        "update_config": {"Parallelism": 1, "Order": "stop-first", "FailureAction": "pause"},
        "restart_policy": {"Condition": "any", "Delay": 1_000_000_000, "MaxAttempts": 0},
        "stop_grace_period": 10_000_000_000,
        # The access log: Docker's "local" driver keeps at most 5 compressed files of
        # 20 MB (json-file, the engine's usual default, grows until the disk is full),
        # and costs the engine less per line (bench/gateway.py).
        "log_driver": "local",
        "log_driver_options": {"max-size": "20m", "max-file": "5"},
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    labels = naming.labels("gateway", **{SPEC_LABEL: digest})
    return {**spec, "name": naming.gateway_service(), "labels": labels, "container_labels": labels}


def find_gateway() -> Any:
    name = naming.gateway_service()
    for service in transport.call(transport.client().services.list, filters={"name": name}):
        if service.name == name:
            return service
    return None


def _wait_running(service: Any, digest: str, timeout: float = 90.0) -> None:
    """Until a task of this spec runs; a rejected or failed one is reported at once."""
    deadline = time.monotonic() + timeout
    last = "no task yet"
    while time.monotonic() < deadline:
        for task in transport.call(service.tasks):
            labels = task["Spec"]["ContainerSpec"].get("Labels") or {}
            if labels.get(SPEC_LABEL) != digest:
                continue
            status = task.get("Status") or {}
            if status.get("State") == "running":
                return
            if status.get("State") in ("failed", "rejected"):
                raise BootstrapError(
                    f"the gateway task could not start: {status.get('Err') or status.get('Message')}"
                )
            last = str(status.get("State"))
        time.sleep(0.25)
    raise BootstrapError(f"the gateway did not start within {timeout:.0f} s (last state: {last})")


def ensure_gateway(report: Report, node_id: str) -> str:
    spec = gateway_spec(node_id)
    digest = spec["labels"][SPEC_LABEL]
    ports = f"{settings.BERTH_GATEWAY_HTTP_PORT}/{settings.BERTH_GATEWAY_HTTPS_PORT}"
    service = find_gateway()
    if service is None:
        transport.call(transport.client().services.create, retries=0, **spec)
        service = find_gateway()
        report.did(
            f"gateway {spec['name']}: created ({spec['image']}, host ports {ports}, "
            f"node {node_id[:12]})"
        )
    else:
        labels = service.attrs["Spec"].get("Labels") or {}
        if labels.get(naming.NAMESPACE_LABEL) != naming.namespace():
            raise BootstrapError(
                f"a service named {spec['name']} exists but Berth did not make it; "
                "choose another BERTH_NAMESPACE"
            )
        if labels.get(SPEC_LABEL) == digest:
            report.saw(f"gateway {spec['name']}: up to date (host ports {ports})")
        else:
            transport.call(service.update, retries=0, **spec)
            service.reload()
            report.did(f"gateway {spec['name']}: updated (host ports {ports}, stop-first)")
    _wait_running(service, digest)
    return str(service.id)


def remove_gateway(report: Report) -> None:
    service = find_gateway()
    if service is not None:
        labels = service.attrs["Spec"].get("Labels") or {}
        if labels.get(naming.NAMESPACE_LABEL) == naming.namespace():
            transport.call(service.remove)
            report.did(f"gateway {service.name}: removed (BERTH_GATEWAY=external)")


# --- the whole run ------------------------------------------------------------------


def bootstrap() -> Report:
    """Check settings, then converge swarm, network, gateway and nodes. Idempotent."""
    report = Report()
    check_settings()
    info = swarm.ensure_swarm()
    if info.initialised:
        report.did(
            f"swarm: initialised, advertising {info.advertise_addr} (node {info.node_id[:12]})"
        )
    else:
        report.saw(
            f"swarm: adopted the existing swarm ({info.nodes} node(s), this engine is a manager)"
        )
    subnet = ensure_network(report)
    lay = files.layout()
    lay.ensure()
    service_id = ""
    if gateway.external():
        remove_gateway(report)
        for folder in (lay.external_nginx, lay.external_traefik):
            folder.mkdir(parents=True, exist_ok=True)
        report.saw(f"routes for an external proxy: {lay.external_nginx} and {lay.external_traefik}")
    else:
        conf_changed = gateway.ensure_main_conf(lay)
        if conf_changed:
            report.did(f"gateway config {lay.main_conf}: written")
        existed = find_gateway() is not None
        service_id = ensure_gateway(report, info.node_id)
        if conf_changed and existed:
            with files.locked(lay):
                gateway.reload(gateway.gateway_container(), lay)
            report.did("gateway: reloaded with the new main config")
        routed = gateway.apply_portal()
        if routed is not None and routed.ok:
            report.did(f"portal: routing is now {settings.BERTH_PORTAL_UPSTREAM or 'off'}")
        elif routed is not None:
            raise BootstrapError(f"the portal's route was refused: {routed.error}")
        if portal.due():
            # At once rather than at the beat's next round; a failure (DNS not pointing
            # here yet, say) leaves the install be: the beat orders again.
            outcome = domains.issue_portal_certificate()
            if outcome.startswith("issued"):
                report.did(f"portal: HTTPS certificate {outcome}")
            else:
                report.saw(f"portal: no HTTPS certificate yet ({outcome}); the beat retries")
    synced = node_services.sync_nodes()
    report.saw(f"nodes: {synced.total} recorded")
    state.record_bootstrap(
        mode=settings.BERTH_GATEWAY,
        service_name="" if gateway.external() else naming.gateway_service(),
        service_id=service_id,
        image="" if gateway.external() else settings.BERTH_GATEWAY_IMAGE,
        node_id=info.node_id,
        http_port=None if gateway.external() else settings.BERTH_GATEWAY_HTTP_PORT,
        https_port=None if gateway.external() else settings.BERTH_GATEWAY_HTTPS_PORT,
        network=naming.apps_network(),
        subnet=subnet,
        folder=str(lay.root),
        routes=len(files.live_sites(lay)),
    )
    return report
