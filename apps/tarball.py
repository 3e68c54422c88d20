"""Safe extraction of an uploaded source tarball, and finding what to build in it.

Every member is checked before anything is written: no absolute paths, no
``..``, no links that leave the tree, no writing through a link, no devices or
FIFOs, and limits on the unpacked size and the number of entries. Each refusal
says which member and why. Extraction then also uses tarfile's ``data`` filter
as a second line of defence.
"""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError

MARKERS = ("captain-definition", "Dockerfile")


class TarballError(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__({"source": message})


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int


def _clean_name(name: str) -> str:
    if "\x00" in name:
        raise TarballError(f"{name!r}: the name contains a forbidden character.")
    if name.startswith("/"):
        raise TarballError(f"{name!r}: absolute paths are not allowed.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise TarballError(f"{name!r}: '..' in a path is not allowed.")
    return "/".join(parts)


def _inside(base_dir: str, target: str) -> bool:
    joined = posixpath.normpath(posixpath.join(base_dir, target))
    return joined != ".." and not joined.startswith("../") and not posixpath.isabs(joined)


def check_members(tar: tarfile.TarFile, limits: Limits) -> list[tarfile.TarInfo]:
    """All members, each checked; raises :class:`TarballError` on the first bad one."""
    members: list[tarfile.TarInfo] = []
    links: set[str] = set()
    total = 0
    for member in tar:
        name = _clean_name(member.name)
        if not name:
            continue  # the archive's "./" entry
        if len(members) >= limits.max_files:
            raise TarballError(f"The archive has more than {limits.max_files} entries.")
        parents = name.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in links:
                raise TarballError(f"{member.name!r}: writing through a link is not allowed.")
        if member.ischr() or member.isblk():
            raise TarballError(f"{member.name!r}: device files are not allowed.")
        if member.isfifo():
            raise TarballError(f"{member.name!r}: FIFOs are not allowed.")
        if member.issym():
            target = member.linkname
            if target.startswith("/") or not _inside(posixpath.dirname(name), target):
                raise TarballError(
                    f"{member.name!r}: the link to {target!r} points outside the archive."
                )
            links.add(name)
        elif member.islnk():
            target = member.linkname
            if target.startswith("/") or not _inside("", target):
                raise TarballError(
                    f"{member.name!r}: the hard link to {target!r} points outside the archive."
                )
            links.add(name)
        elif not (member.isfile() or member.isdir()):
            raise TarballError(f"{member.name!r}: this kind of entry is not allowed.")
        total += max(member.size, 0)
        if total > limits.max_bytes:
            raise TarballError(
                f"The archive unpacks to more than {limits.max_bytes // (1024 * 1024)} MB."
            )
        member.name = name
        members.append(member)
    return members


def extract(fileobj: IO[bytes], dest: Path, limits: Limits) -> None:
    """Check, then extract a tar (plain, gzip, bzip2 or xz) into the empty folder ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as tar:
            members = check_members(tar, limits)
            tar.extractall(dest, members=members, filter="data")
    except tarfile.ReadError:
        raise TarballError("The upload is not a tar or tar.gz archive.") from None
    except tarfile.FilterError as exc:
        raise TarballError(f"The archive was refused: {exc}") from None
    except (EOFError, OSError, tarfile.TarError) as exc:
        raise TarballError(f"The archive is damaged: {exc}") from None


def find_root(dest: Path) -> Path:
    """The folder holding a captain-definition or Dockerfile: the root or one folder down."""

    def has_marker(folder: Path) -> bool:
        return any((folder / marker).is_file() for marker in MARKERS)

    if has_marker(dest):
        return dest
    found = [
        child
        for child in sorted(dest.iterdir())
        if child.is_dir() and not child.is_symlink() and has_marker(child)
    ]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(child.name for child in found)
        raise TarballError(
            f"Several folders have a Dockerfile or captain-definition ({names}); keep one."
        )
    raise TarballError(
        "No Dockerfile or captain-definition at the archive's root or one folder down."
    )
