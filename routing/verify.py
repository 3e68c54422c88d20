"""Checking that a custom domain reaches this gateway before it is routed.

The gateway serves every token file under ``/.well-known/berth-verify/`` for
any hostname (routing.render.WELL_KNOWN). The check writes the domain's token
there and fetches ``http://<domain>:<http port>/.well-known/berth-verify/<token>``
as a visitor would; only this gateway can answer with the token.
"""

from __future__ import annotations

import http.client
import re
import secrets
import socket

from django.conf import settings

from routing import files

TIMEOUT = 10.0
PATH = "/.well-known/berth-verify/"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def publish(token: str) -> None:
    """Put the token where the gateway serves it (no reload needed: a plain file)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise ValueError("a verification token is 16-64 URL-safe characters")
    lay = files.layout()
    lay.ensure()
    files.write_atomic(lay.verify / token, token)


def withdraw(token: str) -> None:
    if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        files.remove(files.layout().verify / token)


def _probe_host(hostname: str) -> str:
    """A concrete name to fetch: a wildcard is checked through one name it covers."""
    return f"berth-check.{hostname[2:]}" if hostname.startswith("*.") else hostname


def check(hostname: str, token: str) -> str | None:
    """None when ``hostname`` answers with ``token`` through this gateway, else why not."""
    host = _probe_host(hostname)
    port = int(settings.BERTH_GATEWAY_HTTP_PORT)
    address = str(settings.BERTH_VERIFY_ADDRESS or "")
    if not address:
        try:
            address = str(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0])
        except (socket.gaierror, UnicodeError):
            return (
                f"{host} does not resolve. Add a DNS record (A, AAAA or CNAME) that points it "
                "to this server, then check again."
            )
    where = f"http://{host}{'' if port == 80 else f':{port}'}{PATH}..."
    connection = http.client.HTTPConnection(str(address), port, timeout=TIMEOUT)
    try:
        connection.request("GET", PATH + token, headers={"Host": host, "Connection": "close"})
        response = connection.getresponse()
        body = response.read(256).decode(errors="replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        return f"{where} could not be fetched from {address}: {exc}."
    finally:
        connection.close()
    if response.status != 200:
        return (
            f"{where} answered {response.status} from {address}: the name points to another "
            "server, or a proxy in front does not pass it to this gateway."
        )
    if body != token:
        return f"{where} answered from {address}, but not with this domain's token."
    return None
