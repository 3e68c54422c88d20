"""Volume work on the engines, all through :mod:`paas.transport`: the helper container
that streams a volume out as tar.gz or fills it from one, and removing the engine volume.

The helper is a short-lived container of an image Berth already has (an app's
own image or the gateway's; nothing is pulled) running that image's ``tar``.
It runs on the engine of the node that holds the data: Berth's own engine, or
a node's engine reached with the address the nodes page keeps.
"""

from __future__ import annotations

import io
import logging
import secrets
import tarfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from paas import naming, transport
from paas.transport import Conflict, EngineError, EngineRefused, NotFound, call

log = logging.getLogger(__name__)
MOUNT_AT = "/berth-volume"
RESTORE_FILE = "berth-restore.tar.gz"
CHUNK = 64 * 1024
# How the runtime says the helper's command is missing from the image.
MISSING_COMMAND = ("executable file not found", "no such file or directory", "not found in $path")


class NoTools(EngineError):
    """The image has no ``tar`` (or ``sh``): the helper cannot run in it."""


class HelperFailed(EngineError):
    """The helper ran and failed; the message is its own error output."""


@dataclass(frozen=True)
class Target:
    """The volume as the helper mounts it."""

    engine_name: str
    driver: str
    options: dict[str, str]
    labels: dict[str, str]

    def mount(self, *, read_only: bool) -> dict[str, Any]:
        driver: dict[str, Any] = {"Name": self.driver}
        if self.options:
            driver["Options"] = dict(self.options)
        return {
            "Type": "volume",
            "Source": self.engine_name,
            "Target": MOUNT_AT,
            "ReadOnly": read_only,
            "VolumeOptions": {"Labels": dict(self.labels), "DriverConfig": driver},
        }


def local_node_id() -> str:
    info = call(transport.client().api.info)
    return str((info.get("Swarm") or {}).get("NodeID", ""))


@contextmanager
def engine_of(access: transport.EngineAccess | None) -> Iterator[Any]:
    """The low-level API client of a node's engine (``None``: Berth's own)."""
    if access is None:
        yield transport.client().api
        return
    with transport.remote_client(access) as remote:
        yield remote.api


def image_present(api: Any, ref: str) -> bool:
    try:
        call(api.inspect_image, ref, retries=1)
    except NotFound:
        return False
    return True


def _create(api: Any, image: str, target: Target, *, read_only: bool, command: list[str]) -> str:
    host_config = api.create_host_config(
        mounts=[target.mount(read_only=read_only)], network_mode="none"
    )
    labels = naming.labels("volume-helper", **{"berth.volume": target.engine_name})
    created = call(
        api.create_container,
        image,
        command=command[1:],
        entrypoint=command[:1],
        user="0:0",
        working_dir="/",
        labels=labels,
        host_config=host_config,
        name=naming.namespaced("volume-helper", secrets.token_hex(4)),
        network_disabled=True,
        retries=0,
    )
    return str(created["Id"])


def _remove(api: Any, container: str) -> None:
    try:
        call(api.remove_container, container, force=True, v=False, retries=1)
    except NotFound:
        pass
    except EngineError as exc:
        log.warning("could not remove helper container %s: %s", container[:12], exc)


def _start(api: Any, container: str, image: str, tool: str) -> None:
    try:
        call(api.start, container, retries=0)
    except EngineError as exc:
        if any(marker in str(exc).lower() for marker in MISSING_COMMAND):
            raise NoTools(
                f"The image {image} has no {tool}, which copying a volume needs. "
                "Use an image with busybox or a shell (set BERTH_VOLUME_HELPER_IMAGE)."
            ) from None
        raise


def _exit_code(api: Any, container: str, timeout: int) -> int:
    result = call(api.wait, container, timeout=timeout, retries=0)
    return int(result.get("StatusCode", 1))


def _stderr(api: Any, container: str) -> str:
    try:
        raw = call(api.logs, container, stdout=False, stderr=True, tail=20, retries=0)
    except EngineError:
        return ""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return text.strip()[-1000:]


def backup(api: Any, image: str, target: Target, *, timeout: int = 3600) -> Iterator[bytes]:
    """Start the helper and return the tar.gz stream of the volume's files.

    The helper is running when this returns, so a missing ``tar`` is an error
    before the first byte; the iterator removes the helper when it is done.
    """
    container = _create(
        api, image, target, read_only=True, command=["tar", "-czf", "-", "-C", MOUNT_AT, "."]
    )
    try:
        stream = call(
            api.attach, container, stdout=True, stderr=False, stream=True, logs=False, retries=0
        )
        _start(api, container, image, "tar")
    except BaseException:
        _remove(api, container)
        raise
    return _follow(api, container, stream, timeout)


def _follow(api: Any, container: str, stream: Iterable[bytes], timeout: int) -> Iterator[bytes]:
    try:
        with transport.engine_errors():
            for chunk in stream:
                if chunk:
                    yield chunk
        code = _exit_code(api, container, timeout)
        if code != 0:
            raise HelperFailed(f"tar stopped with code {code}: {_stderr(api, container)}")
    finally:
        _remove(api, container)


def _wrapped(upload: IO[bytes], size: int) -> Iterator[bytes]:
    """``upload`` as the one file of a tar stream (the engine's archive upload takes tar)."""
    info = tarfile.TarInfo(RESTORE_FILE)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    yield info.tobuf(format=tarfile.GNU_FORMAT)
    sent = 0
    while True:
        chunk = upload.read(CHUNK)
        if not chunk:
            break
        sent += len(chunk)
        yield chunk
    if sent != size:
        raise EngineRefused(f"The upload changed while it was sent ({sent} of {size} bytes).")
    yield b"\0" * ((512 - size % 512) % 512) + b"\0" * 1024


# Empty the volume (hidden files too), then unpack: the restored volume holds the archive's files.
RESTORE_SCRIPT = (
    f"cd {MOUNT_AT} && rm -rf -- ./* ./.[!.]* ./..?* && "
    f"tar -xzf /{RESTORE_FILE} -C {MOUNT_AT} && rm -f /{RESTORE_FILE}"
)


def restore(
    api: Any, image: str, target: Target, upload: IO[bytes], size: int, *, timeout: int = 3600
) -> None:
    """Replace the volume's files with the archive's (checked by the caller beforehand)."""
    container = _create(api, image, target, read_only=False, command=["sh", "-c", RESTORE_SCRIPT])
    try:
        upload.seek(0)
        call(api.put_archive, container, "/", _wrapped(upload, size), retries=0)
        _start(api, container, image, "sh and tar")
        code = _exit_code(api, container, timeout)
        if code != 0:
            raise HelperFailed(f"Unpacking stopped with code {code}: {_stderr(api, container)}")
    finally:
        _remove(api, container)


def remove_volume(api: Any, engine_name: str) -> bool:
    """Remove the engine volume if this installation made it; False while a container uses it."""
    try:
        info = call(api.inspect_volume, engine_name, retries=1)
    except NotFound:
        return True
    labels = info.get("Labels") or {}
    if labels.get(naming.NAMESPACE_LABEL) != naming.namespace():
        log.warning("not removing volume %s: it is not this installation's", engine_name)
        return True
    try:
        call(api.remove_volume, engine_name, retries=1)
    except NotFound:
        return True
    except Conflict:
        return False
    return True


def check_archive(upload: IO[bytes], *, max_members: int) -> int:
    """Read the whole tar.gz once: it must unpack, inside the volume, with plain files only.

    Returns its size. Done before the volume is emptied, so a broken upload
    never costs the data already there.
    """
    upload.seek(0)
    try:
        with tarfile.open(fileobj=upload, mode="r:gz") as archive:
            for count, member in enumerate(archive, start=1):
                if count > max_members:
                    raise ValueError(f"it has more than {max_members} entries")
                parts = [part for part in member.name.split("/") if part not in ("", ".")]
                if member.name.startswith("/") or ".." in parts:
                    raise ValueError(f"{member.name!r} points outside the volume")
                if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                    raise ValueError(f"{member.name!r} is a device or a pipe")
                if member.isfile():
                    _drain(archive.extractfile(member))  # reading checks the gzip checksum
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"it is not a tar.gz archive ({exc})") from None
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _drain(handle: IO[bytes] | None) -> None:
    while handle is not None and handle.read(CHUNK):
        pass
