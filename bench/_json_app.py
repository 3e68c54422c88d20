"""The gateway benchmark's JSON app: a page of 40 records as JSON per request from
Python's threading HTTP server, keeping connections open. It stands for an app that
does some work per request (a few hundred microseconds), where busybox forks per
connection and the static nginx app does next to nothing.

The benchmark runs this file's text with ``python3 -c`` in the Debian Python image.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORDS = [{"id": i, "name": f"item {i}", "tags": ["a", "b"], "price": i * 1.5} for i in range(40)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "items": RECORDS}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Python's default of 5 would drop connects under load, as busybox's 9 does.
    request_queue_size = 1024


if __name__ == "__main__":
    Server(("", 80), Handler).serve_forever()
