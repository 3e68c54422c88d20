"""Berth in a process of its own: a fresh interpreter (what this one has imported
does not count), or the stack's web server (paas/production/web.py) on a free port."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.gateway import free_port

ROOT = Path(__file__).resolve().parents[2]


def berth_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This environment with Berth's data folder, its settings module and ``settings``."""
    env = {**os.environ, "BERTH_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "paas.settings"}
    env.pop("PYTHONOPTIMIZE", None)  # a caller asks for -O/-OO itself
    env.update(settings)
    return env


def run_python(data_dir: Path, *args: str, **settings: str) -> str:
    """``python *args`` from the checkout; its standard output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=berth_env(data_dir, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def status(port: int, path: str, headers: dict[str, str]) -> int:
    """The status of a GET to a server on this host."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@contextlib.contextmanager
def running_web(data_dir: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The stack's web process, answering /healthz; killed afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "paas.production.web", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=berth_env(data_dir, **settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                if status(port, "/healthz", {"Host": "localhost"}) == 200:
                    break
            assert process.poll() is None, "the web exited at start"
            assert time.monotonic() < deadline, "the web did not answer in 30 s"
            time.sleep(0.2)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
