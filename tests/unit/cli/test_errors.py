"""How failures read: one line, naming the thing, with the server's own words."""

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from berth_cli.errors import api_error_message, connection_reason


def error(message: str, fields: dict[str, Any] | None = None, code: str = "invalid") -> Any:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def test_a_missing_app_is_named():
    body = error("Not found.", code="not_found")
    assert api_error_message(404, body, subject="app 'web'") == "app 'web' not found"


def test_field_errors_are_listed_after_a_generic_message():
    body = error("The request has invalid fields.", {"image": "Enter an image reference."})
    assert api_error_message(400, body) == "image: Enter an image reference."


def test_a_specific_message_keeps_its_fields():
    body = error("The upload is not a tar.gz.", {"source": ["Bad gzip.", "Try again."]})
    assert (
        api_error_message(400, body) == "The upload is not a tar.gz. (source: Bad gzip. Try again.)"
    )


def test_a_plain_server_message_is_shown_as_is():
    body = error("A deployment of web is already running.", code="conflict")
    assert api_error_message(409, body) == "A deployment of web is already running."


def test_a_refused_token_says_to_log_in_again():
    body = error(
        "The token is not valid, or has expired or been revoked.", code="authentication_failed"
    )
    assert api_error_message(401, body) == (
        "The token is not valid, or has expired or been revoked (run 'berth login' again)"
    )


def test_a_missing_scope_says_permission_denied():
    body = error("You do not have permission to perform this action.", code="permission_denied")
    assert api_error_message(403, body).startswith("permission denied: You do not have")


def test_an_html_error_page_is_not_dumped():
    assert api_error_message(502, "<html><body>Bad Gateway</body></html>") == (
        "the server answered 502"
    )


def test_a_short_text_answer_is_quoted():
    assert api_error_message(500, "Internal Server Error") == (
        "the server answered 500: Internal Server Error"
    )


@pytest.fixture
def closed_port():
    # Bound but not listening: connecting is refused, and no other process can take the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_refused_connection_reads_connection_refused(closed_port):
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(f"http://127.0.0.1:{closed_port}/", timeout=5)
    assert connection_reason(caught.value) == "connection refused"


def test_an_unknown_host_reads_as_such():
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get("http://berth-cli-test.invalid/", timeout=5)
    assert connection_reason(caught.value).startswith("cannot resolve the host name")


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_https_to_a_plain_http_port_suggests_http(plain_http_port):
    with pytest.raises(requests.exceptions.SSLError) as caught:
        requests.get(f"https://127.0.0.1:{plain_http_port}/", timeout=5)
    assert "http:// rather than https://" in connection_reason(caught.value)
