"""Where the portal's URL and token live: a 0600 JSON file, overridden by the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from berth_cli.errors import USAGE, CliError


@dataclass(frozen=True)
class Config:
    url: str
    token: str


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "berth" / "config.json"


def normalise_url(url: str) -> str:
    """``berth.example.com`` -> ``https://berth.example.com``; no trailing slash."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"not a portal URL: {url!r} (use https://host[:port])", USAGE)
    url = url.rstrip("/")
    # The API's own address is a common paste; the portal's is what is kept.
    return url.removesuffix("/api/v1")


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}", USAGE) from exc
    if not isinstance(data, dict):
        raise CliError(f"cannot read {path}: not a JSON object", USAGE)
    return {key: value for key, value in data.items() if isinstance(value, str)}


def load(env: Mapping[str, str] | None = None) -> Config:
    """The URL and token to use; BERTH_URL and BERTH_TOKEN win over the file."""
    env = os.environ if env is None else env
    stored = _read(config_path(env))
    url = env.get("BERTH_URL") or stored.get("url")
    token = env.get("BERTH_TOKEN") or stored.get("token")
    if not url or not token:
        raise CliError(
            "not logged in: run 'berth login URL' (or set BERTH_URL and BERTH_TOKEN)", USAGE
        )
    return Config(url=normalise_url(url), token=token)


def save(config: Config, env: Mapping[str, str] | None = None) -> Path:
    """Write the file readable by its owner only, created that way (never briefly wider)."""
    path = config_path(env)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"url": config.url, "token": config.token}, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
