"""The worker side of long node operations: join (SSH or engine API), drain, remove.

An operation is claimed with a conditional update, so it runs once; each step
is written to its log as it happens (the node page polls it). Credentials the
operation carried are erased when it ends, whatever the outcome.
"""

from __future__ import annotations

import json
import logging
import shlex
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from nodes import access, cluster, images, services, ssh
from nodes.access import SshLogin
from nodes.models import Node, NodeOperation, OperationKind, OperationStatus, SshHostKey
from paas import crypto, transport
from paas.transport import EngineError, call

log = logging.getLogger(__name__)


class OperationFailed(Exception):
    """The operation cannot go on; the message is shown as its error."""


class OperationLog:
    def __init__(self, operation: NodeOperation) -> None:
        self.operation = operation
        self.text = operation.log

    def line(self, text: str) -> None:
        stamp = timezone.now().strftime("%H:%M:%S")
        self.text += f"{stamp}  {text}\n"
        NodeOperation.objects.filter(pk=self.operation.pk).update(log=self.text)


def run(operation_id: int) -> None:
    claimed = NodeOperation.objects.filter(pk=operation_id, status=OperationStatus.QUEUED).update(
        status=OperationStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return
    operation = NodeOperation.objects.select_related("node").get(pk=operation_id)
    out = OperationLog(operation)
    status, error = OperationStatus.SUCCEEDED, ""
    try:
        RUNNERS[operation.kind](operation, out)
    except (OperationFailed, ssh.SshError, cluster.NodeRefused, crypto.SecretUnreadable) as exc:
        status, error = OperationStatus.FAILED, str(exc)
    except EngineError as exc:
        status, error = OperationStatus.FAILED, f"Docker engine: {exc}"
    except Exception as exc:
        log.exception("node operation %s failed", operation_id)
        status, error = OperationStatus.FAILED, f"Internal error ({type(exc).__name__}): {exc}"
    # The node list shows the outcome before the operation says it has ended; a sync
    # that fails must not leave the operation running.
    try:
        services.sync_nodes()
    except Exception as exc:
        log.warning("node sync after operation %s: %s", operation_id, exc)
    out.line("Done." if status == OperationStatus.SUCCEEDED else f"Failed: {error}")
    NodeOperation.objects.filter(pk=operation_id).update(
        status=status, error=error[:4000], finished_at=timezone.now(), secret_encrypted=""
    )


# --- joining --------------------------------------------------------------------


def _record_joined(operation: NodeOperation, node_id: str, out: OperationLog) -> Node:
    out.line(f"Waiting for node {node_id[:12]} to be ready in the swarm")
    if not cluster.wait_node_state(node_id, "ready", timeout=settings.BERTH_NODE_JOIN_TIMEOUT):
        raise OperationFailed(
            f"The node joined but is not ready after {settings.BERTH_NODE_JOIN_TIMEOUT} s: "
            "check that ports 2377/tcp, 7946/tcp+udp and 4789/udp are open between the nodes."
        )
    services.sync_nodes()
    node = Node.objects.get(node_id=node_id)
    NodeOperation.objects.filter(pk=operation.pk).update(node=node, node_ref=node_id)
    out.line(f"Node {node.hostname} ({node_id[:12]}) is ready, {node.role}, at {node.address}")
    return node


def _swarm_of(info: dict[str, Any]) -> tuple[str, str]:
    swarm = info.get("Swarm") or {}
    return str(swarm.get("LocalNodeState") or "inactive"), str(swarm.get("NodeID") or "")


def _check_joinable(state: str, node_id: str, out: OperationLog) -> bool:
    """True when the engine is already a node of this swarm; raise when it is in another."""
    if state == "active" and node_id and cluster.inspect_node(node_id) is not None:
        out.line(f"The engine is already node {node_id[:12]} of this swarm")
        return True
    if state != "inactive":
        raise OperationFailed(
            f"The engine is in another swarm (state {state!r}): run `docker swarm leave` "
            "on it first if it should join this one."
        )
    return False


def join_engine(operation: NodeOperation, out: OperationLog) -> None:
    params = operation.params
    secret = access.unseal(operation.secret_encrypted)
    engine = access.access_from(params, secret)
    facts = cluster.swarm_facts()
    role = str(params.get("role") or "worker")
    advertise = str(params["advertise_addr"])
    out.line(f"Connecting to the engine at {engine.url}{' (TLS)' if engine.ca else ''}")
    with transport.remote_client(engine) as remote:
        version = call(remote.version, retries=0)
        out.line(f"Docker {version.get('Version')} answers")
        state, node_id = _swarm_of(call(remote.info, retries=0))
        if not _check_joinable(state, node_id, out):
            out.line(f"Joining as a {role}, advertising {advertise}, via {facts.manager_addr}")
            call(
                remote.swarm.join,
                remote_addrs=[facts.manager_addr],
                join_token=facts.tokens[role],
                advertise_addr=advertise,
                retries=0,
            )
            state, node_id = _swarm_of(call(remote.info, retries=0))
    node = _record_joined(operation, node_id, out)
    node.engine_url = engine.url
    node.engine_tls_ca = engine.ca
    node.engine_tls_cert = engine.cert
    node.engine_tls_key_encrypted = access.seal({"key": engine.key})
    node.save(
        update_fields=["engine_url", "engine_tls_ca", "engine_tls_cert", "engine_tls_key_encrypted"]
    )
    out.line("Recorded the node's engine address: Berth copies images to it when needed")


def _pin(login: SshLogin, key: ssh.HostKey, pinned: SshHostKey | None, out: OperationLog) -> None:
    if pinned is None:
        SshHostKey.objects.update_or_create(
            host=login.host,
            port=login.port,
            defaults={
                "key_type": key.key_type,
                "key_base64": key.key_base64,
                "fingerprint": key.fingerprint,
            },
        )
        out.line(f"Host key {key.key_type} {key.fingerprint} pinned on first use")
    else:
        out.line(f"Host key {key.fingerprint} matches the pinned key")


def _ssh_docker_info(client: Any) -> dict[str, Any]:
    status, output = ssh.run(client, "docker info --format '{{json .}}'", timeout=30)
    if status != 0:
        raise OperationFailed(f"`docker info` failed on the node: {output[-500:]}")
    try:
        info: dict[str, Any] = json.loads(output.splitlines()[-1])
    except (ValueError, IndexError):
        raise OperationFailed(f"`docker info` printed no JSON: {output[-300:]}") from None
    return info


def join_ssh(operation: NodeOperation, out: OperationLog) -> None:
    params = operation.params
    secret = access.unseal(operation.secret_encrypted)
    login = SshLogin(
        host=str(params["address"]),
        port=int(params.get("port") or 22),
        user=str(params["user"]),
        password=secret.get("password", ""),
        private_key=secret.get("private_key", ""),
        passphrase=secret.get("passphrase", ""),
    )
    facts = cluster.swarm_facts()
    role = str(params.get("role") or "worker")
    advertise = str(params.get("advertise_addr") or login.host)
    pinned_row = SshHostKey.objects.filter(host=login.host, port=login.port).first()
    pinned = ssh.HostKey(pinned_row.key_type, pinned_row.key_base64) if pinned_row else None
    out.line(f"Connecting to {login.user}@{login.host}:{login.port} ({params.get('auth')})")
    with ssh.connect(
        login, pinned=pinned, expected_fingerprint=str(params.get("host_key_fingerprint") or "")
    ) as (client, key):
        _pin(login, key, pinned_row, out)
        info = _ssh_docker_info(client)
        out.line(f"Docker {info.get('ServerVersion')} runs on {info.get('Name')}")
        state, node_id = _swarm_of(info)
        if not _check_joinable(state, node_id, out):
            command = (
                f"docker swarm join --advertise-addr {shlex.quote(advertise)} "
                f"--token {shlex.quote(facts.tokens[role])} {shlex.quote(facts.manager_addr)}"
            )
            out.line(
                f"Running: docker swarm join --advertise-addr {advertise} --token "
                f"<{role} token> {facts.manager_addr}"
            )
            status, output = ssh.run(client, command, timeout=settings.BERTH_NODE_JOIN_TIMEOUT)
            if output:
                out.line(output.replace(facts.tokens[role], f"<{role} token>"))
            if status != 0:
                raise OperationFailed(
                    f"`docker swarm join` failed on the node (exit {status}): "
                    f"{output.replace(facts.tokens[role], '<token>')[-500:]}"
                )
            state, node_id = _swarm_of(_ssh_docker_info(client))
    node = _record_joined(operation, node_id, out)
    node.ssh_host, node.ssh_port, node.ssh_user = login.host, login.port, login.user
    fields = ["ssh_host", "ssh_port", "ssh_user", "ssh_credentials_encrypted"]
    if params.get("remember"):
        node.ssh_credentials_encrypted = access.seal(secret)
        out.line("Kept the SSH login (encrypted) so Berth can make the node leave later")
    else:
        node.ssh_credentials_encrypted = ""
        out.line("The SSH login was used once and not kept")
    node.save(update_fields=fields)


# --- draining and removing ------------------------------------------------------


def _node(operation: NodeOperation) -> Node:
    node = Node.objects.filter(pk=operation.node_id).first() if operation.node_id else None
    if node is None:
        raise OperationFailed("The node is no longer in the swarm.")
    return node


def _moved_problems(service_ids: set[str], node_id: str) -> tuple[int, list[str]]:
    """How many tasks of the moved services still have no running replacement, and why."""
    missing = 0
    problems: list[str] = []
    for service in cluster.services():
        if service["ID"] not in service_ids:
            continue
        replicas = ((service["Spec"].get("Mode") or {}).get("Replicated") or {}).get("Replicas")
        if replicas is None:
            continue  # global services simply stop on a drained node
        tasks = cluster.tasks(service=service["ID"])
        running = [
            t
            for t in tasks
            if t.get("DesiredState") == "running"
            and (t.get("Status") or {}).get("State") == "running"
            and t.get("NodeID") != node_id
        ]
        missing += max(0, int(replicas) - len(running))
        if len(running) < int(replicas):
            for task in tasks:
                error = str((task.get("Status") or {}).get("Err") or "")
                if error and task.get("DesiredState") == "running":
                    problems.append(f"{service['Spec']['Name']}: {error}")
    return missing, sorted(set(problems))


def drain_node(node: Node, out: OperationLog) -> None:
    """Drain, then wait until the node runs nothing and the moved tasks run elsewhere."""
    images.before_drain(node, out.line)
    moved = {str(t.get("ServiceID")) for t in cluster.running_tasks_on(node.node_id)}
    cluster.update_node(node.node_id, Availability="drain")
    out.line(f"Set {node.hostname} ({node.node_id[:12]}) to drain; waiting for its tasks to move")
    deadline = time.monotonic() + settings.BERTH_NODE_DRAIN_TIMEOUT
    shown: tuple[int, int, tuple[str, ...]] | None = None
    while True:
        left = cluster.running_tasks_on(node.node_id)
        missing, problems = _moved_problems(moved, node.node_id) if moved else (0, [])
        state = (len(left), missing, tuple(problems))
        if state != shown:
            shown = state
            if left:
                out.line(f"{len(left)} task(s) still running on the node")
            if missing:
                out.line(f"{missing} moved task(s) not running elsewhere yet")
            for problem in problems:
                out.line(f"  {problem}")
        if not left and not missing:
            out.line(
                "No task runs on the node any more"
                + (f"; the tasks of {len(moved)} service(s) run elsewhere" if moved else "")
            )
            return
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"After {settings.BERTH_NODE_DRAIN_TIMEOUT} s, {len(left)} task(s) still run on "
                f"the node and {missing} moved task(s) do not run elsewhere"
                + (f": {'; '.join(problems)}" if problems else ".")
            )
        time.sleep(0.5)


def drain(operation: NodeOperation, out: OperationLog) -> None:
    drain_node(_node(operation), out)


def _leave(node: Node, out: OperationLog) -> bool:
    """Make the node's engine leave the swarm; False when Berth cannot reach it."""
    engine = access.engine_access(node)
    if engine is not None:
        out.line(f"Asking the node's engine at {engine.url} to leave the swarm")
        with transport.remote_client(engine) as remote:
            call(remote.swarm.leave, retries=0)
        return True
    login = access.ssh_login(node)
    if login is not None:
        pinned_row = SshHostKey.objects.filter(host=login.host, port=login.port).first()
        pinned = ssh.HostKey(pinned_row.key_type, pinned_row.key_base64) if pinned_row else None
        out.line(f"Running `docker swarm leave` on {login.user}@{login.host} over SSH")
        with ssh.connect(login, pinned=pinned) as (client, _):
            status, output = ssh.run(client, "docker swarm leave", timeout=60)
        if status != 0:
            raise OperationFailed(f"`docker swarm leave` failed on the node: {output[-500:]}")
        return True
    out.line("Berth cannot reach the node's engine (no engine address or SSH login recorded)")
    return False


def remove(operation: NodeOperation, out: OperationLog) -> None:
    node = _node(operation)
    cluster.check_not_local(node.node_id, "remove")
    cluster.check_not_last_manager(node.node_id, "remove")
    if node.role == "manager":
        cluster.update_node(node.node_id, Role="worker")
        out.line("Demoted the node to worker")
    if node.state == "ready":
        drain_node(node, out)
        left = _leave(node, out)
        if left:
            if not cluster.wait_node_state(node.node_id, "down", timeout=60):
                raise OperationFailed("The node left but the swarm still sees it up after 60 s.")
            out.line("The node is down")
        elif (cluster.inspect_node(node.node_id) or {}).get("Status", {}).get("State") != "down":
            raise OperationFailed(
                "The node is still up and Berth cannot reach its engine: run "
                "`docker swarm leave` on the node (or record its engine address), then remove "
                "it again."
            )
    cluster.remove_node(node.node_id)
    out.line(f"Removed {node.hostname} ({node.node_id[:12]}) from the swarm")


RUNNERS: dict[str, Callable[[NodeOperation, OperationLog], None]] = {
    OperationKind.JOIN_SSH: join_ssh,
    OperationKind.JOIN_ENGINE: join_engine,
    OperationKind.DRAIN: drain,
    OperationKind.REMOVE: remove,
}
