"""``manage.py backup`` / ``restore``: Berth's own state in one archive and back.

The archive (tar.gz, mode 0600: it holds the keys) carries

- ``manifest.json``: format, Berth's version, namespace, time, the last migration
  of each app, and the files it holds;
- ``database/berth.sqlite3``: a consistent snapshot taken with SQLite's backup API
  while the stack runs (the WAL lets it read beside the writers);
- ``files/...``: the rest of the data folder: ``secret_key``, ``secrets.key`` (the
  Fernet key every encrypted value needs), ``install.env`` and the namespace's
  gateway folder (sites, certificates, passwords), without caches, uploads in
  flight or other namespaces' files.

Restore writes them into a data folder that holds no database (or, with
``replace``, stops the running portal first and keeps the old files aside); then
``manage.py install`` runs the stack on it. Into another namespace the gateway
files are left out: bootstrap and the route sync render them again from the
database, under the new names.

App data in volumes is not Berth's state and is not in the archive.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from paas import transport
from paas.production import config, image, stackfile
from paas.production.deploy import find_service, prepare_data_dir
from routing.files import RELOAD_PENDING

FORMAT = 1
DATABASE = "berth.sqlite3"
# Never in an archive: caches and files the stack makes again.
SKIPPED = {"static", "builds", "backups", "celerybeat-schedule", "test.sqlite3"}
# beat: a service of its own in installations made before the worker ran it.
PORTAL_SERVICES = ("web", "worker", "beat")
Log = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


@dataclass(frozen=True)
class Manifest:
    namespace: str
    created: str
    version: str
    migrations: dict[str, str]
    files: list[str]

    def to_json(self) -> bytes:
        document = {"format": FORMAT, **self.__dict__}
        return json.dumps(document, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise BackupError(f"the archive's manifest is not JSON: {exc}") from exc
        if document.get("format") != FORMAT:
            raise BackupError(f"unknown archive format {document.get('format')!r}")
        return cls(
            namespace=str(document["namespace"]),
            created=str(document["created"]),
            version=str(document["version"]),
            migrations=dict(document["migrations"]),
            files=list(document["files"]),
        )


def _namespace(data_dir: Path) -> str:
    return config.Settings.merge(config.read_saved(data_dir), {}).namespace


def _skipped(relative: PurePosixPath, namespace: str) -> bool:
    parts = relative.parts
    if parts[0] in SKIPPED or parts[0].startswith((DATABASE, "test.sqlite3", "before-restore-")):
        return True
    if parts[0] == "gateway":
        # Only this installation's folder, without checks in progress or its lock.
        return len(parts) < 3 or parts[1] != namespace or parts[2] in ("staging", ".lock")
    return parts[-1].startswith(".") and parts[-1].endswith(".tmp")


def data_files(data_dir: Path, namespace: str) -> list[PurePosixPath]:
    found = []
    for path in sorted(data_dir.rglob("*")):
        relative = PurePosixPath(path.relative_to(data_dir).as_posix())
        if path.is_file() and not path.is_symlink() and not _skipped(relative, namespace):
            found.append(relative)
    return found


def _snapshot(database: Path, target: Path) -> dict[str, str]:
    """Copy ``database`` consistently into ``target``; the last migration per app."""
    owner = database.stat()
    source = sqlite3.connect(database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        # Django's check constraints use REGEXP, which its backend registers per connection.
        copy.create_function("REGEXP", 2, _regexp, deterministic=True)
        with copy:
            source.backup(copy)
        problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
        copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the database {database}: {exc}") from exc
    finally:
        source.close()
        _give_back(database, owner)
    if problem != "ok":
        raise BackupError(f"the database copy failed its integrity check: {problem}")
    return {app: name for app, name in rows}


def _regexp(pattern: str | None, value: object) -> bool | None:
    if pattern is None or value is None:
        return None
    return bool(re.search(pattern, str(value)))


def _give_back(database: Path, owner: os.stat_result) -> None:
    """SQLite may have made -wal/-shm files as this (root) process: the portal must write them."""
    if os.geteuid() != 0:
        return
    for path in database.parent.glob(f"{database.name}*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_uid != owner.st_uid:
                os.chown(path, owner.st_uid, owner.st_gid)


def create(data_dir: Path, output: Path | None, *, log: Log) -> Path:
    """Write the archive of the installation kept in ``data_dir``; its path."""
    saved = config.read_saved(data_dir)
    if saved.get("DATABASE_URL") or os.environ.get("DATABASE_URL"):
        raise BackupError(
            "DATABASE_URL is set: back the database up with its own tools (pg_dump); "
            "this archive holds the SQLite database of the data folder"
        )
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(f"no database at {database}: is BERTH_DATA_DIR the installation's?")
    namespace = _namespace(data_dir)
    created = datetime.now(UTC)
    if output is None:
        output = Path.cwd() / f"berth-backup-{namespace}-{created:%Y%m%dT%H%M%SZ}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="berth-backup-") as work:
        snapshot = Path(work) / DATABASE
        migrations = _snapshot(database, snapshot)
        files = data_files(data_dir, namespace)
        manifest = Manifest(
            namespace=namespace,
            created=created.isoformat(timespec="seconds"),
            version=image.version(),
            migrations=migrations,
            files=[str(f) for f in files],
        )
        partial = output.with_name(f".{output.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            _add_bytes(tar, "manifest.json", manifest.to_json())
            tar.add(snapshot, arcname=f"database/{DATABASE}", recursive=False)
            for relative in files:
                tar.add(data_dir / relative, arcname=f"files/{relative}", recursive=False)
        os.replace(partial, output)
    log(
        f"backup of {namespace}: database ({len(migrations)} apps migrated) and "
        f"{len(files)} file(s) -> {output} ({output.stat().st_size // 1024} KiB, mode 0600)"
    )
    return output


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


# --- restore ------------------------------------------------------------------------


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise BackupError("the archive has no manifest.json")
            return Manifest.from_json(member.read())
    except (OSError, tarfile.TarError, KeyError) as exc:
        raise BackupError(f"{archive} is not a Berth backup: {exc}") from exc


def _safe(name: str, prefix: str) -> PurePosixPath | None:
    """The member's path below ``prefix``, or None when it is not a plain path there."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name.startswith(prefix):
        return None
    return PurePosixPath(name[len(prefix) :])


def _portal_services(namespace: str) -> list[Any]:
    found = [find_service(stackfile.name_in(namespace, key)) for key in PORTAL_SERVICES]
    return [service for service in found if service is not None]


def _stop_portal(namespace: str, log: Log, timeout: float = 180.0) -> None:
    """Scale web and worker (and an older installation's beat) to 0; wait until they stop."""
    services = _portal_services(namespace)
    for service in services:
        transport.call(service.scale, 0, retries=0)
    deadline = time.monotonic() + timeout
    for service in services:
        while any(
            t["Status"]["State"] in ("running", "starting", "preparing", "assigned")
            for t in transport.call(service.tasks)
        ):
            if time.monotonic() > deadline:
                raise BackupError(f"{service.name} did not stop within {timeout:.0f} s")
            time.sleep(0.5)
    if services:
        log(f"stopped {', '.join(s.name for s in services)} (install starts them again)")


@contextlib.contextmanager
def _members(archive: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            yield tar
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from exc


def restore(
    archive: Path, data_dir: Path, *, namespace: str | None, replace: bool, log: Log
) -> Manifest:
    """Put the archive's state into ``data_dir`` for ``namespace`` (default: the archive's)."""
    manifest = read_manifest(archive)
    target = namespace or manifest.namespace
    running = _portal_services(target)
    if (data_dir / DATABASE).exists() or running:
        if not replace:
            raise BackupError(
                f"{data_dir} already holds a database or namespace {target} runs a portal: "
                "restore into an empty data folder, or pass --replace (the portal is stopped "
                "and the current files are kept aside)"
            )
        _stop_portal(target, log)
        _keep_aside(data_dir, log)
    data_dir.mkdir(parents=True, exist_ok=True)
    same_namespace = target == manifest.namespace
    restored = skipped = 0
    with _members(archive) as tar:
        for member in tar.getmembers():
            if member.name == f"database/{DATABASE}":
                destination = data_dir / DATABASE
            else:
                relative = _safe(member.name, "files/")
                if relative is None or not member.isfile():
                    continue
                if relative.parts[0] == "gateway" and not same_namespace:
                    skipped += 1
                    continue
                destination = data_dir / relative
            if not member.isfile():
                raise BackupError(f"{member.name} is not a plain file")
            _write_member(tar, member, destination)
            restored += 1
    if same_namespace and (data_dir / "gateway" / target).is_dir():
        # The running gateway still holds the files it had: the next route change reloads it.
        (data_dir / "gateway" / target / RELOAD_PENDING).touch()
    settings = config.read_saved(data_dir)
    settings["BERTH_NAMESPACE"] = target
    config.write_saved(data_dir, settings)
    if os.geteuid() == 0:
        prepare_data_dir(data_dir, log)
    log(
        f"restored the backup of {manifest.namespace} from {manifest.created} into {data_dir} "
        f"for namespace {target}: database and {restored - 1} file(s)"
        + (f"; {skipped} gateway file(s) left out (rendered again for {target})" if skipped else "")
    )
    return manifest


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, destination: Path) -> None:
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"cannot read {member.name} from the archive")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, member.mode & 0o777 or 0o600)
    with os.fdopen(fd, "wb") as handle:
        shutil.copyfileobj(source, handle)
    os.replace(partial, destination)


def _keep_aside(data_dir: Path, log: Log) -> None:
    """Move the current database and keys into ``before-restore-<time>/``."""
    aside = data_dir / f"before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    moved = []
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(DATABASE) or path.name in ("secret_key", "secrets.key"):
            aside.mkdir(exist_ok=True)
            shutil.move(str(path), aside / path.name)
            moved.append(path.name)
    if moved:
        log(f"kept the current {', '.join(moved)} in {aside}")
