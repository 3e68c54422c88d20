"""Git remotes for tests, made with the real ``git``: a bare repository on disk (file://),
served over HTTPS by ``git http-backend`` behind a token check, or over SSH by Debian's sshd."""

from __future__ import annotations

import base64
import contextlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.apps.sources import INFO, busybox, dockerfile
from tests.support.certs import make_ca, make_leaf

AUTHOR = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com"]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *AUTHOR, *args], cwd=folder, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@dataclass
class Repo:
    """A bare repository (the remote) and a work tree that pushes to it."""

    bare: Path
    work: Path

    @property
    def url(self) -> str:
        return f"file://{self.bare}"

    def commit(
        self,
        message: str,
        files: dict[str, str | bytes],
        *,
        branch: str = "main",
        executable: tuple[str, ...] = (),
    ) -> str:
        """Write ``files``, commit them on ``branch``, push; the new commit's SHA."""
        current = git(self.work, "symbolic-ref", "--short", "HEAD")
        if current != branch:
            exists = git(self.work, "branch", "--list", branch)
            git(self.work, "checkout", "-q", *([] if exists else ["-b"]), branch)
        for name, content in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        for name in executable:
            (self.work / name).chmod(0o755)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        git(self.work, "push", "-q", "origin", branch)
        return git(self.work, "rev-parse", "HEAD")


def make_repo(root: Path) -> Repo:
    bare = root / "remote.git"
    work = root / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    git(work, "remote", "add", "origin", str(bare))
    return Repo(bare=bare, work=work)


def web_files(message: str, folder: str = "") -> dict[str, str | bytes]:
    """The busybox web app (FROM scratch) whose /cgi-bin/info prints ``message``."""
    prefix = f"{folder}/" if folder else ""
    return {
        f"{prefix}Dockerfile": dockerfile(message),
        f"{prefix}busybox": busybox().read_bytes(),
        f"{prefix}www/cgi-bin/info": INFO,
        f"{prefix}www/index.html": f"<h1>{message}</h1>\n",
    }


def web_executables(folder: str = "") -> tuple[str, ...]:
    prefix = f"{folder}/" if folder else ""
    return (f"{prefix}busybox", f"{prefix}www/cgi-bin/info")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- HTTPS: git http-backend behind a Basic-auth token check -----------------------------


@dataclass
class HttpsRemote:
    url: str
    ca_file: Path
    # Every request's path and Authorization header, to check what git sent.
    seen: list[tuple[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def https_remote(repo: Repo, token: str, folder: Path) -> Iterator[HttpsRemote]:
    """``repo`` over HTTPS on loopback; only ``Authorization: Basic <any>:<token>`` gets in."""
    ca = make_ca()
    leaf = make_leaf(ca, ["localhost"], ips=["127.0.0.1"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ca.pem").write_text(ca.cert_pem)
    (folder / "cert.pem").write_text(leaf.cert_pem + ca.cert_pem)
    (folder / "key.pem").write_text(leaf.key_pem)
    port = free_port()
    remote = HttpsRemote(url=f"https://127.0.0.1:{port}/remote.git", ca_file=folder / "ca.pem")
    root = repo.bare.parent

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            remote.seen.append((self.path, header))
            if not header.startswith("Basic "):
                return False
            _, _, given = base64.b64decode(header[6:]).decode().partition(":")
            return given == token

        def serve(self) -> None:
            if not self.authorised():
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": "/usr/bin:/bin",
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_USER": "git",
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode().split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = serve
        do_POST = serve

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield remote
    finally:
        server.shutdown()
        server.server_close()


# --- SSH: Debian's sshd on loopback, logging in with a deploy key -----------------------


@dataclass(frozen=True)
class SshRemote:
    url: str
    host_key_line: str  # the server's public host key (for known_hosts)


def _keypair(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return (path.parent / f"{path.name}.pub").read_text().strip()


@contextlib.contextmanager
def ssh_remote(repo: Repo, authorized_key: str, folder: Path) -> Iterator[SshRemote]:
    """sshd on 127.0.0.1 (a free port) serving ``repo`` to the holder of ``authorized_key``."""
    if not Path("/usr/sbin/sshd").exists():
        raise RuntimeError("sshd not found (apt-get install openssh-server)")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    host_public = _keypair(folder / "host_key")
    (folder / "authorized_keys").write_text(authorized_key + "\n")
    port = free_port()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    (folder / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {folder}/host_key\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        f"PidFile {folder}/sshd.pid\n"
    )
    log_path = folder / "sshd.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 15
            while "Server listening" not in log_path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sshd did not start: {log_path.read_text()[-500:]}")
                time.sleep(0.05)
            yield SshRemote(
                url=f"ssh://{user}@127.0.0.1:{port}{repo.bare}",
                host_key_line=f"[127.0.0.1]:{port} {host_public.split()[0]} {host_public.split()[1]}",
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            shutil.rmtree(folder, ignore_errors=True)
