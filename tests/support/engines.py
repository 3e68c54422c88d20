"""Fresh Docker engines in network namespaces (TESTING.md, "Several nodes on one machine").

``engine_cluster(n, ...)`` starts ``n`` dockerd, each in its own network
namespace, all on one bridge of their own (10.77.x.0/24, the host at .1), so
they can form a swarm of their own, apart from the machine's. The host's
FORWARD policy is DROP (Docker sets it), so one rule lets traffic between the
bridge's ports through, and another refuses everything else the engines send
out. ``fresh_engine`` is a cluster of one. ``sshd_in``
runs Debian's sshd inside an engine's namespace.

Everything made (namespaces, links, rule, daemons, folders) is torn down on
exit, also when the test fails.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker


@dataclass(frozen=True)
class FreshEngine:
    docker_host: str
    address: str
    client: Any
    name: str = ""
    # With tls=True: the engine also listens on tcp://address:2376 with client-certificate TLS.
    tcp_url: str = ""
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = field(default="", repr=False)


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def missing_tools(*, ssh: bool = False) -> str | None:
    if os.geteuid() != 0:
        return "a second engine needs root"
    for tool in ("ip", "nsenter", "dockerd", "iptables"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install iproute2 docker.io iptables)"
    if ssh and not Path("/usr/sbin/sshd").exists():
        return "sshd not found (apt-get install openssh-server)"
    return None


def _free_subnet() -> int:
    used = subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True, check=True).stdout
    for _ in range(50):
        third = secrets.randbelow(200) + 20
        if f"10.77.{third}." not in used:
            return third
    raise RuntimeError("no free 10.77.x.0/24 for test engines")


# --- TLS for an engine's TCP socket ---------------------------------------------


def _tls_files(folder: Path, address: str) -> dict[str, str]:
    """A CA, a server certificate for ``address`` and a client certificate (PEM text)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def key() -> Any:
        return ec.generate_private_key(ec.SECP256R1())

    def pem_key(k: Any) -> str:
        return str(
            k.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
        )

    def cert(subject: str, k: Any, issuer: Any, issuer_key: Any, **extra: Any) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(k.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        for extension, critical in extra.get("extensions", []):
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "berth test CA")])
    ca = cert(
        "berth test CA",
        ca_key,
        ca_name,
        ca_key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    server_key, client_key = key(), key()
    server = cert(
        address,
        server_key,
        ca_name,
        ca_key,
        extensions=[
            (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    client = cert(
        "berth",
        client_key,
        ca_name,
        ca_key,
        extensions=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )
    pem = {
        "ca": ca.public_bytes(serialization.Encoding.PEM).decode(),
        "server_cert": server.public_bytes(serialization.Encoding.PEM).decode(),
        "server_key": pem_key(server_key),
        "cert": client.public_bytes(serialization.Encoding.PEM).decode(),
        "key": pem_key(client_key),
    }
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("ca", "server_cert", "server_key"):
        (folder / f"{name}.pem").write_text(pem[name])
    return pem


# --- the engines ----------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _remove_folder(root: Path) -> None:
    # Mounts the engine left (container rootfs, netns files) before removing folders.
    mounts = Path("/proc/mounts").read_text().splitlines()
    for target in sorted(
        (m.split()[1] for m in mounts if m.split()[1].startswith(str(root))), reverse=True
    ):
        subprocess.run(["umount", "-l", target], capture_output=True, check=False)
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def engine_cluster(
    count: int,
    images: list[str],
    source: Any,
    *,
    tls: tuple[int, ...] = (),
    bare: tuple[int, ...] = (),
    timeout: float = 60.0,
) -> Iterator[list[FreshEngine]]:
    """``count`` new dockerd (in no swarm) on one bridge, holding copies of ``images``.

    Engines whose index is in ``tls`` also listen on ``tcp://<address>:2376``
    with TLS and client certificates (their PEMs are on the returned engine);
    those in ``bare`` get no image, like a new machine.
    """
    prefix = f"b{secrets.token_hex(3)}"
    third = _free_subnet()
    bridge, host_ip = f"{prefix}br", f"10.77.{third}.1"
    rules = [
        ["DOCKER-USER", "-i", bridge, "-o", bridge, "-j", "ACCEPT"],
        # Nothing leaves the bridge: a pull from a public registry fails at once instead
        # of waiting for DNS, and test traffic stays on this machine.
        ["DOCKER-USER", "-i", bridge, "!", "-o", bridge, "-j", "REJECT"],
    ]
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    folders: list[Path] = []
    failed = True
    try:
        _run("ip", "link", "add", bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{host_ip}/24", "dev", bridge)
        _run("ip", "link", "set", bridge, "up")
        for rule in rules:
            _run("iptables", "-I", *rule)
        engines = []
        for index in range(count):
            name = f"{prefix}n{index}"
            address = f"10.77.{third}.{index + 2}"
            outer, inner = f"{prefix}h{index}", f"{prefix}e{index}"
            data_root, exec_root = Path(f"/var/lib/{name}"), Path(f"/run/{name}")
            folders += [data_root, exec_root, Path(f"/tmp/{name}-tls")]
            sock = f"/run/{name}.sock"
            _run("ip", "netns", "add", name)
            _run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            _run("ip", "link", "set", inner, "netns", name)
            _run("ip", "link", "set", outer, "master", bridge)
            _run("ip", "link", "set", outer, "up")
            inside = ["nsenter", f"--net=/run/netns/{name}"]
            _run(*inside, "ip", "addr", "add", f"{address}/24", "dev", inner)
            _run(*inside, "ip", "link", "set", inner, "up")
            _run(*inside, "ip", "link", "set", "lo", "up")
            _run(*inside, "ip", "route", "add", "default", "via", host_ip)
            hosts = ["-H", f"unix://{sock}"]
            pem: dict[str, str] = {}
            if index in tls:
                folder = Path(f"/tmp/{name}-tls")
                pem = _tls_files(folder, address)
                hosts += [
                    "-H",
                    f"tcp://{address}:2376",
                    "--tlsverify",
                    "--tlscacert",
                    str(folder / "ca.pem"),
                    "--tlscert",
                    str(folder / "server_cert.pem"),
                    "--tlskey",
                    str(folder / "server_key.pem"),
                ]
            log = open(f"/tmp/{name}-dockerd.log", "w")  # noqa: SIM115 - closed in finally
            logs.append(log)
            process = subprocess.Popen(
                [
                    *inside,
                    "dockerd",
                    "--data-root",
                    str(data_root),
                    "--exec-root",
                    str(exec_root),
                    *hosts,
                    "--pidfile",
                    f"/run/{name}.pid",
                    "--bip",
                    f"172.31.{third}.1/24",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                # Engines given images run them without trying a pull; a bare one pulls
                # like a new machine (from a registry of the test's own).
                env={
                    **os.environ,
                    "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE": "0" if index in bare else "1",
                },
                start_new_session=True,
            )
            processes.append(process)
            engines.append((name, sock, address, process, pem))
        ready = []
        deadline = time.monotonic() + timeout
        for index, (name, sock, address, process, pem) in enumerate(engines):
            while True:
                try:
                    client = docker.DockerClient(
                        base_url=f"unix://{sock}", version="auto", timeout=60
                    )
                    client.ping()
                    break
                except docker.errors.DockerException:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"the test dockerd did not start: see /tmp/{name}-dockerd.log"
                        ) from None
                    time.sleep(0.2)
            for image in images if index not in bare else []:
                client.images.load(b"".join(source.images.get(image).save(named=True)))
            ready.append(
                FreshEngine(
                    docker_host=f"unix://{sock}",
                    address=address,
                    client=client,
                    name=name,
                    tcp_url=f"tcp://{address}:2376" if pem else "",
                    tls_ca=pem.get("ca", ""),
                    tls_cert=pem.get("cert", ""),
                    tls_key=pem.get("key", ""),
                )
            )
        yield ready
        failed = False
    finally:
        for process in processes:
            _stop(process)
        for log in logs:
            log.close()
            if not failed:
                Path(log.name).unlink(missing_ok=True)
        for index in range(count):
            name = f"{prefix}n{index}"
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
            subprocess.run(["ip", "link", "del", f"{prefix}h{index}"], capture_output=True)
            for leftover in (Path(f"/run/{name}.sock"), Path(f"/run/{name}.pid")):
                leftover.unlink(missing_ok=True)
        for rule in rules:
            subprocess.run(["iptables", "-D", *rule], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        for folder in folders:
            _remove_folder(folder)


@contextlib.contextmanager
def fresh_engine(images: list[str], source: Any, *, timeout: float = 60.0) -> Iterator[FreshEngine]:
    """A new dockerd (not in any swarm) holding copies of ``images`` from ``source``."""
    with engine_cluster(1, images, source, timeout=timeout) as (engine,):
        yield engine


# --- sshd inside an engine's namespace ------------------------------------------


@dataclass(frozen=True)
class SshServer:
    host: str
    port: int
    user: str
    private_key: str = field(repr=False)
    host_key_fingerprint: str


@contextlib.contextmanager
def sshd_in(engine: FreshEngine, *, timeout: float = 15.0) -> Iterator[SshServer]:
    """Debian's sshd on ``engine.address:22`` in its namespace, logging in as root with a
    fresh key; its sessions' ``docker`` talks to that engine (SetEnv DOCKER_HOST)."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    folder = Path(f"/tmp/{engine.name}-sshd")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def openssh_pair() -> tuple[str, str]:
        key = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return private, public.decode()

    host_private, host_public = openssh_pair()
    user_private, user_public = openssh_pair()
    host_key = folder / "host_key"
    host_key.write_text(host_private)
    host_key.chmod(0o600)
    (folder / "authorized_keys").write_text(user_public + "\n")
    blob = base64.b64decode(host_public.split()[1])
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    config = folder / "sshd_config"
    config.write_text(
        f"ListenAddress {engine.address}:22\n"
        f"HostKey {host_key}\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        f"PidFile {folder}/sshd.pid\n"
        f"SetEnv DOCKER_HOST={engine.docker_host}\n"
    )
    log = open(folder / "sshd.log", "w")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        [
            "nsenter",
            f"--net=/run/netns/{engine.name}",
            "/usr/sbin/sshd",
            "-D",
            "-e",
            "-f",
            str(config),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while "Server listening" not in (folder / "sshd.log").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"sshd did not start: {(folder / 'sshd.log').read_text()[-500:]}"
                )
            time.sleep(0.1)
        yield SshServer(
            host=engine.address,
            port=22,
            user="root",
            private_key=user_private,
            host_key_fingerprint=fingerprint,
        )
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
