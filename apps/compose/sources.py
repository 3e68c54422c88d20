"""The files a compose file refers to: its upload's folder (env files, secrets, build contexts).

Paths are relative to the compose file's folder and never leave it: absolute
paths, ``..`` and links out of the folder are refused.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path

from apps.compose.fields import FieldError

MAX_FILE_BYTES = 500 * 1024


def clean_relative(path: str, where: str) -> str:
    if not path or "\x00" in path or path.startswith(("/", "~")) or "\\" in path:
        raise FieldError(where, f"{path!r} must be a relative path inside the upload.")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise FieldError(where, f"{path!r} leaves the upload's folder.")
    return normal


class Sources:
    """An upload's extracted folder, or nothing (a compose file sent alone)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None

    @property
    def present(self) -> bool:
        return self.root is not None

    def _inside(self, path: str, where: str) -> Path:
        if self.root is None:
            raise FieldError(
                where,
                f"{path!r} is a file of the upload: send a tarball holding the compose file and it.",
            )
        target = (self.root / clean_relative(path, where)).resolve()
        if target != self.root and self.root not in target.parents:
            raise FieldError(where, f"{path!r} leaves the upload's folder.")
        return target

    def read(self, path: str, where: str) -> bytes:
        target = self._inside(path, where)
        if not target.is_file():
            raise FieldError(where, f"{path!r} is not a file in the upload.")
        if target.stat().st_size > MAX_FILE_BYTES:
            raise FieldError(where, f"{path!r} is larger than 500 KB.")
        return target.read_bytes()

    def exists(self, path: str, where: str) -> bool:
        return self._inside(path, where).is_file()

    def folder(self, path: str, where: str) -> Path:
        target = self._inside(path, where)
        if not target.is_dir():
            raise FieldError(where, f"{path!r} is not a folder in the upload.")
        return target

    def folder_digest(self, path: str, where: str) -> str:
        """A digest of every file's path, mode and bytes: same folder, same digest."""
        folder = self.folder(path, where)
        digest = hashlib.sha256()
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                file = Path(dirpath) / name
                rel = file.relative_to(folder).as_posix()
                digest.update(rel.encode() + b"\0")
                if file.is_symlink():
                    digest.update(b"link:" + os.readlink(file).encode())
                else:
                    digest.update(oct(file.stat().st_mode & 0o777).encode())
                    digest.update(hashlib.sha256(file.read_bytes()).digest())
        return digest.hexdigest()[:16]
