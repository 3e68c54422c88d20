"""The portal's token API over HTTP, with every failure turned into a ``CliError``."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote, urlsplit

import requests

from berth_cli import __version__
from berth_cli.errors import USAGE, CliError, api_error_message, connection_reason

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
UPLOAD_READ_TIMEOUT = 600.0


def app_path(app: str, *rest: str | int) -> str:
    parts = [quote(app, safe=""), *(quote(str(part), safe="") for part in rest)]
    return "apps/" + "/".join(parts) + "/"


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = f"berth-cli/{__version__}"
        self.session.headers["Accept"] = "application/json"

    def _send(
        self,
        method: str,
        path: str,
        *,
        subject: str | None,
        read_timeout: float | None = READ_TIMEOUT,
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        try:
            response = self.session.request(
                method,
                f"{self.url}/api/v1/{path}",
                timeout=(CONNECT_TIMEOUT, read_timeout),
                stream=stream,
                allow_redirects=False,
                **kwargs,
            )
        except requests.exceptions.ConnectionError as exc:
            reason = connection_reason(exc)
            raise CliError(f"cannot reach {self.url}: {reason}", USAGE, transient=True) from exc
        except requests.exceptions.Timeout as exc:
            raise CliError(f"cannot reach {self.url}: timed out", USAGE, transient=True) from exc
        except requests.exceptions.RequestException as exc:
            raise CliError(f"request to {self.url} failed: {exc}", USAGE) from exc
        if response.status_code >= 300:
            transient = response.status_code in (502, 503, 504)
            raise CliError(self._error_line(response, subject), transient=transient)
        return response

    def _error_line(self, response: requests.Response, subject: str | None) -> str:
        if 300 <= response.status_code < 400:
            where = response.headers.get("Location", "elsewhere")
            return f"the server redirects to {where}: is {self.url} the portal's URL?"
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        return api_error_message(response.status_code, body, subject=subject)

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise CliError(
                f"{self.url} did not answer with JSON: is it a Berth portal?", USAGE
            ) from exc

    def get(self, path: str, *, subject: str | None = None, **params: Any) -> Any:
        return self._json(self._send("GET", path, subject=subject, params=params or None))

    def post(self, path: str, *, subject: str | None = None, json: Any = None) -> Any:
        return self._json(self._send("POST", path, subject=subject, json=json or {}))

    def upload(
        self, path: str, *, subject: str | None, field: str, name: str, data: IO[bytes]
    ) -> Any:
        files = {field: (name, data, "application/gzip")}
        response = self._send(
            "POST", path, subject=subject, files=files, read_timeout=UPLOAD_READ_TIMEOUT
        )
        return self._json(response)

    def stream_text(self, path: str, *, subject: str | None = None, **params: Any) -> Iterator[str]:
        """Chunks of a streamed text answer, as they arrive (no read timeout)."""
        response = self._send(
            "GET", path, subject=subject, params=params, stream=True, read_timeout=None
        )
        # A character may be split between two chunks.
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        with response:
            try:
                for chunk in response.iter_content(chunk_size=None):
                    text = decoder.decode(chunk)
                    if text:
                        yield text
                yield decoder.decode(b"", final=True)
            except requests.exceptions.RequestException as exc:
                reason = connection_reason(exc)
                raise CliError(f"lost the connection to {self.url}: {reason}", USAGE) from exc

    def iter_items(self, path: str, *, subject: str | None = None) -> Iterator[Any]:
        """The items of a list endpoint in the server's order, page by page (DRF's ``next``)."""
        data = self.get(path, subject=subject)
        while True:
            if isinstance(data, list):
                yield from data
                return
            if not isinstance(data, dict):
                return
            yield from data.get("results") or []
            following = data.get("next")
            if not following:
                return
            data = self._json(self._next(str(following), subject))

    def _next(self, url: str, subject: str | None) -> requests.Response:
        # The server builds ``next`` from the request's host; keep talking to ours.
        parts = urlsplit(url)
        path = parts.path.split("/api/v1/", 1)[-1]
        query = f"?{parts.query}" if parts.query else ""
        return self._send("GET", path + query, subject=subject)
