"""One clear line per failure: the exception the commands raise and how it is worded."""

from __future__ import annotations

import socket
import ssl
from typing import Any

# Exit codes: 1 when the server (or a deployment) said no, 2 when the command
# could not be carried out at all (bad usage, no login, server unreachable).
FAILED = 1
USAGE = 2
INTERRUPTED = 130  # what a shell reports for Ctrl-C


class CliError(Exception):
    """A failure to report as ``berth: <message>`` and exit with ``code``."""

    def __init__(self, message: str, code: int = FAILED, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # The portal could not be reached or was briefly unavailable: worth asking again.
        self.transient = transient


def _field_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_field_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_field_text(item)}" for key, item in value.items())
    return str(value)


def api_error_message(status: int, body: Any, *, subject: str | None = None) -> str:
    """The line to show for an error response.

    ``body`` is the decoded JSON (or the raw text when it was not JSON);
    ``subject`` names what the request was about ("app 'web'") so a 404 can say
    which thing is missing, since the server's own 404 text is generic on purpose.
    """
    error = body.get("error") if isinstance(body, dict) else None
    message = ""
    fields: Any = {}
    if isinstance(error, dict):
        message = str(error.get("message") or "").strip()
        fields = error.get("fields") or {}
    elif isinstance(body, dict) and "detail" in body:
        message = str(body["detail"]).strip()
    if status == 404:
        return f"{subject} not found" if subject else "not found on the server"
    if status == 401:
        reason = message or "the token was refused"
        return f"{reason.rstrip('.')} (run 'berth login' again)"
    if status == 403:
        return f"permission denied: {message or 'the token may not do this'}"
    if fields:
        detail = "; ".join(f"{key}: {_field_text(value)}" for key, value in fields.items())
        generic = not message or message == "The request has invalid fields."
        return detail if generic else f"{message} ({detail})"
    if message:
        return message
    text = body.strip() if isinstance(body, str) else ""
    if text and len(text) <= 200 and "<" not in text:
        return f"the server answered {status}: {text}"
    return f"the server answered {status}"


def connection_reason(exc: BaseException) -> str:
    """A short reason from a connection failure ("connection refused", "timed out")."""
    seen: set[int] = set()
    current: BaseException | None = exc
    stack: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        stack.append(current)
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.insert(0, reason)
        current = nested[0] if nested else (current.__cause__ or current.__context__)
    for item in reversed(stack):
        if isinstance(item, ssl.SSLError):
            if "WRONG_VERSION_NUMBER" in str(item):
                return "it does not speak TLS on that port (http:// rather than https://?)"
            if isinstance(item, ssl.SSLCertVerificationError):
                return f"its TLS certificate was refused ({item.verify_message})"
            return f"TLS failed ({item.reason or item})"
        if isinstance(item, socket.gaierror):
            return f"cannot resolve the host name ({str(item.strerror).lower()})"
        if isinstance(item, OSError) and item.strerror:
            return str(item.strerror).lower()
    for item in reversed(stack):
        text = str(item)
        if "timed out" in text.lower():
            return "timed out"
    last = stack[-1]
    return str(last).split(": ")[-1].strip() or type(last).__name__
