"""A second, fresh Docker engine in its own network namespace (TESTING.md, "Several nodes").

Everything it makes (namespace, veth pair, dockerd, its folders) is torn down
on exit, also when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker


@dataclass(frozen=True)
class FreshEngine:
    docker_host: str
    address: str
    client: Any


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def missing_tools() -> str | None:
    if os.geteuid() != 0:
        return "a second engine needs root"
    for tool in ("ip", "nsenter", "dockerd"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install iproute2 docker.io)"
    return None


def _free_subnet() -> int:
    used = subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True, check=True).stdout
    for _ in range(50):
        third = secrets.randbelow(200) + 20
        if f"10.77.{third}." not in used:
            return third
    raise RuntimeError("no free 10.77.x.0/24 for a test engine")


@contextlib.contextmanager
def fresh_engine(images: list[str], source: Any, *, timeout: float = 60.0) -> Iterator[FreshEngine]:
    """A new dockerd (not in any swarm) holding copies of ``images`` from ``source``."""
    name = f"berth{secrets.token_hex(3)}"
    third = _free_subnet()
    host_if, node_if = f"{name}a", f"{name}b"
    host_ip, node_ip = f"10.77.{third}.1", f"10.77.{third}.2"
    data_root, exec_root = Path(f"/var/lib/{name}"), Path(f"/run/{name}")
    sock = f"/run/{name}.sock"
    log = open(f"/tmp/{name}-dockerd.log", "w")  # noqa: SIM115 - closed in finally
    process: subprocess.Popen[bytes] | None = None
    failed = True
    try:
        _run("ip", "netns", "add", name)
        _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", node_if)
        _run("ip", "link", "set", node_if, "netns", name)
        _run("ip", "addr", "add", f"{host_ip}/24", "dev", host_if)
        _run("ip", "link", "set", host_if, "up")
        inside = ["nsenter", f"--net=/run/netns/{name}"]
        _run(*inside, "ip", "addr", "add", f"{node_ip}/24", "dev", node_if)
        _run(*inside, "ip", "link", "set", node_if, "up")
        _run(*inside, "ip", "link", "set", "lo", "up")
        _run(*inside, "ip", "route", "add", "default", "via", host_ip)
        process = subprocess.Popen(
            [
                *inside,
                "dockerd",
                "--data-root",
                str(data_root),
                "--exec-root",
                str(exec_root),
                "-H",
                f"unix://{sock}",
                "--pidfile",
                f"/run/{name}.pid",
                "--bip",
                f"172.31.{third}.1/24",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE": "1"},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = docker.DockerClient(base_url=f"unix://{sock}", version="auto", timeout=60)
                client.ping()
                break
            except docker.errors.DockerException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the test dockerd did not start: see /tmp/{name}-dockerd.log"
                    ) from None
                time.sleep(0.2)
        for image in images:
            client.images.load(b"".join(source.images.get(image).save(named=True)))
        yield FreshEngine(docker_host=f"unix://{sock}", address=node_ip, client=client)
        failed = False
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()
        if not failed:
            Path(log.name).unlink(missing_ok=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, check=False)
        # Mounts the engine left (container rootfs, netns files) before removing folders.
        for root in (exec_root, data_root):
            mounts = Path("/proc/mounts").read_text().splitlines()
            for target in sorted(
                (m.split()[1] for m in mounts if m.split()[1].startswith(str(root))), reverse=True
            ):
                subprocess.run(["umount", "-l", target], capture_output=True, check=False)
            shutil.rmtree(root, ignore_errors=True)
        for leftover in (Path(sock), Path(f"/run/{name}.pid")):
            leftover.unlink(missing_ok=True)
