"""How Berth reaches a node: its engine (URL and TLS) and its SSH login, secrets encrypted.

Encrypted values are JSON inside a Fernet token; they are never logged,
audited or shown back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from nodes.models import Node
from paas import crypto
from paas.transport import EngineAccess


@dataclass(frozen=True)
class SshLogin:
    host: str
    port: int
    user: str
    password: str = ""
    private_key: str = ""
    passphrase: str = ""


def seal(values: dict[str, str]) -> str:
    kept = {k: v for k, v in values.items() if v}
    return crypto.encrypt(json.dumps(kept)) if kept else ""


def unseal(token: str) -> dict[str, str]:
    if not token:
        return {}
    data: dict[str, str] = json.loads(crypto.decrypt(token))
    return data


def check_engine_url(url: str, *, tls: bool) -> str:
    """``tcp://host:port`` or ``unix:///path``; plain TCP needs no TLS only on a private link."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme == "unix" and parts.path:
        return url
    if parts.scheme in ("tcp", "https") and parts.hostname:
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            raise ValidationError({"engine_url": "Give the engine's port: tcp://host:2376."})
        return url
    raise ValidationError(
        {
            "engine_url": "Write the engine address as tcp://host:2376 (TLS) or unix:///path/docker.sock."
        }
    )


def engine_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def engine_access(node: Node) -> EngineAccess | None:
    if not node.engine_url:
        return None
    key = unseal(node.engine_tls_key_encrypted).get("key", "")
    return EngineAccess(
        url=node.engine_url, ca=node.engine_tls_ca, cert=node.engine_tls_cert, key=key
    )


def access_from(params: dict[str, Any], secret: dict[str, str]) -> EngineAccess:
    return EngineAccess(
        url=str(params["engine_url"]),
        ca=str(params.get("tls_ca") or ""),
        cert=str(params.get("tls_cert") or ""),
        key=secret.get("tls_key", ""),
    )


def ssh_login(node: Node) -> SshLogin | None:
    if not node.ssh_host or not node.ssh_credentials_encrypted:
        return None
    secret = unseal(node.ssh_credentials_encrypted)
    return SshLogin(
        host=node.ssh_host,
        port=node.ssh_port,
        user=node.ssh_user,
        password=secret.get("password", ""),
        private_key=secret.get("private_key", ""),
        passphrase=secret.get("passphrase", ""),
    )
