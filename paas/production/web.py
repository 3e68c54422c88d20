"""The web in Berth's stack: the portal served by waitress, threads in one process.

``python -m paas.production.web --bind 0.0.0.0:8000 --threads 6``. gunicorn always
runs a master beside its worker: a second interpreter that only supervises, ~13 MB
of the web's memory (bench/footprint.py). waitress serves the same WSGI application
from a thread pool in the process that loaded it. Each request, and each followed log
stream while it lasts, holds one of the threads. Requests are logged by the gateway
in front (Django still logs errors).
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from django.conf import settings
from waitress import serve

from paas.production import trim
from paas.production.deferred import defer_test_client

# Before the application loads (its URLs, on the first request, import drf-spectacular).
defer_test_client()

from paas.wsgi import application  # noqa: E402

MIB = 1024 * 1024


def _stop(signum: int, frame: Any) -> None:
    # waitress stops on SystemExit: no new connections, running requests get 5 s.
    sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paas.production.web")
    parser.add_argument("--bind", default="0.0.0.0:8000")
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    # The heap a burst of requests freed goes back to the system when it is over.
    trim.after_requests()
    trim.trimmer().poke()  # and what loading the application left
    # Bodies up to the larger of Berth's own upload limits (source archives, volume
    # restores) reach Django, which answers a too-large one in words.
    largest = max(settings.BERTH_UPLOAD_LIMIT_MB, settings.BERTH_VOLUME_UPLOAD_LIMIT_MB)
    serve(
        application,
        listen=args.bind,
        threads=args.threads,
        max_request_body_size=(largest + 1) * MIB,
        # X-Forwarded-* are Django's to trust (BERTH_BEHIND_PROXY), not the server's.
        clear_untrusted_proxy_headers=False,
        # Keeps reading a connection while its request runs, so a followed log stream
        # learns that its client hung up (waitress.client_disconnected) and gives its
        # thread back: on a quiet app nothing written would tell it.
        channel_request_lookahead=1,
        ident="berth",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
