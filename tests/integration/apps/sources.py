"""Build sources for tests: a busybox web app as a tarball, made offline from the host's busybox."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

INFO = """#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "hostname=$(hostname)"
echo "message=${MESSAGE:-}"
echo "built=yes"
"""


def busybox() -> Path:
    found = shutil.which("busybox")
    if not found:
        raise RuntimeError("busybox not found: apt-get install busybox-static")
    return Path(found)


def dockerfile(message: str, *extra: str) -> str:
    return "\n".join(
        [
            "FROM scratch",
            "COPY busybox /bin/busybox",
            'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
            *extra,
            "COPY www /www",
            f"ENV MESSAGE={json.dumps(message)}",
            'CMD ["sh", "-c", "mkdir -p /tmp && exec httpd -f -p 80 -h /www"]',
            "",
        ]
    )


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def web_tarball(
    message: str,
    *,
    folder: str = "",
    extra: tuple[str, ...] = (),
    definition: dict[str, object] | None = None,
    dockerfile_name: str = "Dockerfile",
) -> io.BytesIO:
    """A tar.gz whose Dockerfile (or captain-definition) builds the busybox app."""
    prefix = f"{folder}/" if folder else ""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        _add(tar, f"{prefix}{dockerfile_name}", dockerfile(message, *extra).encode())
        _add(tar, f"{prefix}busybox", busybox().read_bytes(), 0o755)
        _add(tar, f"{prefix}www/cgi-bin/info", INFO.encode(), 0o755)
        _add(tar, f"{prefix}www/index.html", b"<h1>built by Berth</h1>\n")
        if definition is not None:
            _add(tar, f"{prefix}captain-definition", json.dumps(definition).encode())
    buffer.seek(0)
    return buffer
