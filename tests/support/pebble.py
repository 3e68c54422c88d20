"""Pebble, a real ACME test server (Debian's ``pebble``), run on loopback for a test.

pebble-challtestsrv answers every DNS question with 127.0.0.1, so Pebble's
validation of ``http://<any name>:<httpPort>/.well-known/acme-challenge/...``
reaches the gateway the test bootstrapped on that host port.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.certs import make_ca, make_leaf
from tests.support.gateway import free_port
from tests.support.services import unavailable


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Pebble:
    directory: str
    management: str
    # The CA that signed Pebble's own HTTPS listener (for the ACME client).
    ca_bundle: str

    def _get(self, url: str) -> str:
        context = ssl.create_default_context(cafile=self.ca_bundle)
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return str(response.read().decode())

    def roots_pem(self) -> str:
        """The root that signs the certificates Pebble issues (new on every start)."""
        return self._get(f"{self.management}/roots/0")


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise AssertionError(f"{process.args!r} did not listen on {port}: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running(folder: Path, *, http_port: int) -> Iterator[Pebble]:
    """Pebble validating HTTP-01 on ``http_port`` of 127.0.0.1 for every name."""
    pebble = shutil.which("pebble")
    challtestsrv = shutil.which("pebble-challtestsrv")
    if not pebble or not challtestsrv:
        unavailable("Pebble is not installed (apt-get install pebble)")
        raise AssertionError("unreachable")
    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca("Pebble listener test CA")
    listener = make_leaf(ca, ["localhost"], ips=["127.0.0.1"], days=2)
    (folder / "ca.pem").write_text(ca.cert_pem)
    (folder / "cert.pem").write_text(listener.cert_pem)
    (folder / "key.pem").write_text(listener.key_pem)
    dns_port, acme_port, management_port = free_udp_port(), free_port(), free_port()
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{acme_port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": str(folder / "cert.pem"),
            "privateKey": str(folder / "key.pem"),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (folder / "pebble.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        # Validate for real, at once, and never reject a nonce on purpose.
        "PEBBLE_VA_ALWAYS_VALID": "0",
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": "0",
        "PEBBLE_AUTHZREUSE": "0",
    }
    dns_log, pebble_log = folder / "challtestsrv.log", folder / "pebble.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with open(dns_log, "wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        challtestsrv,
                        "-defaultIPv4",
                        "127.0.0.1",
                        "-defaultIPv6",
                        "",
                        "-dns01",
                        f"127.0.0.1:{dns_port}",
                        "-http01",
                        "",
                        "-https01",
                        "",
                        "-tlsalpn01",
                        "",
                        "-management",
                        f"127.0.0.1:{free_port()}",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        with open(pebble_log, "wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        pebble,
                        "-config",
                        str(folder / "pebble.json"),
                        "-dnsserver",
                        f"127.0.0.1:{dns_port}",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )
        _wait_port(acme_port, processes[1], pebble_log)
        _wait_port(management_port, processes[1], pebble_log)
        yield Pebble(
            directory=f"https://127.0.0.1:{acme_port}/dir",
            management=f"https://127.0.0.1:{management_port}",
            ca_bundle=str(folder / "ca.pem"),
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
