"""The gateway folder: live site files, staging, external output, and the lock.

Layout under ``<BERTH_GATEWAY_DIR>/<namespace>/`` (mounted read-only at
``/etc/berth`` in the gateway container)::

    nginx.conf          the gateway's main config (includes sites/*.conf)
    sites/<app>.conf    the last good file of each routed app
    sites/_portal.conf  the portal's server block, when routed
    staging/<run>/      files being checked with nginx -t (removed after)
    tls/<digest>.pem    certificate chain + key of a served domain (mode 0600)
    auth/<digest>.htpasswd  basic-auth users of an app (hashes only)
    acme/<token>        ACME HTTP-01 answers, served under /.well-known/acme-challenge/
    verify/<token>      domain checks, served under /.well-known/berth-verify/
    external/nginx/     server blocks for an external nginx (BERTH_GATEWAY=external)
    external/traefik/   Traefik file-provider documents (BERTH_GATEWAY=external)
    .lock               serialises changes and reloads across processes

One folder per namespace, so two installations sharing a data folder never
touch each other's files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from routing.render import CONTAINER_ROOT
from routing.routes import GatewayUnavailable

PORTAL_FILE = "_portal.conf"
RELOAD_PENDING = ".reload-pending"


class LockTimeout(GatewayUnavailable):
    """Another process held the gateway lock for too long (transient, like the gateway being away)."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def main_conf(self) -> Path:
        return self.root / "nginx.conf"

    @property
    def sites(self) -> Path:
        return self.root / "sites"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def external_nginx(self) -> Path:
        return self.root / "external" / "nginx"

    @property
    def external_traefik(self) -> Path:
        return self.root / "external" / "traefik"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def auth(self) -> Path:
        return self.root / "auth"

    @property
    def acme(self) -> Path:
        return self.root / "acme"

    @property
    def verify(self) -> Path:
        return self.root / "verify"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def reload_pending(self) -> Path:
        return self.root / RELOAD_PENDING

    def site(self, name: str) -> Path:
        return self.sites / f"{name}.conf"

    def in_container(self, path: Path) -> str:
        """Where ``path`` (under the root) is seen inside the gateway container."""
        return f"{CONTAINER_ROOT}/{path.relative_to(self.root).as_posix()}"

    def ensure(self) -> None:
        for folder in (self.sites, self.staging, self.tls, self.auth, self.acme, self.verify):
            folder.mkdir(parents=True, exist_ok=True)


def layout(namespace: str | None = None) -> Layout:
    ns = namespace or str(settings.BERTH_NAMESPACE)
    return Layout(root=Path(settings.BERTH_GATEWAY_DIR) / ns)


def host_root(namespace: str | None = None) -> Path:
    """The gateway folder as the engine's host sees it (for the bind mount)."""
    ns = namespace or str(settings.BERTH_NAMESPACE)
    base = settings.BERTH_GATEWAY_HOST_DIR or settings.BERTH_GATEWAY_DIR
    return Path(base) / ns


def read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def write_atomic(path: Path, text: str, *, mode: int = 0o644) -> bool:
    """Write ``text`` unless the file already holds it; readers never see half a file.

    Returns whether the file changed. ``mode`` 0600 keeps a key readable only
    by its owner (and the gateway's nginx master, which runs as root).
    """
    if read(path) == text:
        os.chmod(path, mode)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)
    return True


def referenced(lay: Layout, folder: Path) -> set[str]:
    """Names of files in ``folder`` that a live site file (or the main config) mentions."""
    prefix = f"{CONTAINER_ROOT}/{folder.relative_to(lay.root).as_posix()}/"
    texts = [read(path) or "" for path in lay.sites.glob("*.conf")] if lay.sites.is_dir() else []
    found: set[str] = set()
    for text in texts:
        start = 0
        while (index := text.find(prefix, start)) >= 0:
            end = index + len(prefix)
            while end < len(text) and text[end] not in ";\n ":
                end += 1
            found.add(text[index + len(prefix) : end])
            start = end
    return found


def collect_garbage(lay: Layout) -> int:
    """Remove certificate and password files no live site refers to any more."""
    removed = 0
    for folder in (lay.tls, lay.auth):
        if not folder.is_dir():
            continue
        keep = referenced(lay, folder)
        for path in folder.iterdir():
            if path.is_file() and path.name not in keep:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def live_sites(lay: Layout) -> dict[str, Path]:
    """App name -> live file (the portal's file is not an app)."""
    if not lay.sites.is_dir():
        return {}
    return {
        path.stem: path
        for path in lay.sites.glob("*.conf")
        if path.name != PORTAL_FILE and not path.name.startswith(".")
    }


@contextlib.contextmanager
def locked(lay: Layout, *, timeout: float = 120.0) -> Iterator[None]:
    """Hold the namespace's gateway lock (web, worker and beat share the folder)."""
    lay.root.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(lay.lock_file, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(
                        f"the gateway lock in {lay.root} was held for over {timeout:.0f} s"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def staging_dir(lay: Layout) -> Iterator[Path]:
    """A fresh folder under staging/, removed afterwards whatever happens."""
    lay.ensure()
    folder = lay.staging / secrets.token_hex(6)
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
