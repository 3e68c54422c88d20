"""The settings of an installation: what the operator set, kept in the data folder.

``install`` takes the operator's settings from the environment (``BERTH_*`` and
``DATABASE_URL``) and keeps them in ``<data>/install.env`` (mode 0600, root's): a
later ``install`` or ``upgrade`` starts from that file, and only what is set again
in the environment changes. The services get those settings as their environment,
except the ones the stack file sets for a container (paths, addresses).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_FILE = "install.env"
BASE_DIR = Path(__file__).resolve().parent.parent.parent
STACK_FILE = BASE_DIR / "compose" / "stack.yml"
# The portal image's user (compose/Dockerfile): the data folder belongs to it.
PORTAL_UID = 10001

# Settings of the installation itself (the stack file's variables), with defaults.
INSTALL_DEFAULTS: dict[str, str] = {
    "BERTH_NAMESPACE": "berth",
    # Empty: built from this checkout (compose/Dockerfile), tagged by its content.
    "BERTH_IMAGE": "",
    # The build's base: the official image of this interpreter's Python version,
    # which the wheelhouse is made with.
    "BERTH_BASE_IMAGE": f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-bookworm",
    "BERTH_REDIS_IMAGE": "redis:7.2-alpine",
    # Empty: the gateway's nginx image.
    "BERTH_ENGINE_PROXY_IMAGE": "",
    "BERTH_HOST_DOCKER_SOCKET": "/var/run/docker.sock",
    # The web is one process (paas/production/web.py); each request, and each followed
    # log stream (`berth logs -f`) while it lasts, holds one of its threads. Each thread
    # that has served beside others leaves ~0.9 MiB of its heap behind (README,
    # "Footprint"); 6 leave two for the portal when 4 streams are followed.
    "BERTH_WEB_THREADS": "6",
    "BERTH_WORKER_POOL": "threads",
    # Tasks at once: a deployment holds one while it builds and rolls out. On the 2-core
    # test machine 100 deployments took 80-90 s with 4, 70-86 s with 8, and 4 hold
    # 2.6 MiB less after them (README, "Footprint").
    "BERTH_WORKER_CONCURRENCY": "4",
}
# Never passed to the services: the stack file sets them for the containers, or
# they name things on this host only.
NOT_PASSED = frozenset(
    {
        "BERTH_DATA_DIR",
        "BERTH_GATEWAY_DIR",
        "BERTH_GATEWAY_HOST_DIR",
        "BERTH_STATIC_ROOT",
        "BERTH_PORTAL_UPSTREAM",
        "BERTH_WEB_PORT",
        "REDIS_URL",
        "DOCKER_HOST",
        "DJANGO_SETTINGS_MODULE",
    }
)
POOLS = ("threads", "prefork", "solo")
# Variables of the test suite and of the `berth` client, not Berth's settings.
FOREIGN = (
    "BERTH_TEST_",
    "BERTH_REQUIRE_",
    "BERTH_URL",
    "BERTH_TOKEN",
    "BERTH_ARTIFACTS",
    "BERTH_CHROMIUM",
)
_NAMESPACE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$")


class ConfigError(Exception):
    """A setting of the installation cannot be used; the message says which."""


def operator_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings an operator set in ``environ`` (what ``install`` keeps)."""
    found = {
        name: value
        for name, value in environ.items()
        if (name.startswith("BERTH_") or name == "DATABASE_URL")
        and name not in NOT_PASSED
        and not name.startswith(FOREIGN)
    }
    files = sorted(name for name in found if name.endswith("_FILE"))
    if files:
        raise ConfigError(
            f"{', '.join(files)}: a file on this host is not seen by the services; "
            "set the value itself (install.env is readable by root only)"
        )
    return found


def read_saved(data_dir: Path) -> dict[str, str]:
    path = data_dir / ENV_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    saved: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{path}:{number}: expected NAME=value")
        saved[name.strip()] = value
    return saved


def write_saved(data_dir: Path, values: Mapping[str, str]) -> Path:
    """Write ``install.env`` (0600): the next install or upgrade starts from it."""
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            raise ConfigError(f"{name}: a value cannot span lines")
    path = data_dir / ENV_FILE
    temporary = path.with_name(f".{ENV_FILE}.tmp")
    lines = [
        "# Berth's installation settings, written by `manage.py install`.",
        "# Edit and run `manage.py install` again to apply (or set them in the environment).",
        *(f"{name}={values[name]}" for name in sorted(values)),
    ]
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(temporary, path)
    return path


@dataclass(frozen=True)
class Settings:
    """The installation's settings: saved, then overridden by what was set now."""

    values: Mapping[str, str]

    @classmethod
    def merge(cls, saved: Mapping[str, str], explicit: Mapping[str, str]) -> Settings:
        return cls(values={**INSTALL_DEFAULTS, **saved, **explicit})

    def get(self, name: str) -> str:
        return str(self.values.get(name) or INSTALL_DEFAULTS.get(name, ""))

    @property
    def namespace(self) -> str:
        return self.get("BERTH_NAMESPACE")

    def to_save(self) -> dict[str, str]:
        """What install.env keeps: everything set, not the defaults left as they are."""
        return {
            name: value
            for name, value in self.values.items()
            if value != INSTALL_DEFAULTS.get(name) or name == "BERTH_NAMESPACE"
        }

    def service_environment(self) -> dict[str, str]:
        """The operator's settings as the portal services get them."""
        env = {
            name: value
            for name, value in self.values.items()
            if name not in INSTALL_DEFAULTS and name not in NOT_PASSED and value != ""
        }
        env["BERTH_NAMESPACE"] = self.namespace
        hosts = [h.strip() for h in env.get("BERTH_ALLOWED_HOSTS", "").split(",") if h.strip()]
        if hosts and "127.0.0.1" not in hosts:
            # The web's health check asks http://127.0.0.1:8000/healthz from inside.
            env["BERTH_ALLOWED_HOSTS"] = ",".join([*hosts, "127.0.0.1"])
        if "BERTH_CSRF_TRUSTED_ORIGINS" not in env:
            origins = self.portal_origins()
            if origins:
                env["BERTH_CSRF_TRUSTED_ORIGINS"] = ",".join(origins)
        return env

    def portal_host(self) -> str | None:
        subdomain = self.values.get("BERTH_PORTAL_SUBDOMAIN", "berth")
        if not subdomain:
            return None
        return f"{subdomain}.{self.values.get('BERTH_ROOT_DOMAIN') or 'localhost'}"

    def portal_origins(self) -> list[str]:
        """Origins a browser sends for the portal on the gateway's non-default ports.

        The gateway passes the host name without its port, so Django's CSRF check
        needs these spelled out (a browser's Origin carries the port).
        """
        host = self.portal_host()
        if host is None:
            return []
        origins = []
        for scheme, name, default in (
            ("http", "BERTH_GATEWAY_HTTP_PORT", "80"),
            ("https", "BERTH_GATEWAY_HTTPS_PORT", "443"),
        ):
            port = self.values.get(name) or default
            if port != default:
                origins.append(f"{scheme}://{host}:{port}")
        return origins

    def http_port(self) -> int:
        return int(self.values.get("BERTH_GATEWAY_HTTP_PORT") or 80)

    def check(self) -> None:
        """Refuse values the stack cannot run with (the rest is bootstrap's to check)."""
        problems = []
        namespace = self.namespace
        if not _NAMESPACE.match(namespace):
            problems.append(
                f"BERTH_NAMESPACE {namespace!r} must be 1-20 lowercase letters, digits or hyphens"
            )
        if self.get("BERTH_WORKER_POOL") not in POOLS:
            problems.append(f"BERTH_WORKER_POOL must be one of {', '.join(POOLS)}")
        for name in ("BERTH_WEB_THREADS", "BERTH_WORKER_CONCURRENCY"):
            if not self.get(name).isdigit() or int(self.get(name)) < 1:
                problems.append(f"{name} must be a whole number of at least 1")
        follow = self.values.get("BERTH_LOG_FOLLOW_LIMIT", "4")
        threads = self.get("BERTH_WEB_THREADS")
        if follow.isdigit() and threads.isdigit() and int(follow) >= int(threads):
            problems.append(
                f"BERTH_LOG_FOLLOW_LIMIT ({follow}) must be below BERTH_WEB_THREADS ({threads}):"
                " each followed log stream holds one of the web's threads"
            )
        if self.values.get("BERTH_GATEWAY", "nginx") not in ("nginx", "external"):
            problems.append("BERTH_GATEWAY must be nginx or external")
        if not self.get("BERTH_HOST_DOCKER_SOCKET").startswith("/"):
            problems.append("BERTH_HOST_DOCKER_SOCKET must be the socket's absolute path")
        if problems:
            raise ConfigError("\n".join(problems))
