"""Running commands on a node over SSH (paramiko), with its host key pinned on first use.

The first connection to ``host:port`` records the key the server shows (or
checks it against a fingerprint the operator gave); every later connection must
present the same key, or Berth refuses before sending any credential.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paramiko

from nodes.access import SshLogin

CONNECT_TIMEOUT = 15


class SshError(Exception):
    """The node could not be reached or refused; the message says why, in words."""


@dataclass(frozen=True)
class HostKey:
    key_type: str
    key_base64: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(base64.b64decode(self.key_base64))


def fingerprint(blob: bytes) -> str:
    """OpenSSH's form: ``SHA256:`` and the unpadded base64 of the key blob's digest."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def normalise_fingerprint(value: str) -> str:
    value = value.strip()
    if value and not value.startswith("SHA256:"):
        value = f"SHA256:{value}"
    return value.rstrip("=")


class _Pin(paramiko.MissingHostKeyPolicy):
    """Accept an unknown key only when nothing is pinned; remember what was shown."""

    def __init__(self, expected_fingerprint: str) -> None:
        self.expected = normalise_fingerprint(expected_fingerprint)
        self.seen: HostKey | None = None

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        seen = HostKey(key.get_name(), key.get_base64())
        self.seen = seen
        if self.expected and seen.fingerprint != self.expected:
            raise SshError(
                f"The host key of {hostname} is {seen.fingerprint}, not the expected "
                f"{self.expected}: refusing to connect."
            )


def _private_key(text: str, passphrase: str) -> paramiko.PKey:
    last: Exception | None = None
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise SshError("The private key is encrypted: give its passphrase.") from None
        except (paramiko.SSHException, ValueError) as exc:
            last = exc
    raise SshError(f"The private key cannot be read ({last}); give an OpenSSH or PEM key.")


@contextmanager
def connect(
    login: SshLogin, *, pinned: HostKey | None, expected_fingerprint: str = ""
) -> Iterator[tuple[paramiko.SSHClient, HostKey]]:
    """An authenticated session; yields it with the host key the server presented."""
    client = paramiko.SSHClient()
    policy = _Pin(expected_fingerprint)
    entry = login.host if login.port == 22 else f"[{login.host}]:{login.port}"
    if pinned is not None:
        key_class = {
            "ssh-ed25519": paramiko.Ed25519Key,
            "ssh-rsa": paramiko.RSAKey,
        }.get(pinned.key_type, paramiko.ECDSAKey)
        client.get_host_keys().add(
            entry, pinned.key_type, key_class(data=base64.b64decode(pinned.key_base64))
        )
    client.set_missing_host_key_policy(policy)
    pkey = _private_key(login.private_key, login.passphrase) if login.private_key else None
    try:
        client.connect(
            login.host,
            port=login.port,
            username=login.user,
            password=login.password or None,
            pkey=pkey,
            timeout=CONNECT_TIMEOUT,
            banner_timeout=CONNECT_TIMEOUT,
            auth_timeout=CONNECT_TIMEOUT,
            allow_agent=False,
            look_for_keys=False,
        )
    except SshError:
        client.close()
        raise
    except paramiko.BadHostKeyException as exc:
        client.close()
        shown = fingerprint(exc.key.asbytes())
        raise SshError(
            f"The host key of {login.host}:{login.port} changed: it is now {shown}, but "
            f"{pinned.fingerprint if pinned else 'another key'} was pinned. If the node was "
            "reinstalled, forget the pinned key on the nodes page and try again."
        ) from None
    except paramiko.AuthenticationException:
        client.close()
        raise SshError(
            f"{login.user}@{login.host} refused the login: check the user, key or password."
        ) from None
    except (OSError, paramiko.SSHException) as exc:
        client.close()
        raise SshError(f"Cannot reach {login.host}:{login.port} over SSH: {exc}") from None
    transport = client.get_transport()
    server_key = transport.get_remote_server_key() if transport else None
    shown_key = policy.seen or (
        HostKey(server_key.get_name(), server_key.get_base64()) if server_key else None
    )
    try:
        if shown_key is None:
            raise SshError("The server presented no host key.")
        yield client, shown_key
    finally:
        client.close()


def run(client: paramiko.SSHClient, command: str, *, timeout: float = 120) -> tuple[int, str]:
    """Run ``command``; returns its exit status and its output (stdout then stderr)."""
    try:
        _, stdout, stderr = client.exec_command(command, timeout=timeout)
        out = stdout.read().decode(errors="replace")
        err = stderr.read().decode(errors="replace")
        status = stdout.channel.recv_exit_status()
    except (OSError, paramiko.SSHException) as exc:
        raise SshError(f"The command did not finish over SSH: {exc}") from None
    return status, (out + err).strip()
