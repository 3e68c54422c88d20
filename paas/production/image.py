"""The portal image (compose/Dockerfile), built from this checkout without an index.

Python packages come from a wheelhouse made on this host (``pip wheel`` of the
pinned compose/requirements.txt into compose/wheelhouse/), so the build itself
fetches nothing but its BASE image (which an air-gapped host makes or loads). The
build context is the files .dockerignore admits, packed in a fixed order with fixed
times, and the image is tagged with a digest of that context and the base: the
same checkout gives the same tag, so a second install skips the build.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from paas import naming, transport
from paas.production.config import BASE_DIR

DOCKERFILE = "compose/Dockerfile"
REQUIREMENTS = BASE_DIR / "compose" / "requirements.txt"
WHEELHOUSE = BASE_DIR / "compose" / "wheelhouse"
REPOSITORY = "berth/portal"
_SKIPPED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


class ImageError(Exception):
    """The portal image could not be made; the message says why."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pins() -> list[tuple[str, str]]:
    found = []
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found.append((name.strip(), version.strip()))
    return found


def missing_wheels(folder: Path = WHEELHOUSE) -> list[str]:
    """Pinned requirements with no wheel of that version in ``folder``."""
    have = set()
    if folder.is_dir():
        for wheel in folder.glob("*.whl"):
            name, version = wheel.name.split("-")[:2]
            have.add((_canonical(name), version))
    return [f"{n}=={v}" for n, v in pins() if (_canonical(n), v) not in have]


def ensure_wheelhouse(log: Callable[[str], None]) -> None:
    """Make the wheels the image installs (pip's cache makes a second run quick)."""
    missing = missing_wheels()
    if not missing:
        return
    log(f"wheelhouse: making {len(missing)} wheel(s) with {sys.executable}")
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(WHEELHOUSE),
            "-r",
            str(REQUIREMENTS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or missing_wheels():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise ImageError(f"could not make the wheelhouse in {WHEELHOUSE}:\n{tail}")


def context_entries(root: Path = BASE_DIR) -> list[str]:
    """The top-level names .dockerignore admits (its `*` + `!name` form)."""
    entries = []
    for line in (root / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line.startswith("!"):
            entries.append(line[1:].strip("/"))
    return entries


def _files(root: Path) -> Iterator[Path]:
    for entry in context_entries(root):
        path = root / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(root)
                if _SKIPPED_DIRS.intersection(relative.parts) or child.suffix == ".pyc":
                    continue
                if child.is_file():
                    yield child


def context_tar(root: Path = BASE_DIR) -> tuple[IO[bytes], str]:
    """The build context as a tar (fixed order, times and owners) and its sha256."""
    spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller
    digest = hashlib.sha256()
    with tarfile.open(fileobj=spool, mode="w") as tar:
        for path in sorted(set(_files(root))):
            name = path.relative_to(root).as_posix()
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    spool.seek(0)
    return spool, digest.hexdigest()


def version() -> str:
    text = (BASE_DIR / "pyproject.toml").read_text()
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0"


def exists(ref: str) -> bool:
    return transport.image_on(transport.client(), ref)


def build(*, base: str, log: Callable[[str], None], repository: str = REPOSITORY) -> str:
    """Build the portal image from this checkout (unless that exact one exists); its tag."""
    ensure_wheelhouse(log)
    context, digest = context_tar()
    with context:
        identity = hashlib.sha256(f"{digest}\0{base}".encode()).hexdigest()[:12]
        tag = f"{repository}:{version()}-{identity}"
        if exists(tag):
            log(f"image {tag}: exists (same checkout and base)")
            return tag
        log(f"image {tag}: building from this checkout on {base}")
        _build(context, tag=tag, base=base)
    log(f"image {tag}: built")
    return tag


def _build(context: IO[bytes], *, tag: str, base: str) -> None:
    output: list[str] = []
    stream: Any = transport.call(
        transport.client().api.build,
        fileobj=context,
        custom_context=True,
        dockerfile=DOCKERFILE,
        tag=tag,
        buildargs={"BASE": base},
        labels={naming.KIND_LABEL: "portal-image"},
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
        timeout=1800,
        retries=0,
    )
    with transport.engine_errors():
        for chunk in stream:
            if "stream" in chunk:
                output.append(str(chunk["stream"]))
            if "error" in chunk:
                tail = "".join(output).strip().splitlines()[-10:]
                message = str(chunk.get("error") or "").strip()
                hint = ""
                if "No matching distribution" in message or "No matching distribution" in "".join(
                    tail
                ):
                    hint = (
                        "\n(the wheelhouse is for this host's Python: BERTH_BASE_IMAGE must have "
                        f"Python {sys.version_info.major}.{sys.version_info.minor})"
                    )
                raise ImageError(
                    f"the portal image did not build: {message}\n" + "\n".join(tail) + hint
                )
